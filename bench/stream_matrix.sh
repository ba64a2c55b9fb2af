#!/usr/bin/env bash
# The comparisons behind the defaults (docs/benchmarks.md): 50 streams at 30 tokens/s plus 200
# idle sockets, one variant at a time, back to back in one run. About 5 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
run() { echo "== $*"; "$@" 2>&1 | grep -v "^machine:"; }
common=(--phase load --streams 50 --tokens 300 --rate 30 --idle 200)
run $PY bench/stream.py "${common[@]}"
run $PY bench/stream.py "${common[@]}" --generation celery
run $PY bench/stream.py "${common[@]}" --flush-tokens 1 --flush-interval 0
CHANNEL_LAYER=core run $PY bench/stream.py "${common[@]}"
run $PY bench/stream.py "${common[@]}" --server daphne
run $PY bench/stream.py "${common[@]}" --server-args "--ws-per-message-deflate true"
