#!/usr/bin/env bash
# cfn-lint (AWS's CloudFormation linter, a Python package) for test/e2e/deployment.test.ts, which lints the template
# `serverless package` writes. Installed only when it is missing, with pip from the machine's package index (pip
# itself from Debian when there is none); on a machine that has cfn-lint on PATH it does nothing.
set -euo pipefail
if command -v cfn-lint >/dev/null 2>&1; then exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
if ! command -v pip3 >/dev/null 2>&1; then
  echo "Installing Debian's python3-pip for cfn-lint..."
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-pip >/dev/null
fi
echo "Installing cfn-lint..."
# Debian's own Python refuses to install beside its packages (PEP 668) unless told to; other Pythons take it as is.
pip3 install --quiet cfn-lint || pip3 install --quiet --break-system-packages cfn-lint
hash -r
command -v cfn-lint
