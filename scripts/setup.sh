#!/usr/bin/env bash
# Create .venv (if needed) and install the given requirements file into it.
set -euo pipefail
cd "$(dirname "$0")/.."
req="${1:-requirements.txt}"
python3 -m venv .venv
# --no-compile: pip would byte-compile every installed file (torch, plotly, scipy: 46 s of a 71 s
# install on 2 cores); Python compiles the modules it imports on first use instead.
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-compile -r "$req"
