#!/usr/bin/env bash
# The page tests drive Debian's chromium through Playwright. Install it from Debian's
# packages when it is missing and we may (never Playwright's own browser download).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the page tests..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
else
  echo "chromium is not installed: run 'sudo apt-get install chromium' to run the page tests." >&2
  exit 1
fi
