#!/usr/bin/env bash
# compose/test.sh: the end-to-end test of the Docker setup (a stage of
# `make test`). It builds the image from compose/Dockerfile once, then for
# each system brings its compose file up under a project name of its own
# and runs the drills:
#   queue: crash the queue under load, isolate and heal a worker, and check
#          that nothing the queue acknowledged was lost;
#   raft:  find the leader, write, kill -9 the leader, wait for a new one,
#          restart the old one, crash a leader under load, isolate a node
#          (docker network disconnect) and reconnect it, and check that no
#          acknowledged write was lost.
# Then it removes the containers, volumes, networks and the image it
# created; the build cache stays, so the next run rebuilds only what
# changed.
#
#   compose/test.sh              # every system
#   compose/test.sh raft         # only these (queue, raft)
#   DSC_TEST_IMAGE=dsc:latest compose/test.sh raft
#                                # use that image as it is: no build, and
#                                # the image stays (quick reruns)
#
# Prints PASS or FAIL per check; the last line is
#   "P% checks passed, F checks failed out of T"
# or, where no Docker engine can be had, "skipped: REASON" (exit 0).
#
# Without a running engine it runs (as root) $DSC_DOCKER_BOOTSTRAP when that
# is set, else the project's scripts/docker-bootstrap.sh, which installs
# and starts one (docs/MACHINE.md, "Docker").
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo="$(pwd)"
skip() {
  echo "skipped: $*"
  exit 0
}

all_systems=(queue raft)
systems=("$@")
[[ ${#systems[@]} -gt 0 ]] || systems=("${all_systems[@]}")
for system in "${systems[@]}"; do
  [[ " ${all_systems[*]} " == *" $system "* ]] || {
    echo "compose/test.sh: unknown system '$system' (known: ${all_systems[*]})" >&2
    exit 2
  }
done
wants() { [[ " ${systems[*]} " == *" $1 "* ]]; }

# ---- a Docker engine, a compose command, a client that can use BuildKit ----
ensure_engine() {
  docker info >/dev/null 2>&1 && return 0
  local bootstrap=""
  for candidate in "${DSC_DOCKER_BOOTSTRAP:-}" "$repo/scripts/docker-bootstrap.sh"; do
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
image="${DSC_TEST_IMAGE:-dsc-compose-test:$run_id}"
work="$(mktemp -d)"
# Compose reads DSC_IMAGE; use_system exports the file and project too, so
# the drills run without -f and -p.
export DSC_IMAGE="$image"

# use_system SYSTEM: point compose() and the drills at compose/SYSTEM.yml,
# project dsc-test-SYSTEM-PID.
use_system() {
  compose_file="$repo/compose/$1.yml"
  compose_project="dsc-test-$1-$run_id"
  export COMPOSE_FILE="$compose_file" COMPOSE_PROJECT_NAME="$compose_project"
}

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
raft_urls=()
for n in 1 2 3 4 5; do
  port="$(free_port)" || skip "no free port on 127.0.0.1"
  export "DSC_RAFT_N${n}_PORT=$port"
  raft_urls+=("http://127.0.0.1:$port")
done
use_system queue
setup_compose

cleanup() {
  local system
  for system in "${all_systems[@]}"; do
    use_system "$system"
    echo "---- cleanup: project $compose_project"
    compose down -v --remove-orphans --timeout 5 >/dev/null 2>&1
  done
  if [[ -z "${DSC_TEST_IMAGE:-}" ]]; then
    echo "---- cleanup: image $image"
    docker image rm "$image" >/dev/null 2>&1
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A run killed outright (no cleanup) leaves its projects behind; on vfs
# that is hundreds of MB per container. Remove those of runs that are gone
# (dsc-test-SYSTEM-PID; dsc-test-PID was the queue's, before raft.yml).
sweep_stale_runs() {
  local project pid system
  for project in $(docker ps -a --format '{{.Label "com.docker.compose.project"}}' |
    grep -E '^dsc-test-([a-z]+-)?[0-9]+$' | sort -u); do
    pid="${project##*-}"
    kill -0 "$pid" 2>/dev/null && continue
    system="$(sed -E 's/^dsc-test-(([a-z]+)-)?[0-9]+$/\2/' <<<"$project")"
    [[ -f "$repo/compose/${system:-queue}.yml" ]] || continue
    echo "removing the leftovers of an earlier run: $project"
    compose_file="$repo/compose/${system:-queue}.yml" compose_project="$project" \
      compose down -v --remove-orphans --timeout 5 >/dev/null 2>&1
  done
  for image_tag in $(docker images --format '{{.Repository}}:{{.Tag}}' dsc-compose-test); do
    kill -0 "${image_tag#*:}" 2>/dev/null || docker image rm "$image_tag" >/dev/null 2>&1
  done
  use_system queue
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
  if [[ -n "${DSC_TEST_IMAGE:-}" ]]; then
    echo "DSC_TEST_IMAGE=$image: using it as it is, not building"
    docker image inspect -f 'created {{.Created}}' "$image"
    return
  fi
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

# ---- raft ------------------------------------------------------------------------
raft_urls_csv() { local IFS=,; echo "${raft_urls[*]}"; }

# raft_url ID: the published URL of node ID (n1..n5).
raft_url() { echo "${raft_urls[$(( ${1#n} - 1 ))]}"; }

# raft_field JSON NAME: a string or number field of a /status reply.
raft_field() { sed -n -E "s/.*\"$2\":\"?([^\",}]*)\"?[,}].*/\1/p" <<<"$1"; }

# raft_status ID: GET /status of node ID, on its published port, or else
# from inside its container (that works even while the container is cut
# off from every network).
raft_status() {
  local id="$1" port=$(( 7400 + ${1#n} ))
  curl -fsS --max-time 1 "$(raft_url "$id")/status" 2>/dev/null ||
    docker exec "$(container_of "$id")" curl -fsS --max-time 2 "http://127.0.0.1:$port/status" \
      2>/dev/null
}

# raft_agreed_leader ID...: prints the leader when every listed node names
# the same one and that one says it leads; fails otherwise.
raft_agreed_leader() {
  local id status leader="" named
  for id in "$@"; do
    status="$(raft_status "$id")" || return 1
    named="$(raft_field "$status" leader)"
    [[ -n "$named" && "$named" != null ]] || return 1
    [[ -z "$leader" || "$named" == "$leader" ]] || return 1
    leader="$named"
  done
  [[ " $* " == *" $leader "* ]] || return 1
  [[ "$(raft_field "$(raft_status "$leader")" state)" == leader ]] || return 1
  echo "$leader"
}

# wait_raft_leader SECONDS ID...: waits until the listed nodes agree on a
# leader; remembers it (recall leader) and prints each node's status.
wait_raft_leader() {
  local limit="$1" start=$SECONDS id status found
  shift
  while ! found="$(raft_agreed_leader "$@")"; do
    if (( SECONDS - start >= limit )); then
      echo "no agreed leader among $* after ${limit}s:"
      for id in "$@"; do echo "  $id: $(raft_status "$id" || echo 'no answer')"; done
      return 1
    fi
    sleep 0.5
  done
  remember leader "$found"
  echo "leader: $found (after $(( SECONDS - start ))s)"
  for id in "$@"; do
    status="$(raft_status "$id")"
    echo "  $id: $(raft_field "$status" state), term $(raft_field "$status" term)," \
      "commit_index $(raft_field "$status" commit_index)"
  done
}

raft_nodes=(n1 n2 n3 n4 n5)

# check runs each step in a pipeline, that is in a subshell: what one step
# learns (who leads, who was killed or cut off) goes through files.
remember() { echo "$2" >"$work/raft-$1"; }
recall() { cat "$work/raft-$1" 2>/dev/null; }

raft_up() {
  compose up -d --no-build || return 1
  local id
  for id in "${raft_nodes[@]}"; do
    wait_healthy "$(container_of "$id")" 90 || { echo "$id is not healthy"; return 1; }
    echo "$id healthy on $(raft_url "$id")"
  done
}

raft_verify() { compose/drills/raft-verify.sh --url "$(raft_urls_csv)" "$@"; }

# Kills the leader with SIGKILL (no clean shutdown) and leaves it dead.
kill_raft_leader() {
  local id old_leader
  old_leader="$(recall leader)"
  remember old_leader "$old_leader"
  id="$(container_of "$old_leader")"
  echo "docker kill -s KILL $(container_name "$id")  ($old_leader, the leader)"
  docker kill -s KILL "$id" >/dev/null || return 1
  echo "$old_leader is now:" \
    "$(docker inspect -f '{{.State.Status}}, exit code {{.State.ExitCode}}' "$id")"
  [[ "$(docker inspect -f '{{.State.Status}}' "$id")" == exited ]]
}

# The four others (everyone but $1).
others_than() {
  local id
  for id in "${raft_nodes[@]}"; do [[ "$id" == "$1" ]] || echo "$id"; done
}

new_leader_among_the_rest() {
  local rest
  mapfile -t rest < <(others_than "$(recall old_leader)")
  wait_raft_leader 30 "${rest[@]}"
}

# restart_and_catch_up: starts the killed old leader again (same
# container, same volume), waits until it is healthy and has caught up.
restart_and_catch_up() {
  local id cid
  id="$(recall old_leader)"
  cid="$(container_of "$id")"
  echo "docker start $(container_name "$cid")  ($id, the old leader)"
  docker start "$cid" >/dev/null || return 1
  wait_healthy "$cid" 90 || { echo "$id is not healthy after its restart"; return 1; }
  echo "$id is healthy again"
  catch_up "$id"
}

# catch_up ID: waits until ID follows the leader and has applied at least
# the leader's commit index of now.
catch_up() {
  local id="$1" leader status target start=$SECONDS
  leader="$(recall leader)"
  target="$(raft_field "$(raft_status "$leader")" commit_index)"
  while (( SECONDS - start < 30 )); do
    status="$(raft_status "$id")"
    if [[ "$(raft_field "$status" state)" == follower &&
      "$(raft_field "$status" leader)" == "$leader" &&
      "$(raft_field "$status" last_applied)" -ge "$target" ]]; then
      echo "$id: follower of $leader, applied $(raft_field "$status" last_applied) (leader's" \
        "commit index was $target)"
      return 0
    fi
    sleep 0.5
  done
  echo "$id did not catch up within 30s: $status"
  return 1
}

# Isolates the leader: it must lose touch with the others, and they must
# elect a new leader without it.
isolate_raft_leader() {
  local isolated other
  isolated="$(recall leader)"
  remember isolated "$isolated"
  other="$(others_than "$isolated" | head -n 1)"
  compose/drills/isolate.sh "$isolated" || return 1
  if docker exec "$(container_of "$isolated")" curl -fsS --max-time 3 \
    "http://$other:$(( 7400 + ${other#n} ))/health" >/dev/null 2>&1; then
    echo "$isolated still reaches $other"
    return 1
  fi
  echo "($isolated cannot reach $other, as it must not)"
}

majority_elects_without() {
  remember old_leader "$(recall isolated)"
  new_leader_among_the_rest
}

# Check-quorum (thesis §6.2): a leader that hears from no majority for an
# election timeout steps down, so it stops serving reads it cannot confirm.
isolated_leader_steps_down() {
  local isolated start=$SECONDS status
  isolated="$(recall isolated)"
  while (( SECONDS - start < 30 )); do
    status="$(raft_status "$isolated")"
    if [[ -n "$status" && "$(raft_field "$status" state)" != leader ]]; then
      echo "$isolated, cut off: $(raft_field "$status" state), term $(raft_field "$status" term)"
      return 0
    fi
    sleep 0.5
  done
  echo "$isolated still says it leads after 30s alone: $status"
  return 1
}

heal_isolated() {
  local isolated
  isolated="$(recall isolated)"
  compose/drills/heal.sh "$isolated" || return 1
  catch_up "$isolated"
}

# The checker must be able to fail: a made-up key has to be reported lost.
raft_verify_catches_a_lost_key() {
  cat "$work"/raft-keys >"$work/raft-with-bogus"
  echo "never-written-key some-value" >>"$work/raft-with-bogus"
  if raft_verify --check-keys "$work/raft-with-bogus" --give-up-after 10; then
    echo "raft-verify accepted a key the cluster never acknowledged"
    return 1
  fi
  echo "(raft-verify failed, as it must)"
}

run_queue() {
  use_system queue
  echo "==== queue: compose/queue.yml, project $compose_project, queue on $url"
  check "queue.yml comes up; the queue turns healthy" stack_up || return
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
}

run_raft() {
  use_system raft
  echo "==== raft: compose/raft.yml, project $compose_project, nodes on $(raft_urls_csv)"
  check "raft.yml comes up; all five nodes turn healthy" raft_up || return
  check "the five nodes agree on one leader" wait_raft_leader 60 "${raft_nodes[@]}" || return
  check "writes through any node, following 421, are all readable" \
    raft_verify --count 100 --keys "$work/raft-keys"
  check "crash drill: kill -s KILL the leader container" kill_raft_leader || return
  check "the four others elect a new leader" new_leader_among_the_rest || return
  check "with the old leader dead, writes go on and are readable" \
    raft_verify --count 50 --keys "$work/raft-keys"
  check "the old leader restarts on its volume and catches up as a follower" \
    restart_and_catch_up
  check "crash under load: kill -9 the leader mid-writes; every acknowledged write is there" \
    raft_verify --count 100 --crash-leader-after 30 --keys "$work/raft-keys"
  check "the cluster agrees on a leader after that crash" wait_raft_leader 60 "${raft_nodes[@]}" ||
    return
  check "isolate drill: the leader is cut off (docker network disconnect)" isolate_raft_leader
  check "the four others elect a new leader without it" majority_elects_without
  check "the isolated old leader steps down (check-quorum)" isolated_leader_steps_down
  check "with a node cut off, writes go on and are readable" \
    raft_verify --count 50 --keys "$work/raft-keys"
  check "heal drill: it reconnects under its name, follows the leader and catches up" heal_isolated
  check "nothing acknowledged in any raft drill was lost" \
    raft_verify --check-keys "$work/raft-keys"
  check "raft-verify fails on a key that was never acknowledged" raft_verify_catches_a_lost_key
  check "down -v removes the containers, volumes and network" down_removes_everything
}

echo "compose/test.sh: ${compose_cmd[*]}, build with $build_client, systems: ${systems[*]}"
for system in "${systems[@]}"; do
  use_system "$system"
  check "compose/$system.yml is valid" compose config -q || finish
done
check "the image builds (compose/Dockerfile)" build_image || finish
check "the image runs dsc as a non-root user" image_runs_as_non_root
wants queue && run_queue
wants raft && run_raft
finish
