#!/usr/bin/env bash
# The report's render test (npm test) opens the HTML report in headless Chromium. This installs
# Debian's Chromium (package `chromium`, /usr/bin/chromium) unless a Chromium is there already or
# CHROMIUM_PATH names one. Nothing is downloaded outside the distribution's own package archive.
set -euo pipefail
if [ -n "${CHROMIUM_PATH:-}" ]; then
  [ -x "$CHROMIUM_PATH" ] && { echo "Chromium: $CHROMIUM_PATH"; exit 0; }
  echo "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable" >&2; exit 1
fi
if [ -x /usr/bin/chromium ]; then echo "Chromium: /usr/bin/chromium"; exit 0; fi
if ! command -v apt-get >/dev/null; then
  echo "no Chromium found and no apt-get here: install Chromium or Chrome and set CHROMIUM_PATH to it" >&2; exit 1
fi
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
install() { DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends chromium; }
install || { $sudo apt-get update -q && install; }
echo "Chromium: /usr/bin/chromium"
