#!/usr/bin/env bash
# System packages the test suite uses beyond Python: headless Chromium + fonts to render the status page,
# Tesseract OCR (with Korean) to read the screenshot back. Installed from Debian when missing (needs root);
# elsewhere it says what to install and the status-page test explains itself.
set -u
if command -v chromium >/dev/null && command -v tesseract >/dev/null && fc-list 2>/dev/null | grep -qi cjk; then
  exit 0
fi
packages="chromium fonts-noto-cjk tesseract-ocr tesseract-ocr-kor"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $packages
else
  echo "note: install $packages (Debian) for the status-page browser test" >&2
fi
exit 0
