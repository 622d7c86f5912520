#!/usr/bin/env bash
# queue-verify.sh: the queue's promise, checked. Enqueue tasks, kill -9 the
# queue node in the middle, restart it, then check that every task the node
# acknowledged still exists and that the workers complete them all.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<EOF
Usage: compose/drills/queue-verify.sh [options]

1. Enqueues --count tasks with curl (POST /tasks), one at a time, and
   records the id of every task the node acknowledged.
2. Once --crash-after tasks are acknowledged, runs crash.sh on the queue
   service (kill -9, start, wait healthy) while the enqueues go on. An
   enqueue that gets no answer is retried with the same idempotency key,
   so a retry never makes a second task (the node answers 200 with the
   first one's id if it had already stored it).
3. Checks that GET /tasks/{id} finds every acknowledged id.
4. Waits up to --timeout seconds for the workers to complete them all.
Exits 0 when nothing acknowledged was lost and all were completed.

  -f, --file FILE        compose file (default: \$COMPOSE_FILE, else compose/queue.yml)
  -p, --project NAME     compose project (default: \$COMPOSE_PROJECT_NAME, else dsc-queue)
  --url URL              the queue as this machine sees it
                         (default: http://127.0.0.1:\${DSC_QUEUE_PORT:-7000})
  --service NAME         the queue's service name (default: queue)
  --count N              tasks to enqueue (default: 200)
  --crash-after N        crash once N are acknowledged (default: count/2; 0: no crash)
  --timeout SECONDS      how long the workers may take (default: 120)
  --ids FILE             also write the acknowledged ids to FILE
  --check-ids FILE       only run steps 3 and 4 for the ids in FILE (one a line)
  -h, --help             this help
EOF
}

url="http://127.0.0.1:${DSC_QUEUE_PORT:-7000}"
service=queue count=200 crash_after="" timeout=120 ids_out="" check_only=""
while [[ $# -gt 0 ]]; do
  if take_common_flag "$@"; then shift "$taken"; continue; fi
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --url) url="${2:?--url needs a URL}"; shift 2 ;;
    --service) service="${2:?--service needs a name}"; shift 2 ;;
    --count) count="${2:?--count needs a number}"; shift 2 ;;
    --crash-after) crash_after="${2:?--crash-after needs a number}"; shift 2 ;;
    --timeout) timeout="${2:?--timeout needs seconds}"; shift 2 ;;
    --ids) ids_out="${2:?--ids needs a file}"; shift 2 ;;
    --check-ids) check_only="${2:?--check-ids needs a file}"; shift 2 ;;
    *) usage >&2; die "unknown argument $1" ;;
  esac
done
[[ "$count" =~ ^[0-9]+$ && "$count" -gt 0 ]] || die "--count must be a positive number"
crash_after="${crash_after:-$(( count / 2 ))}"
[[ "$crash_after" =~ ^[0-9]+$ ]] || die "--crash-after must be a number"
command -v curl >/dev/null || die "curl is not installed"

work="$(mktemp -d)"
loader_pid=""
cleanup() {
  [[ -n "$loader_pid" ]] && kill "$loader_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
acked="$work/acked"       # one line per acknowledged task: ID CODE
gave_up="$work/gave_up"   # tasks never acknowledged: N REASON
touch "$acked" "$gave_up"

# enqueue_all: POSTs tasks 1..count. Each has its own idempotency key, so
# an enqueue that got no answer (the node was down, or died before
# replying) is safely retried for up to a minute.
enqueue_all() {
  local run="verify-$(date +%s)-$$" n attempt reply code body id
  for (( n = 1; n <= count; n++ )); do
    for (( attempt = 1; ; attempt++ )); do
      reply="$(curl -sS --max-time 5 -w '|%{http_code}' -H 'Content-Type: application/json' \
        -d "{\"payload\":{\"drill\":\"queue-verify\",\"n\":$n},\"idempotency_key\":\"$run-$n\"}" \
        "$url/tasks" 2>/dev/null)" || reply="|000"
      code="${reply##*|}" body="${reply%|*}"
      if [[ "$code" == 201 || "$code" == 200 ]]; then
        id="$(sed -n 's/.*"id":"\([^"]*\)".*/\1/p' <<<"$body")"
        echo "$id $code" >>"$acked"
        break
      fi
      if [[ "$code" != 000 && "$code" != 503 ]]; then  # refused: retrying cannot help
        echo "$n HTTP $code $body" >>"$gave_up"
        break
      fi
      if (( attempt >= 120 )); then
        echo "$n no answer for a minute" >>"$gave_up"
        break
      fi
      sleep 0.5
    done
  done
}

# task_states FILE: prints "ID STATUS" for each id in FILE, with one curl
# per 200 ids. STATUS is the task's (pending, processing, completed,
# failed), "missing" when GET /tasks/{id} answers 404, or "http-CODE"
# for any other answer (http-000: no answer at all).
task_states() {
  sed "s|^|$url/tasks/|" "$1" |
    { xargs -r -n 200 curl -sS --max-time 10 -H 'Connection: close' -w '|%{http_code}\n' 2>/dev/null || true; } |
    paste -d' ' "$1" - |
    sed -E 's/^([^ ]+) .*"status":"([a-z]+)".*\|200$/\1 \2/; s/^([^ ]+) .*\|404$/\1 missing/;
            s/^([^ ]+) .*\|([0-9]+)$/\1 http-\2/'
}

ids="$work/ids"
if [[ -n "$check_only" ]]; then
  [[ -f "$check_only" ]] || die "no file $check_only"
  sed '/^$/d' "$check_only" >"$ids"
  step "checking the $(wc -l <"$ids") ids in $check_only"
else
  setup_compose
  curl -fsS --max-time 5 "$url/health" >/dev/null || die "the queue does not answer at $url/health"
  step "1/4 enqueue $count tasks at $url (crash after $crash_after acknowledged)"
  enqueue_all &
  loader_pid=$!
  if (( crash_after > 0 )); then
    while (( $(wc -l <"$acked") < crash_after )) && kill -0 "$loader_pid" 2>/dev/null; do
      sleep 0.1
    done
    step "2/4 $(wc -l <"$acked") acknowledged so far: crash the queue now"
    "$drills_dir/crash.sh" -f "$compose_file" -p "$compose_project" "$service" | sed 's/^/    /'
  else
    step "2/4 no crash (--crash-after 0)"
  fi
  wait "$loader_pid" || die "the enqueue loop failed"
  loader_pid=""
  created="$(grep -c ' 201$' "$acked" || true)"
  repeated="$(grep -c ' 200$' "$acked" || true)"
  step "    acknowledged $(wc -l <"$acked") of $count: $created created (201), $repeated answered" \
    "200 (a retry: the first attempt had been stored before the crash)"
  if [[ -s "$gave_up" ]]; then
    step "    $(wc -l <"$gave_up") never acknowledged (not promised, so not checked):"
    head -n 5 "$gave_up" | sed 's/^/      /'
  fi
  cut -d' ' -f1 "$acked" >"$ids"
  if [[ "$(sort "$ids" | uniq -d | wc -l)" -ne 0 ]]; then
    die "the same id was acknowledged for two different tasks: $(sort "$ids" | uniq -d | head -n 3)"
  fi
  [[ -n "$ids_out" ]] && cp "$ids" "$ids_out"
fi
total="$(wc -l <"$ids")"
[[ "$total" -gt 0 ]] || die "no task was acknowledged: nothing to check"

step "3/4 every acknowledged id must still exist (GET /tasks/{id})"
task_states "$ids" >"$work/states"
missing="$(grep -c ' missing$' "$work/states" || true)"
if [[ "$missing" -ne 0 ]]; then
  step "    LOST: $missing of $total acknowledged tasks are not there (404):"
  grep ' missing$' "$work/states" | head -n 10 | sed 's/^/      /'
  die "$missing acknowledged task(s) lost"
fi
unknown="$(grep -cv -E ' (pending|processing|completed|failed)$' "$work/states" || true)"
if [[ "$unknown" -ne 0 ]]; then
  grep -v -E ' (pending|processing|completed|failed)$' "$work/states" | head -n 5 | sed 's/^/      /'
  die "could not check $unknown task(s): unexpected answers from $url (is the queue up?)"
fi
step "    all $total present"

step "4/4 wait up to ${timeout}s for the workers to complete all $total"
started=$SECONDS
while :; do
  done_count="$(grep -c ' completed$' "$work/states" || true)"
  if [[ "$done_count" -eq "$total" ]]; then break; fi
  if (( SECONDS - started >= timeout )); then
    step "    only $done_count of $total completed after ${timeout}s; not completed:"
    grep -v ' completed$' "$work/states" | head -n 10 | sed 's/^/      /'
    die "the workers did not complete every acknowledged task"
  fi
  step "    $done_count of $total completed"
  sleep 2
  task_states "$ids" >"$work/states"
done
step "OK: $total acknowledged, 0 lost, $total completed in $(( SECONDS - started ))s"
