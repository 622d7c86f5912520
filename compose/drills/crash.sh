#!/usr/bin/env bash
# crash.sh: kill -9 one service's container, start it again, wait until
# it is healthy. Its volume keeps its data, so it must come back with
# everything it had acknowledged.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<EOF
Usage: compose/drills/crash.sh [-s SYSTEM | -f FILE] [-p PROJECT] [--down-for SECONDS] SERVICE

Crash drill: sends SIGKILL to SERVICE's container (no clean shutdown, like
a power cut for the process), leaves it dead for --down-for seconds
(default 0), starts the same container again (same volume) and waits up to
--timeout seconds (default 90) for its health check to pass.

  -s, --system NAME     the system: compose/NAME.yml (queue, raft, ...)
  -f, --file FILE       compose file (default: \$COMPOSE_FILE, else compose/queue.yml)
  -p, --project NAME    compose project (default: \$COMPOSE_PROJECT_NAME, else dsc-SYSTEM)
  --down-for SECONDS    how long the service stays dead (watch the others meanwhile)
  --timeout SECONDS     how long to wait for it to be healthy again
  -h, --help            this help

Example:  compose/drills/crash.sh --down-for 5 queue
          compose/drills/crash.sh -s raft n1
EOF
}

service="" down_for=0 timeout=90
while [[ $# -gt 0 ]]; do
  if take_common_flag "$@"; then shift "$taken"; continue; fi
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --down-for) down_for="${2:?--down-for needs seconds}"; shift 2 ;;
    --timeout) timeout="${2:?--timeout needs seconds}"; shift 2 ;;
    -*) usage >&2; die "unknown option $1" ;;
    *) [[ -z "$service" ]] || die "one SERVICE only"; service="$1"; shift ;;
  esac
done
[[ -n "$service" ]] || { usage >&2; exit 2; }
[[ "$down_for" =~ ^[0-9]+$ && "$timeout" =~ ^[0-9]+$ ]] || die "--down-for and --timeout take whole seconds"
setup_compose

id="$(container_of "$service")"
name="$(container_name "$id")"
state="$(docker inspect -f '{{.State.Status}}' "$id")"
if [[ "$state" == running ]]; then
  step "1/3 kill -9 $service (container $name)"
  docker kill -s KILL "$id" >/dev/null
  step "    $service is now: $(docker inspect -f '{{.State.Status}}, exit code {{.State.ExitCode}}' "$id")"
else
  step "1/3 $service is not running ($state): nothing to kill"
fi
if (( down_for > 0 )); then
  step "    leaving it dead for ${down_for}s"
  sleep "$down_for"
fi

step "2/3 start $service again (same container, same volume)"
started=$SECONDS
docker start "$id" >/dev/null

step "3/3 wait until $service is healthy"
if ! wait_healthy "$id" "$timeout"; then
  die "$service is not healthy after ${timeout}s (state: $(health_of "$id")); see: docker logs $name"
fi
step "$service is back: $(health_of "$id") after $(( SECONDS - started ))s"
