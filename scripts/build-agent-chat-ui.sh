#!/usr/bin/env bash
# Build LangChain's Agent Chat UI for the browser e2e tests into .cache/agent-chat-ui/<api port> (idempotent).
#   usage: scripts/build-agent-chat-ui.sh [API_PORT] [ASSISTANT_ID]
#   API_PORT defaults to $FRACTALOPS_CHAT_UI_PORT or 28124; ASSISTANT_ID defaults to squad.
# NEXT_PUBLIC_API_URL is baked in at build time, so one build serves exactly one server port. A build counts as
# done only when its stamp file (written last) names the same API URL, assistant and tool; otherwise the directory
# is wiped and rebuilt. Prints the build directory on the last line of stdout.
set -euo pipefail

port="${1:-${FRACTALOPS_CHAT_UI_PORT:-28124}}"
assistant="${2:-squad}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tool="${FRACTALOPS_CHAT_UI_TOOL:-/work/shared/tools/build-agent-chat-ui}"
cache="${FRACTALOPS_CHAT_UI_CACHE:-$root/.cache/agent-chat-ui}"
dest="$cache/$port"
stamp="$dest/.fractalops-build-stamp"
want="api=http://127.0.0.1:$port assistant=$assistant tool=$tool"

[[ "$port" =~ ^[0-9]+$ ]] || { echo "API_PORT must be a number, got '$port'" >&2; exit 2; }
mkdir -p "$cache"
exec 9>"$cache/.lock-$port"
flock 9   # two test sessions must not build into the same directory at once

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -f "$dest/.next/BUILD_ID" ]]; then
  echo "Agent Chat UI already built for http://127.0.0.1:$port (assistant $assistant)"
  echo "$dest"
  exit 0
fi

[[ -x "$tool" ]] || { echo "build tool not found or not executable: $tool (set FRACTALOPS_CHAT_UI_TOOL)" >&2; exit 1; }
command -v node >/dev/null && command -v npx >/dev/null \
  || { echo "node/npx not found: install Node.js >= 20 (make system-deps) and re-run $0" >&2; exit 1; }

rm -rf "$dest"
start=$(date +%s)
"$tool" "$dest" "http://127.0.0.1:$port" "$assistant"
echo "$want" > "$stamp"
echo "built in $(( $(date +%s) - start ))s"
echo "$dest"
