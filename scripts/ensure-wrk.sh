#!/usr/bin/env bash
# Make wrk available for `make bench` (Debian's package; nothing is downloaded from elsewhere).
set -u
command -v wrk >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Memasang wrk dari paket Debian untuk uji beban…"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null) \
    || { echo "Gagal memasang wrk." >&2; exit 1; }
else
  echo "wrk tidak ada; pasang paket 'wrk' (Debian: apt-get install wrk)." >&2; exit 1
fi
