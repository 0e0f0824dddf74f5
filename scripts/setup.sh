#!/usr/bin/env bash
# Create .venv (if needed) and install the given requirements file into it.
set -euo pipefail
cd "$(dirname "$0")/.."
req="${1:-requirements.txt}"
python3 -m venv .venv
# pip byte-compiles every installed file on one core (46 s of a 71 s install here); compileall does
# the same on every core. Without the .pyc files, worker processes (multiprocessing runs them with -B)
# would compile torch from source each time they start. A file that does not compile (a package's own
# test data) is skipped, as pip skips it.
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-compile -r "$req"
site=$(.venv/bin/python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
.venv/bin/python -m compileall -q -j 0 "$site" >/dev/null || true
