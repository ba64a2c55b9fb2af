"""`make bench`: run every benchmark under bench/ in turn and print their figures.

Each benchmark is a plain script that prints its own figures; this runner only sequences them
and bounds the total time (the whole run must stay under 5 minutes on a 2-core machine).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ["checker.py", "stream.py", "load.py", "variants.py"]
BUDGET_SECONDS = 290


def main() -> int:
    started = time.monotonic()
    failures = 0
    for name in ORDER:
        script = HERE / name
        if not script.exists():
            continue
        left = BUDGET_SECONDS - (time.monotonic() - started)
        if left <= 10:
            print(f"== {name}: skipped, the 5-minute budget is spent", flush=True)
            continue
        print(f"== {name}", flush=True)
        result = subprocess.run([sys.executable, str(script)], cwd=HERE.parent, timeout=left)
        failures += result.returncode != 0
    print(f"== all benchmarks done in {time.monotonic() - started:.0f} s", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
