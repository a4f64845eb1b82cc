#!/usr/bin/env bash
# Generate the Indonesian voice clips of the audio captcha into portal/captcha_voice/.
#
# One directory per character of portal.services.captcha.ALPHABET, each holding a few WAV
# clips of that character's Indonesian name (A = "a", C = "ce", 3 = "tiga", ...). The captcha
# package's AudioCaptcha reads every *.wav of <voicedir>/<char>/ raw, so the clips must be
# 8 kHz, mono, 8-bit unsigned PCM like its own built-in digits. Two voices per character make
# the audio a little harder to match sample by sample; AudioCaptcha picks one at random.
#
# Needs Debian's espeak-ng and sox (apt-get install espeak-ng sox). The output is reproducible:
# sox runs without dither and with its fixed random seed, so regenerating changes no byte.
# Usage: scripts/make-captcha-voice.sh [OUTPUT_DIR]
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/../portal/captcha_voice}"

for tool in espeak-ng sox; do
    command -v "$tool" >/dev/null || { echo "$tool is missing: apt-get install espeak-ng sox" >&2; exit 1; }
done

# Character, then the word espeak-ng reads: the Indonesian name of the letter or digit.
# Keep in step with ALPHABET in portal/services/captcha.py (a test checks both ways).
names=(
    "A:a"
    "C:ce"
    "E:e"
    "K:ka"
    "M:em"
    "P:pe"
    "R:er"
    "W:we"
    "X:eks"
    "Y:ye"
    "3:tiga"
    "4:empat"
    "7:tujuh"
    "9:sembilan"
)
# espeak-ng voice, speed in words per minute, pitch (0-99): a low and a higher voice.
voices=("id:125:40" "id+f3:120:60")

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

rm -rf "$out"
mkdir -p "$out"
for entry in "${names[@]}"; do
    char="${entry%%:*}"
    word="${entry#*:}"
    mkdir -p "$out/$char"
    n=1
    for voice in "${voices[@]}"; do
        IFS=: read -r name speed pitch <<<"$voice"
        espeak-ng -v "$name" -s "$speed" -p "$pitch" -w "$tmp/raw.wav" "$word"
        # Trim leading and trailing silence, normalise to -1 dBFS, then convert to what
        # AudioCaptcha expects. -D (no dither) and -R (fixed seed) keep the output reproducible.
        sox -D -R "$tmp/raw.wav" -r 8000 -c 1 -b 8 -e unsigned-integer "$out/$char/$n.wav" \
            silence 1 0.01 0.5% reverse silence 1 0.01 0.5% reverse norm -1
        n=$((n + 1))
    done
done
echo "Wrote $(find "$out" -name '*.wav' | wc -l) clips to $out ($(du -sk "$out" | cut -f1) KB)."
