#!/usr/bin/env bash
# raft-verify.sh: the Raft KV store's promise, checked. Write keys through
# the cluster (following the leader), optionally kill -9 the leader in the
# middle, then read every acknowledged key back and compare its value.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
compose_file="${COMPOSE_FILE:-$repo_root/compose/raft.yml}"

usage() {
  cat <<EOF
Usage: compose/drills/raft-verify.sh [options]

1. Asks every node for GET /status, to learn which URL is which node
   (a 421 names the leader by id, and its leader_url uses the service
   name, which this machine may not resolve).
2. Writes --count keys with curl (PUT /kv/KEY), one at a time, each to the
   node it believes leads. A 421 sends it to the leader the node names; a
   503 or no answer is retried (the leader may be dead: then the next
   node) for up to --give-up-after seconds. Every write carries
   ?client=RUN&seq=N, so a retry is applied at most once (the node answers
   "duplicate":true when the first attempt had been applied).
   With --crash-leader-after N, once N keys are acknowledged it runs
   crash.sh on the leader's service (kill -9, start, wait healthy) while
   the writes go on.
3. Reads every acknowledged key back (a linearizable GET, through the
   leader) and checks it has the value written.
Exits 0 when every acknowledged key has its value.

  -s, --system NAME        the system: compose/NAME.yml (default: raft)
  -f, --file FILE          compose file (default: \$COMPOSE_FILE, else compose/raft.yml)
  -p, --project NAME       compose project (default: \$COMPOSE_PROJECT_NAME, else dsc-raft)
  --url URL[,URL...]       the nodes as this machine sees them (default:
                           http://127.0.0.1:\${DSC_RAFT_N1_PORT:-7401}, ... N5, 7405)
  --count N                keys to write (default: 100)
  --crash-leader-after N   kill -9 the leader once N keys are acknowledged
                           (default: 0, no crash; needs the compose project)
  --give-up-after SECONDS  how long one key may go unacknowledged (default: 60)
  --prefix TEXT            key prefix (default: verify-TIME-PID)
  --keys FILE              also append the acknowledged "KEY VALUE" lines to FILE
  --check-keys FILE        only run step 3 for the "KEY VALUE" lines in FILE
  -h, --help               this help

Without --crash-leader-after it needs no Docker at all: it also checks a
\`dsc lab up raft\` cluster, whose nodes are on the same default ports.
EOF
}

urls_flag="" count=100 crash_after=0 give_up=60 prefix="verify-$(date +%s)-$$"
keys_out="" check_only=""
while [[ $# -gt 0 ]]; do
  if take_common_flag "$@"; then shift "$taken"; continue; fi
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --url) urls_flag="${2:?--url needs URLs}"; shift 2 ;;
    --count) count="${2:?--count needs a number}"; shift 2 ;;
    --crash-leader-after) crash_after="${2:?--crash-leader-after needs a number}"; shift 2 ;;
    --give-up-after) give_up="${2:?--give-up-after needs seconds}"; shift 2 ;;
    --prefix) prefix="${2:?--prefix needs a text}"; shift 2 ;;
    --keys) keys_out="${2:?--keys needs a file}"; shift 2 ;;
    --check-keys) check_only="${2:?--check-keys needs a file}"; shift 2 ;;
    *) usage >&2; die "unknown argument $1" ;;
  esac
done
[[ "$count" =~ ^[0-9]+$ && "$count" -gt 0 ]] || die "--count must be a positive number"
[[ "$crash_after" =~ ^[0-9]+$ ]] || die "--crash-leader-after must be a number"
[[ "$give_up" =~ ^[0-9]+$ ]] || die "--give-up-after takes whole seconds"
[[ "$prefix" =~ ^[A-Za-z0-9._-]+$ ]] || die "--prefix may use letters, digits, . _ - only"
command -v curl >/dev/null || die "curl is not installed"

if [[ -n "$urls_flag" ]]; then
  IFS=, read -r -a urls <<<"$urls_flag"
else
  urls=()
  for n in 1 2 3 4 5; do
    var="DSC_RAFT_N${n}_PORT"
    urls+=("http://127.0.0.1:${!var:-740$n}")
  done
fi

work="$(mktemp -d)"
writer_pid=""
cleanup() {
  [[ -n "$writer_pid" ]] && kill "$writer_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
acked="$work/acked"      # one line per acknowledged key: KEY VALUE
gave_up="$work/gave_up"  # keys never acknowledged: KEY REASON
touch "$acked" "$gave_up"

# json_field NAME JSON: the value of a string field ("" for null or absent).
json_field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p" <<<"$2"; }

# ---- the leader-following request ------------------------------------------------
declare -A url_of  # node id -> its URL from this machine
current=""         # the URL we believe leads
next=0             # where in urls to try next

# learn_nodes: GET /status of every URL; fills url_of. Prints one line per
# node when asked to (learn_nodes say).
learn_nodes() {
  local url status id
  for url in "${urls[@]}"; do
    if status="$(curl -fsS --max-time 2 "$url/status" 2>/dev/null)"; then
      id="$(json_field id "$status")"
      url_of[$id]="$url"
      [[ "${1:-}" == say ]] && step "    $url is $id: $(json_field state "$status")," \
        "term $(sed -n 's/.*"term":\([0-9]*\).*/\1/p' <<<"$status")," \
        "leader $(json_field leader "$status")"
    elif [[ "${1:-}" == say ]]; then
      step "    $url does not answer"
    fi
  done
  return 0
}

next_url() {
  current="${urls[$((next % ${#urls[@]}))]}"
  next=$((next + 1))
}

# call METHOD PATH [DATA]: sends the request to the leader, wherever it is,
# and sets `code` and `body`. 421: go to the leader it names (by id, via
# url_of). 503 (outcome unknown) and no answer: wait, then try again (the
# same node for 503, the next one for no answer). Fails after give_up s.
code="" body=""
call() {
  local method="$1" path="$2" start=$SECONDS hops=0 reply leader
  local args=(-sS --max-time 10 -X "$method" -w '\n%{http_code}')
  [[ $# -ge 3 ]] && args+=(--data-binary "$3")
  [[ -n "$current" ]] || next_url
  while :; do
    reply="$(curl "${args[@]}" "$current$path" 2>/dev/null)" || reply=$'\n000'
    code="${reply##*$'\n'}" body="${reply%$'\n'*}"
    case "$code" in
      421)
        leader="$(json_field leader "$body")"
        [[ -n "$leader" && -z "${url_of[$leader]:-}" ]] && learn_nodes
        if [[ -n "$leader" && -n "${url_of[$leader]:-}" && "${url_of[$leader]}" != "$current" ]] &&
          (( hops < ${#urls[@]} )); then
          current="${url_of[$leader]}" hops=$((hops + 1))
          continue  # a fresh hint: no pause
        fi
        next_url  # no leader known (an election is on): ask another node
        ;;
      000) next_url ;;  # dead, or cut off: the next node
      503) ;;           # outcome unknown: the same node again, same seq
      *) return 0 ;;
    esac
    (( SECONDS - start < give_up )) || return 1
    hops=0
    sleep 0.2
  done
}

# ---- 2. writes -------------------------------------------------------------------
write_all() {
  local n key value leader_was=""
  for (( n = 1; n <= count; n++ )); do
    key="$prefix-$n" value="value-$n-$prefix"
    if ! call PUT "/kv/$key?client=$prefix&seq=$n" "$value"; then
      echo "$key no answer for ${give_up}s (last: HTTP $code)" >>"$gave_up"
      continue
    fi
    if [[ "$code" != 200 ]]; then
      echo "$key HTTP $code $body" >>"$gave_up"
      continue
    fi
    [[ "$body" == *'"duplicate":true'* ]] && echo "$key" >>"$work/duplicates"
    echo "$key $value" >>"$acked"
    if [[ "$current" != "$leader_was" ]]; then
      step "    leader: $current (from key $n)"
      leader_was="$current"
    fi
  done
}

# leader_id: the id of the node every answering node calls leader ("" if none).
leader_id() {
  local url status
  for url in "${urls[@]}"; do
    status="$(curl -fsS --max-time 2 "$url/status" 2>/dev/null)" || continue
    if [[ "$(json_field state "$status")" == leader ]]; then
      json_field id "$status"
      return 0
    fi
  done
}

keys="$work/keys"
if [[ -n "$check_only" ]]; then
  [[ -f "$check_only" ]] || die "no file $check_only"
  sed '/^$/d' "$check_only" >"$keys"
  step "1/3 the nodes:"
  learn_nodes say
  step "2/3 (no writes: checking the $(wc -l <"$keys") keys in $check_only)"
else
  step "1/3 the nodes:"
  learn_nodes say
  [[ ${#url_of[@]} -gt 0 ]] || die "no node answers GET /status at ${urls[*]}"
  step "2/3 write $count keys $prefix-1..$count" \
    "$( (( crash_after > 0 )) && echo "(kill -9 the leader after $crash_after)")"
  started=$SECONDS
  if (( crash_after > 0 )); then
    setup_compose
    write_all &
    writer_pid=$!
    while (( $(wc -l <"$acked") < crash_after )) && kill -0 "$writer_pid" 2>/dev/null; do
      sleep 0.1
    done
    victim="$(leader_id)"
    if [[ -n "$victim" ]]; then
      step "    $(wc -l <"$acked") acknowledged so far: crash the leader, $victim, now"
      "$drills_dir/crash.sh" -f "$compose_file" -p "$compose_project" "$victim" | sed 's/^/    /'
    else
      step "    $(wc -l <"$acked") acknowledged so far, but no node says it leads: no crash"
    fi
    wait "$writer_pid" || die "the write loop failed"
    writer_pid=""
  else
    write_all
  fi
  duplicates=0
  [[ -f "$work/duplicates" ]] && duplicates="$(wc -l <"$work/duplicates")"
  step "    acknowledged $(wc -l <"$acked") of $count in $(( SECONDS - started ))s;" \
    "$duplicates answered as duplicates (a retry whose first attempt had been applied)"
  if [[ -s "$gave_up" ]]; then
    step "    $(wc -l <"$gave_up") never acknowledged (not promised, so not checked):"
    head -n 5 "$gave_up" | sed 's/^/      /'
  fi
  cp "$acked" "$keys"
  [[ -n "$keys_out" ]] && cat "$acked" >>"$keys_out"
fi
total="$(wc -l <"$keys")"
[[ "$total" -gt 0 ]] || die "no key was acknowledged: nothing to check"

# ---- 3. read back ------------------------------------------------------------------
step "3/3 every acknowledged key must have its value (linearizable GET via the leader)"
lost=0 wrong=0 unknown=0
while read -r key value; do
  if ! call GET "/kv/$key"; then
    unknown=$((unknown + 1))
    (( unknown <= 5 )) && step "    $key: no leader answered (last: HTTP $code)"
    continue
  fi
  case "$code" in
    200)
      got="$(json_field value "$body")"
      if [[ "$got" != "$value" ]]; then
        wrong=$((wrong + 1))
        (( wrong <= 10 )) && step "    WRONG: $key is \"$got\", acknowledged as \"$value\""
      fi
      ;;
    404)
      lost=$((lost + 1))
      (( lost <= 10 )) && step "    LOST: $key (acknowledged as \"$value\") is not there (404)"
      ;;
    *)
      unknown=$((unknown + 1))
      (( unknown <= 5 )) && step "    $key: HTTP $code $body"
      ;;
  esac
done <"$keys"
(( lost == 0 && wrong == 0 )) || die "$lost acknowledged key(s) lost, $wrong with a wrong value"
(( unknown == 0 )) || die "could not check $unknown key(s): unexpected answers (is a majority up?)"
step "OK: $total acknowledged, 0 lost, 0 wrong"
