#!/usr/bin/env bash
# heal.sh: reconnect a service's container (cut off by isolate.sh) to the
# project's networks, under its service name.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<EOF2
Usage: compose/drills/heal.sh [-s SYSTEM | -f FILE] [-p PROJECT] SERVICE

Ends a partition drill: connects SERVICE's container to every network of
the compose project it is not on. The service name is given again as a
DNS alias (--alias SERVICE): a plain reconnect would drop it, and the
others could no longer find SERVICE by name.

  -s, --system NAME     the system: compose/NAME.yml (queue, raft, ...)
  -f, --file FILE       compose file (default: \$COMPOSE_FILE, else compose/queue.yml)
  -p, --project NAME    compose project (default: \$COMPOSE_PROJECT_NAME, else dsc-SYSTEM)
  -h, --help            this help

Example:  compose/drills/heal.sh worker1
          compose/drills/heal.sh -s raft n2
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
mapfile -t wanted < <(project_networks)
[[ ${#wanted[@]} -gt 0 ]] || die "project $compose_project has no networks (is it up?)"
attached="$(networks_of "$id")"
healed=0
for network in "${wanted[@]}"; do
  if grep -qxF "$network" <<<"$attached"; then
    step "$service is already on network $network"
    continue
  fi
  step "connect $service to network $network (alias $service)"
  docker network connect --alias "$service" "$network" "$id"
  healed=$((healed + 1))
done
step "$service is connected again ($healed network(s) reconnected)"
