#!/usr/bin/env bash
# The README's second command: installs what the tests need (pnpm, the workspace, Debian's
# chromium for the browser test), then runs every test with `pnpm test`.
set -euo pipefail
cd "$(dirname "$0")/.."

MCP_AUTH_SETUP_CHROMIUM=1
# shellcheck source=scripts/setup.sh
. scripts/setup.sh

pnpm test
