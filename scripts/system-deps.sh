#!/usr/bin/env bash
# System packages the test suite uses beyond Python: headless Chromium + fonts to render the status page,
# chromedriver for the console's Selenium tests (tests/e2e/test_console_*.py),
# Tesseract OCR (with Korean) to read the screenshot back, and the real Alertmanager (prometheus-alertmanager:
# `prometheus-alertmanager` and `amtool`) that tests/e2e/alertmanager/ points at the gateway.
# Installed from Debian when missing (needs root); elsewhere it says what to install and the tests that need
# them explain themselves.
set -u
if command -v chromium >/dev/null && command -v chromedriver >/dev/null && command -v tesseract >/dev/null \
    && fc-list 2>/dev/null | grep -qi cjk \
    && command -v prometheus-alertmanager >/dev/null && command -v amtool >/dev/null; then
  exit 0
fi
packages="chromium chromium-driver fonts-noto-cjk tesseract-ocr tesseract-ocr-kor prometheus-alertmanager"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $packages
else
  echo "note: install $packages (Debian) for the status-page and console browser tests and the real-Alertmanager tests" >&2
fi
exit 0
