#!/usr/bin/env bash
# Set up and run the whole test suite: core, pages (AppTest) and real Chromium (Playwright).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh requirements-dev.txt
if ! command -v chromium >/dev/null 2>&1; then
  sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_="sudo"
  $sudo_ apt-get update -qq
  $sudo_ apt-get install -y -qq chromium >/dev/null
fi
exec .venv/bin/python -m pytest "$@"
