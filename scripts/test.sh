#!/usr/bin/env bash
# Set up and run the whole test suite: core, pages (AppTest) and real Chromium (Playwright).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh requirements-dev.txt
# Debian's Chromium for Playwright; Node's npm for axe-core (the accessibility checks); nginx below.
missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
# Debian's nginx: the cluster layout's front (scripts/cluster.sh; tests/test_cluster.py checks its config).
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing="$missing nginx"
if [ -n "$missing" ]; then
  sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_="sudo"
  $sudo_ apt-get update -qq
  # shellcheck disable=SC2086
  $sudo_ apt-get install -y -qq $missing >/dev/null
fi
[ -f node_modules/axe-core/axe.min.js ] || npm ci --no-audit --no-fund --silent
exec .venv/bin/python -m pytest "$@"
