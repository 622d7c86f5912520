#!/usr/bin/env bash
# compose/test.sh: the end-to-end test of the Docker setup (a stage of
# `make test`). It builds the image from compose/Dockerfile, brings
# compose/queue.yml up under a project name of its own, runs the drills
# (crash the queue under load, isolate and heal a worker) and checks that
# nothing the queue acknowledged was lost. Then it removes the containers,
# volumes, networks and the image it created; the build cache stays, so
# the next run rebuilds only what changed.
#
# Prints PASS or FAIL per check; the last line is
#   "P% checks passed, F checks failed out of T"
# or, where no Docker engine can be had, "skipped: REASON" (exit 0).
#
# Without a running engine it runs docker-bootstrap.sh (as root), from
# $DSC_DOCKER_BOOTSTRAP or ../shared/tools/ beside the repository.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo="$(pwd)"
skip() {
  echo "skipped: $*"
  exit 0
}

# ---- a Docker engine, a compose command, a client that can use BuildKit ----
ensure_engine() {
  docker info >/dev/null 2>&1 && return 0
  local bootstrap=""
  for candidate in "${DSC_DOCKER_BOOTSTRAP:-}" "$repo/../shared/tools/docker-bootstrap.sh"; do
    if [[ -n "$candidate" && -x "$candidate" ]]; then
      bootstrap="$candidate"
      break
    fi
  done
  [[ -n "$bootstrap" ]] || skip "no Docker engine answers and no docker-bootstrap.sh to start one"
  [[ $(id -u) -eq 0 ]] || skip "no Docker engine answers (and docker-bootstrap.sh needs root)"
  echo "compose/test.sh: no Docker engine answers; running $bootstrap"
  "$bootstrap" || skip "docker-bootstrap.sh could not start an engine (see above)"
  docker info >/dev/null 2>&1 || skip "docker-bootstrap.sh ran, but no engine answers"
}

# The Dockerfile's cache mount needs BuildKit. A client with the buildx
# plugin has it; so has a client older than 23.0 (Debian's docker.io 20.10)
# on its own. A newer client without buildx (it may come first on PATH)
# cannot build with BuildKit at all.
pick_build_client() {
  local client major
  for client in docker /usr/bin/docker; do
    command -v "$client" >/dev/null || continue
    if "$client" buildx version >/dev/null 2>&1; then
      echo "$client"
      return 0
    fi
    major="$("$client" version --format '{{.Client.Version}}' 2>/dev/null | cut -d. -f1)"
    if [[ "$major" =~ ^[0-9]+$ && "$major" -lt 23 ]]; then
      echo "$client"
      return 0
    fi
  done
  return 1
}

ensure_engine
build_client="$(pick_build_client)" || skip "no docker client with BuildKit (install docker-buildx)"
if [[ -z "${DSC_COMPOSE:-}" ]] && ! docker compose version >/dev/null 2>&1 &&
  ! command -v docker-compose >/dev/null; then
  skip "neither 'docker compose' nor 'docker-compose' is installed"
fi
command -v curl >/dev/null || skip "curl is not installed"
source compose/drills/lib.sh  # compose detection, compose(), container_of, ...
drill_name=test

# ---- what this run creates, and removes at the end ---------------------------
run_id="$$"
image="dsc-compose-test:$run_id"
compose_file="$repo/compose/queue.yml"
compose_project="dsc-test-$run_id"
work="$(mktemp -d)"
# Compose reads these, and so do the drills.
export DSC_IMAGE="$image" COMPOSE_FILE="$compose_file" COMPOSE_PROJECT_NAME="$compose_project"

free_port() {
  local port
  for _ in $(seq 50); do
    port=$(( 20000 + RANDOM % 20000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return 0; }
  done
  return 1
}
DSC_QUEUE_PORT="$(free_port)" || skip "no free port on 127.0.0.1"
export DSC_QUEUE_PORT
url="http://127.0.0.1:$DSC_QUEUE_PORT"
setup_compose

cleanup() {
  echo "---- cleanup: project $compose_project, image $image"
  compose down -v --remove-orphans --timeout 5 >/dev/null 2>&1
  docker image rm "$image" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A run killed outright (no cleanup) leaves its project behind; on vfs
# that is hundreds of MB per container. Remove those of runs that are gone.
sweep_stale_runs() {
  local project pid
  for project in $(docker ps -a --format '{{.Label "com.docker.compose.project"}}' |
    grep -E '^dsc-test-[0-9]+$' | sort -u); do
    pid="${project#dsc-test-}"
    kill -0 "$pid" 2>/dev/null && continue
    echo "removing the leftovers of an earlier run: $project"
    COMPOSE_PROJECT_NAME="$project" compose_project="$project" \
      compose down -v --remove-orphans --timeout 5 >/dev/null 2>&1
  done
  for image_tag in $(docker images --format '{{.Repository}}:{{.Tag}}' dsc-compose-test); do
    kill -0 "${image_tag#*:}" 2>/dev/null || docker image rm "$image_tag" >/dev/null 2>&1
  done
}
sweep_stale_runs

# ---- checks --------------------------------------------------------------------
passed=0 failed=0
started_all=$SECONDS

# check NAME CMD...: runs CMD with its output indented; PASS when it succeeds.
check() {
  local name="$1" start=$SECONDS status
  shift
  echo "---- $name"
  "$@" 2>&1 | sed -u 's/^/    /'
  status=${PIPESTATUS[0]}
  if [[ $status -eq 0 ]]; then
    passed=$((passed + 1))
    echo "PASS $name ($(( SECONDS - start ))s)"
  else
    failed=$((failed + 1))
    echo "FAIL $name ($(( SECONDS - start ))s, status $status)"
  fi
  return "$status"
}

finish() {
  local total=$((passed + failed)) percent=100
  (( total > 0 )) && percent=$(( passed * 100 / total ))
  echo "compose/test.sh: $(( SECONDS - started_all ))s in all"
  cleanup
  trap - EXIT
  echo "${percent}% checks passed, ${failed} checks failed out of ${total}"
  (( failed == 0 ))
  exit
}

build_image() {
  DOCKER_BUILDKIT=1 "$build_client" build --network host --progress plain \
    -f compose/Dockerfile -t "$image" .
}

image_runs_as_non_root() {
  local out
  out="$(docker run --rm --entrypoint sh "$image" -c 'id; dsc queue serve --help | head -n 1')" ||
    return 1
  echo "$out"
  [[ "$out" != uid=0* && "$out" == *"Run a queue node"* ]]
}

stack_up() {
  compose up -d --no-build || return 1
  wait_healthy "$(container_of queue)" 90 || { echo "queue is not healthy"; return 1; }
  echo "queue healthy; GET $url/health:"
  curl -fsS --max-time 5 "$url/health" && echo
}

# stats_field NAME: a top-level number from GET /stats.
stats_field() {
  curl -fsS --max-time 5 "$url/stats" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"
}

producer_runs_once() {
  local out
  out="$(compose run --rm producer)" || return 1
  echo "$out" | tail -n 1
  grep -q 'created 100 (201)' <<<"$out"
}

workers_complete_all() {
  local start=$SECONDS pending processing
  while (( SECONDS - start < 60 )); do
    pending="$(stats_field pending)" processing="$(stats_field processing)"
    if [[ "$pending" == 0 && "$processing" == 0 ]]; then
      echo "completed: $(stats_field completed), pending 0, processing 0"
      return 0
    fi
    sleep 1
  done
  echo "still pending $pending, processing $processing after 60s"
  return 1
}

# The checker must be able to fail: a made-up id has to be reported lost.
verify_catches_a_lost_id() {
  cat "$work"/ids-* >"$work/with-bogus"
  echo t-0000000000000bad >>"$work/with-bogus"
  if compose/drills/queue-verify.sh --url "$url" --check-ids "$work/with-bogus" --timeout 5; then
    echo "queue-verify accepted an id the queue never acknowledged"
    return 1
  fi
  echo "(queue-verify failed, as it must)"
}

worker1_cannot_reach_queue() {
  compose/drills/isolate.sh worker1 || return 1
  if docker exec "$(container_of worker1)" curl -fsS --max-time 3 http://queue:7000/health; then
    echo "worker1 still reaches the queue"
    return 1
  fi
  echo "(worker1 cannot reach the queue, as it must not)"
}

heal_worker1() {
  compose/drills/heal.sh worker1 || return 1
  echo "worker1 -> queue:"
  docker exec "$(container_of worker1)" curl -fsS --max-time 3 http://queue:7000/health || return 1
  echo
  # Only the --alias given on reconnect makes the name resolve again.
  echo "queue -> worker1:"
  docker exec "$(container_of queue)" getent hosts worker1
}

# A request worker1 had in flight when it was cut off waits for TCP to
# retransmit (or for the client's read timeout), so worker1 may take a
# while to notice the heal. Keep a few tasks coming until it completes one.
worker1_works_after_heal() {
  local worker1 start=$SECONDS reply
  worker1="$(container_of worker1)"
  while (( SECONDS - start < 60 )); do
    if docker logs --since "$healed_at" "$worker1" 2>&1 | grep -q 'done in'; then
      echo "worker1 completed a task $(( $(date +%s) - healed_at ))s after the heal:"
      docker logs --since "$healed_at" "$worker1" 2>&1 | grep 'done in' | head -n 1
      return 0
    fi
    for _ in 1 2 3; do
      reply="$(curl -fsS --max-time 5 -d '{"payload":{"after":"heal"}}' "$url/tasks")" || continue
      sed -n 's/.*"id":"\([^"]*\)".*/\1/p' <<<"$reply" >>"$work/ids-4"
    done
    sleep 1
  done
  echo "worker1 completed no task within 60s of the heal; its log:"
  docker logs --tail 5 "$worker1" 2>&1
  return 1
}

down_removes_everything() {
  compose down -v --remove-orphans --timeout 5 || return 1
  local left
  left="$(docker ps -aq --filter "label=com.docker.compose.project=$compose_project")"
  left+="$(docker volume ls -q --filter "label=com.docker.compose.project=$compose_project")"
  left+="$(docker network ls -q --filter "label=com.docker.compose.project=$compose_project")"
  [[ -z "$left" ]] || { echo "left behind: $left"; return 1; }
  echo "no container, volume or network of $compose_project is left"
}

echo "compose/test.sh: ${compose_cmd[*]}, build with $build_client, project $compose_project," \
  "queue on $url"
check "compose/queue.yml is valid" compose config -q || finish
check "the image builds (compose/Dockerfile)" build_image || finish
check "the image runs dsc as a non-root user" image_runs_as_non_root
check "queue.yml comes up; the queue turns healthy" stack_up || finish
check "the one-shot producer enqueues 100 tasks and exits" producer_runs_once
check "the workers complete every task" workers_complete_all
check "crash drill: kill -9 the queue, it comes back healthy" compose/drills/crash.sh queue
check "crash under load: every acknowledged task survives and completes" \
  compose/drills/queue-verify.sh --url "$url" --count 200 --ids "$work/ids-1"
check "crash under load, again on the recovered volume" \
  compose/drills/queue-verify.sh --url "$url" --count 100 --crash-after 30 --ids "$work/ids-2"
check "queue-verify fails on a task that was never acknowledged" verify_catches_a_lost_id
check "isolate drill: worker1 cannot reach the queue" worker1_cannot_reach_queue
check "with worker1 isolated, the other workers complete new tasks" \
  compose/drills/queue-verify.sh --url "$url" --count 30 --crash-after 0 --ids "$work/ids-3" \
  --timeout 60
healed_at="$(date +%s)"
check "heal drill: worker1 and the queue find each other by name" heal_worker1
check "worker1 works again after the heal" worker1_works_after_heal
cat "$work"/ids-* >"$work/all-ids"
check "nothing acknowledged in any drill was lost; all completed" \
  compose/drills/queue-verify.sh --url "$url" --check-ids "$work/all-ids" --timeout 30
check "down -v removes the containers, volume and network" down_removes_everything
finish
