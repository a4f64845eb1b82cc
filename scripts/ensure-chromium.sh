#!/usr/bin/env bash
# Make Debian's Chromium available for the browser tests (Playwright drives /usr/bin/chromium;
# `playwright install` is never used: it downloads a browser build from outside the registries).
set -u
[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Memasang chromium dari paket Debian untuk uji peramban…"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "Gagal memasang chromium; uji peramban akan gagal di CI dan dilewati di lokal." >&2
else
  echo "Chromium tidak ada (/usr/bin/chromium); pasang paket 'chromium' untuk uji peramban." >&2
fi
exit 0
