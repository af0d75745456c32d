#!/usr/bin/env bash
# The README's first command: on a fresh machine, install what is needed and run the demo.
#   scripts/demo.sh [--sample express|fastify|hono]
# Needs Node.js >= 20.19 and npm. Installs pnpm 12.4.2 under ~/.local if it is missing, then
# installs the workspace from the lockfile, builds it and runs `pnpm demo` (arguments passed on).
set -euo pipefail
cd "$(dirname "$0")/.."

export TURBO_TELEMETRY_DISABLED=1

if ! command -v node >/dev/null 2>&1; then
  echo "demo.sh: Node.js >= 20.19 is required (node was not found on PATH)" >&2
  exit 1
fi
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  echo "demo.sh: Node.js >= 20.19 is required (found $(node --version))" >&2
  exit 1
fi

PNPM_VERSION=12.4.2
PNPM_PREFIX="$HOME/.local/pnpm-$PNPM_VERSION"
if [ "$("$PNPM_PREFIX/bin/pnpm" --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  echo "demo.sh: installing pnpm $PNPM_VERSION into $PNPM_PREFIX"
  npm install -g --prefix "$PNPM_PREFIX" --allow-scripts=pnpm -E "pnpm@$PNPM_VERSION"
fi
export PATH="$PNPM_PREFIX/bin:$PATH"

pnpm install --frozen-lockfile
pnpm build
pnpm demo "$@"
