#!/usr/bin/env bash
# Sourced by scripts/demo.sh, scripts/test.sh and .ci/run: makes sure Node.js is recent enough,
# installs pnpm 12.4.2 under ~/.local when it is missing and puts it on PATH, installs Debian's
# chromium and redis-server when asked (MCP_AUTH_SETUP_CHROMIUM=1, for the headless-browser test
# and the tests against a real Redis), then installs the workspace from the lockfile.

if ! command -v node >/dev/null 2>&1; then
  echo "setup: Node.js >= 20.19 is required (node was not found on PATH)" >&2
  exit 1
fi
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  echo "setup: Node.js >= 20.19 is required (found $(node --version))" >&2
  exit 1
fi

export TURBO_TELEMETRY_DISABLED=1

PNPM_VERSION=12.4.2
PNPM_PREFIX="$HOME/.local/pnpm-$PNPM_VERSION"
if [ "$("$PNPM_PREFIX/bin/pnpm" --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  echo "setup: installing pnpm $PNPM_VERSION into $PNPM_PREFIX"
  npm install -g --prefix "$PNPM_PREFIX" --allow-scripts=pnpm -E "pnpm@$PNPM_VERSION"
fi
export PATH="$PNPM_PREFIX/bin:$PATH"

if [ "${MCP_AUTH_SETUP_CHROMIUM:-0}" = 1 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium redis-server >/dev/null
  elif ! [ -x /usr/bin/chromium ] || ! [ -x /usr/bin/redis-server ]; then
    echo "setup: the tests need Debian's chromium and redis-server: sudo apt-get install -y chromium redis-server" >&2
    exit 1
  fi
fi

pnpm install --frozen-lockfile
