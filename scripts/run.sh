#!/usr/bin/env bash
# Set up and run the app: http://localhost:8501 (pass extra streamlit flags after the script).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh requirements.txt
exec .venv/bin/streamlit run serve.py --browser.gatherUsageStats false "$@"
