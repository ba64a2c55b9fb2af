"""Copy front-end libraries from node_modules into static/vendor (a no-op until package.json exists)."""

from __future__ import annotations

import sys


def main() -> int:
    return 0


if __name__ == "__main__":
    sys.exit(main())
