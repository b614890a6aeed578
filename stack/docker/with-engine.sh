#!/usr/bin/env bash
# Run a command with DOCKER_HOST set to an engine that answers: the user's (DOCKER_HOST or the default socket) when it
# does, else the suite's private one (engine.sh), which is stopped again afterwards if this script started it.
#   with-engine.sh COMMAND [ARG...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
  exec "$@"
fi
if private=$("$here/engine.sh" host); then
  DOCKER_HOST="$private" exec "$@"
fi
echo "No Docker engine answers; starting the suite's private one ($here/engine.sh)." >&2
private=$("$here/engine.sh" start)
trap '"$here/engine.sh" stop' EXIT
# Not exec: the engine is stopped when the command ends, however it ends. Ctrl-C or SIGTERM reach the command as
# SIGTERM (the suite cleans up on it), and the engine stops after the command has removed its containers.
DOCKER_HOST="$private" "$@" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null || true' TERM INT
status=0
while kill -0 "$child" 2>/dev/null; do
  if wait "$child"; then status=0; else status=$?; fi
done
exit $status
