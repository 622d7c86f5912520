#!/usr/bin/env bash
# `make test`: every check CI runs, in stages, then one summary.
#
#   refs    scripts/check-references.py: every path a doc or comment names exists,
#           nothing points outside the repository; and the checker's unit tests
#   build   build/       RelWithDebInfo, -Werror; the full ctest suite
#   book    book/check.sh: mdBook build, links, anchors, browser checks, walkthroughs
#   compose compose/test.sh: the Docker image, compose files and drills (or skipped)
#   asan    build-asan/  AddressSanitizer + UBSan, -Werror, asserts on; ctest without label `slow`
#   fuzz    build-fuzz/  clang++-14 libFuzzer targets (fuzz_all), a bounded run of each
#                        (scripts/run-fuzzers.sh; budget DSC_FUZZ_SECONDS, default 60)
#
# Every stage runs even if an earlier one failed, so one run shows all that
# is broken. The last line is in ctest's format, totalled over the stages
# (a stage that could not build or run counts as one failed test).
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
jobs="${DSC_TEST_JOBS:-2}"
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT

stage_names=()
stage_results=()   # passed | FAILED | skipped
stage_notes=()
total_tests=0
total_failed=0

banner() { printf '\n==== %s ====\n' "$*"; }

elapsed() {
  local seconds=$(( SECONDS - $1 ))
  printf '%dm%02ds' $(( seconds / 60 )) $(( seconds % 60 ))
}

# record NAME RESULT NOTE [TESTS FAILED]
record() {
  stage_names+=("$1"); stage_results+=("$2"); stage_notes+=("$3")
  total_tests=$(( total_tests + ${4:-0} ))
  total_failed=$(( total_failed + ${5:-0} ))
}

# Runs ctest in build dir $2 for stage $1 with extra args; records the
# outcome from ctest's own summary line.
run_ctest() {
  local name="$1" dir="$2" start="$3"; shift 3
  local log="$logs/$name.ctest"
  ctest --test-dir "$dir" --output-on-failure -j"$jobs" "$@" 2>&1 | tee "$log"
  local status=${PIPESTATUS[0]}
  local line
  line="$(grep -E '[0-9]+% tests passed' "$log" | tail -n 1)"
  if [[ -z "$line" ]]; then
    if grep -q 'No tests were found' "$log"; then
      record "$name" FAILED "$(elapsed "$start")  ctest found no tests" 1 1
    else
      record "$name" FAILED "$(elapsed "$start")  ctest did not finish (status $status)" 1 1
    fi
    return
  fi
  local failed count
  failed="$(sed -E 's/.* ([0-9]+) tests failed.*/\1/' <<<"$line")"
  count="$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")"
  if [[ $status -eq 0 ]]; then
    record "$name" passed "$(elapsed "$start")  $line" "$count" "$failed"
  else
    record "$name" FAILED "$(elapsed "$start")  $line" "$count" "$(( failed > 0 ? failed : 1 ))"
  fi
}

# configure_and_build NAME DIR TARGET CMAKE_ARGS...: false (and recorded) on failure.
configure_and_build() {
  local name="$1" dir="$2" target="$3" start="$4"; shift 4
  if ! cmake -S . -B "$dir" -G Ninja "$@"; then
    record "$name" FAILED "$(elapsed "$start")  cmake configure failed (see above)" 1 1
    return 1
  fi
  if ! cmake --build "$dir" --target "$target"; then
    record "$name" FAILED "$(elapsed "$start")  build failed (see above)" 1 1
    return 1
  fi
}

# The references: the checker over the repository, then its own unit
# tests; one counted test each. Seconds, and needs nothing built.
stage_refs() {
  banner "stage refs: scripts/check-references.py and its unit tests"
  local start=$SECONDS failed=0 notes=()
  if ! python3 scripts/check-references.py; then
    failed=$((failed + 1)) notes+=("check-references.py found problems (see above)")
  fi
  if ! python3 -m unittest discover -s scripts/tests; then
    failed=$((failed + 1)) notes+=("scripts/tests failed (see above)")
  fi
  local line="$(( (2 - failed) * 100 / 2 ))% tests passed, $failed tests failed out of 2"
  if [[ $failed -eq 0 ]]; then
    record refs passed "$(elapsed "$start")  $line" 2 0
  else
    record refs FAILED "$(elapsed "$start")  $line: ${notes[*]}" 2 "$failed"
  fi
}

stage_build() {
  banner "stage build: build/ (RelWithDebInfo, -Werror), full test suite"
  local start=$SECONDS
  configure_and_build build build all "$start" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDSC_WERROR=ON || return
  run_ctest build build "$start"
}

stage_asan() {
  banner "stage asan: build-asan/ (AddressSanitizer + UBSan, asserts on), tests without label slow"
  local start=$SECONDS
  # Debug keeps assert() on; -O1 -g1 instead of Debug's -O0 -g. -O1 is what
  # the AddressSanitizer docs advise, and line tables are all a sanitizer
  # report needs. Compiling is most of this stage, and -O2 -g costs about
  # 2.5x as much (nodes/common/node_server.cc alone: 101 s against 41 s).
  configure_and_build asan build-asan all "$start" \
    -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1" \
    -DDSC_SANITIZE=ON -DDSC_WERROR=ON -DDSC_BUILD_BENCH=OFF ||
    return
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    ASAN_OPTIONS="detect_leaks=1:strict_string_checks=1" \
    run_ctest asan build-asan "$start" -LE '^slow$'
}

# run_counted NAME WORD START CMD...: runs CMD (a script of ours that ends
# with a line "P% WORD passed, F WORD failed out of T", ctest's format) and
# records the stage from that line. A script that exits 0 after printing
# "skipped: REASON" as its last line is recorded as skipped, with the reason.
run_counted() {
  local name="$1" word="$2" start="$3"; shift 3
  local log="$logs/$name.out"
  "$@" 2>&1 | tee "$log"
  local status=${PIPESTATUS[0]}
  local last line failed count
  last="$(tail -n 1 "$log")"
  if [[ $status -eq 0 && "$last" == skipped:* ]]; then
    record "$name" skipped "$(elapsed "$start")  ${last#skipped: }"
    return
  fi
  line="$(grep -E "[0-9]+% $word passed" "$log" | tail -n 1)"
  failed="$(sed -nE "s/.* ([0-9]+) $word failed.*/\1/p" <<<"$line")"
  count="$(sed -nE 's/.* out of ([0-9]+).*/\1/p' <<<"$line")"
  if [[ $status -eq 0 && -n "$line" ]]; then
    record "$name" passed "$(elapsed "$start")  $line" "${count:-0}" 0
  else
    record "$name" FAILED "$(elapsed "$start")  ${line:-$1 failed (status $status)}" \
      "${count:-1}" "$(( ${failed:-1} > 0 ? ${failed:-1} : 1 ))"
  fi
}

stage_fuzz() {
  banner "stage fuzz: build-fuzz/ (clang++-14, libFuzzer)"
  local start=$SECONDS
  if ! command -v clang++-14 >/dev/null; then
    record fuzz skipped "clang++-14 not installed"
    return
  fi
  if ! cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 \
      -DDSC_BUILD_FUZZ=ON -DDSC_BUILD_TESTS=OFF -DDSC_BUILD_BENCH=OFF; then
    record fuzz FAILED "$(elapsed "$start")  cmake configure failed (see above)" 1 1
    return
  fi
  if ! cmake --build build-fuzz --target fuzz_all; then
    record fuzz FAILED "$(elapsed "$start")  build failed (see above)" 1 1
    return
  fi
  run_counted fuzz fuzzers "$start" scripts/run-fuzzers.sh build-fuzz
}

# The book: mdbook build, links, includes and anchors, diagrams and quizzes
# in a real browser, and every chapter's "Run it" walkthrough against the
# dsc built by stage build (book/check.sh).
stage_book() {
  banner "stage book: mdBook build, links, anchors, browser checks, walkthroughs"
  local start=$SECONDS
  if [[ ! -x build/nodes/dsc/dsc ]]; then
    record book FAILED "$(elapsed "$start")  build/nodes/dsc/dsc missing (stage build failed)" 1 1
    return
  fi
  run_counted book checks "$start" book/check.sh
}

# Docker Compose: build the image, bring each compose file up, run its
# drills, check nothing acknowledged was lost (compose/test.sh). Skipped,
# with the reason, where no Docker engine can be started.
stage_compose() {
  banner "stage compose: Docker image, compose files, crash and partition drills"
  local start=$SECONDS
  run_counted compose checks "$start" compose/test.sh
}

stage_refs
stage_build
stage_book
stage_compose
stage_asan
stage_fuzz

banner "make test: summary"
for i in "${!stage_names[@]}"; do
  printf '  %-6s %-8s %s\n' "${stage_names[$i]}" "${stage_results[$i]}" "${stage_notes[$i]}"
done
failed_stages=0
for result in "${stage_results[@]}"; do [[ $result == FAILED ]] && failed_stages=$((failed_stages + 1)); done
percent=100
(( total_tests > 0 )) && percent=$(( (total_tests - total_failed) * 100 / total_tests ))
echo "${percent}% tests passed, ${total_failed} tests failed out of ${total_tests}"
(( failed_stages == 0 ))
