#!/usr/bin/env bash
# The README's first command: on a fresh machine, install what is needed and run the demo.
#   bash scripts/demo.sh [--sample express|fastify|hono]
# Needs Node.js >= 20.19 and npm. Installs pnpm 12.4.2 under ~/.local if it is missing, then
# installs the workspace from the lockfile, builds it and runs `pnpm demo` (arguments passed on).
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/setup.sh
. scripts/setup.sh

pnpm build
pnpm demo "$@"
