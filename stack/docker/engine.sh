#!/usr/bin/env bash
# A private Docker engine for the suite, started only when no engine is reachable: its own data root,
# exec root and socket, so a user's own engine and its configuration are never touched.
#   engine.sh start   start it if it is not running; print its DOCKER_HOST
#   engine.sh stop    stop it (only the one this script started)
#   engine.sh host    print its DOCKER_HOST if it answers, else exit 1
# Needs root and Debian's docker.io (apt-get install docker.io). Without a bridge or iptables the engine runs
# containers with host networking only, which is all the stack uses.
set -euo pipefail

if [[ $(id -u) -eq 0 ]]; then
  state="${SUITE_DOCKER_STATE:-/var/lib/mistralrs-suite/docker}"
else
  state="${SUITE_DOCKER_STATE:-${XDG_CACHE_HOME:-$HOME/.cache}/mistralrs-suite/docker}"
fi
socket="$state/docker.sock"
pidfile="$state/dockerd.pid"
host="unix://$socket"

answers() { DOCKER_HOST="$host" timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

case "${1:-}" in
  start)
    if answers; then echo "$host"; exit 0; fi
    command -v dockerd >/dev/null || { echo "dockerd is not installed (apt-get install docker.io)" >&2; exit 1; }
    [[ $(id -u) -eq 0 ]] || { echo "a private dockerd needs root" >&2; exit 1; }
    mkdir -p "$state/data" "$state/exec"
    # An empty configuration of its own keeps /etc/docker/daemon.json out; vfs works on any filesystem.
    echo '{}' > "$state/daemon.json"
    setsid dockerd --config-file "$state/daemon.json" --storage-driver vfs --iptables=false --ip6tables=false --bridge=none \
      --data-root "$state/data" --exec-root "$state/exec" --pidfile "$pidfile" -H "$host" \
      > "$state/dockerd.log" 2>&1 < /dev/null &
    for _ in $(seq 1 120); do
      if answers; then echo "$host"; exit 0; fi
      kill -0 $! 2>/dev/null || break
      sleep 0.5
    done
    echo "the private dockerd did not answer on $socket; its log:" >&2
    tail -20 "$state/dockerd.log" >&2
    exit 1
    ;;
  stop)
    [[ -f "$pidfile" ]] || exit 0
    pid=$(cat "$pidfile")
    kill -TERM "$pid" 2>/dev/null || exit 0
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.5; done
    echo "dockerd $pid did not stop within 30 s" >&2
    exit 1
    ;;
  host)
    answers && echo "$host"
    ;;
  *)
    echo "usage: $0 start|stop|host" >&2
    exit 2
    ;;
esac
