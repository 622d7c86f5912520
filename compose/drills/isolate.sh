#!/usr/bin/env bash
# isolate.sh: cut one service's container off every network (a partition
# of one). The process keeps running; it just cannot talk to anyone, nor
# anyone to it. compose/drills/heal.sh reconnects it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<EOF2
Usage: compose/drills/isolate.sh [-s SYSTEM | -f FILE] [-p PROJECT] SERVICE

Partition drill: disconnects SERVICE's container from each of its
networks (docker network disconnect). The process keeps running, unaware:
its requests fail and nobody can reach it. Undo it with heal.sh SERVICE.

  -s, --system NAME     the system: compose/NAME.yml (queue, raft, ...)
  -f, --file FILE       compose file (default: \$COMPOSE_FILE, else compose/queue.yml)
  -p, --project NAME    compose project (default: \$COMPOSE_PROJECT_NAME, else dsc-SYSTEM)
  -h, --help            this help

Example:  compose/drills/isolate.sh worker1
          compose/drills/isolate.sh -s raft n2
EOF2
}

service=""
while [[ $# -gt 0 ]]; do
  if take_common_flag "$@"; then shift "$taken"; continue; fi
  case "$1" in
    -h | --help) usage; exit 0 ;;
    -*) usage >&2; die "unknown option $1" ;;
    *) [[ -z "$service" ]] || die "one SERVICE only"; service="$1"; shift ;;
  esac
done
[[ -n "$service" ]] || { usage >&2; exit 2; }
setup_compose

id="$(container_of "$service")"
mapfile -t networks < <(networks_of "$id")
if [[ ${#networks[@]} -eq 0 ]]; then
  step "$service is already isolated (on no network)"
  exit 0
fi
for network in "${networks[@]}"; do
  step "disconnect $service from network $network"
  docker network disconnect "$network" "$id"
done
step "$service is isolated; heal it with: compose/drills/heal.sh $service"
