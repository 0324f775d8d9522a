#!/usr/bin/env bash
# Debian's Chromium for the browser tests (test/browser/), installed only when it is missing. playwright-core drives
# it (executablePath), so no browser is ever downloaded by npm. Needs root or sudo; on a machine that has Chromium
# already (CHROMIUM_PATH, or chromium on PATH) it does nothing.
set -euo pipefail
if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ]; then exit 0; fi
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "Installing Debian's chromium for the browser tests..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
command -v chromium
