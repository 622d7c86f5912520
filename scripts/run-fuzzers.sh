#!/usr/bin/env bash
# Runs every libFuzzer binary (BUILD_DIR/fuzz/**/*_fuzz) for a bounded time
# over a scratch copy of its seed corpus, fuzz/corpus/<name>/ (<name> is
# the binary's name, with or without the _fuzz suffix). The repository's
# corpus is never modified. Any crash, leak or timeout fails the script;
# the input that caused it is kept in BUILD_DIR/fuzz-artifacts/.
#
#   scripts/run-fuzzers.sh [BUILD_DIR]     (default build-fuzz)
#   DSC_FUZZ_SECONDS=600 scripts/run-fuzzers.sh   # total budget, default 60,
#                                                 # shared evenly by the fuzzers
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$(cd "${1:-build-fuzz}" && pwd)"
budget="${DSC_FUZZ_SECONDS:-60}"

mapfile -t fuzzers < <(find "$build_dir/fuzz" -type f -name '*_fuzz' -perm -u+x 2>/dev/null | sort)
if [[ ${#fuzzers[@]} -eq 0 ]]; then
  echo "run-fuzzers: no *_fuzz binaries under $build_dir/fuzz" >&2
  exit 1
fi
per_fuzzer=$(( budget / ${#fuzzers[@]} ))
(( per_fuzzer >= 1 )) || per_fuzzer=1

artifacts="$build_dir/fuzz-artifacts"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$artifacts"

passed=0
failed=0
for fuzzer in "${fuzzers[@]}"; do
  name="$(basename "$fuzzer")"
  corpus="$scratch/$name"
  mkdir -p "$corpus"
  for seeds in "$root/fuzz/corpus/$name" "$root/fuzz/corpus/${name%_fuzz}"; do
    if [[ -d "$seeds" ]]; then cp -r "$seeds/." "$corpus/"; fi
  done
  seeds_count=$(find "$corpus" -type f | wc -l)
  log="$scratch/$name.log"
  echo "run-fuzzers: $name for ${per_fuzzer}s ($seeds_count seed inputs)"
  # timeout(1) is a safety net in case the fuzzer ignores -max_total_time.
  if timeout --signal=KILL $(( per_fuzzer + 120 )) "$fuzzer" \
      -max_total_time="$per_fuzzer" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$artifacts/$name-" "$corpus" >"$log" 2>&1; then
    passed=$((passed + 1))
    grep -E '^stat::number_of_executed_units' "$log" | sed "s/^/  /" || true
  else
    failed=$((failed + 1))
    echo "run-fuzzers: $name FAILED; last lines of its output:" >&2
    tail -n 40 "$log" | sed 's/^/  | /' >&2
    echo "run-fuzzers: the failing input is in $artifacts/ (reproduce: $fuzzer FILE)" >&2
  fi
done

total=$((passed + failed))
echo "$(( passed * 100 / total ))% fuzzers passed, $failed fuzzers failed out of $total"
(( failed == 0 ))
