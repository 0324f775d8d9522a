#!/usr/bin/env bash
# Debian's jsonnet (0.18, the C++ reference interpreter) for the differential tests of lib/jsonnet
# (test/unit/jsonnet/), installed only when it is missing. Needs root or sudo; on a machine that has it already
# (JSONNET_PATH, or jsonnet on PATH) it does nothing.
set -euo pipefail
if [ -n "${JSONNET_PATH:-}" ] && [ -x "$JSONNET_PATH" ]; then exit 0; fi
if command -v jsonnet >/dev/null 2>&1; then exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "Installing Debian's jsonnet for the Jsonnet differential tests..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends jsonnet >/dev/null
command -v jsonnet
