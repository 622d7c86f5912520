# ctest smoke test for raft_bench: against both clusters, very briefly, it
# must exit 0 and print its tables and its JSON line; without etcd it must
# refuse with a clear message. No speed is asserted.
#   cmake -DRAFT_BENCH=path/to/raft_bench -DDSC=path/to/dsc -P raft_bench_smoke_test.cmake
# Skipped (ctest's SKIP_REGULAR_EXPRESSION) only when etcd is absent.
find_program(ETCD etcd)
if(NOT ETCD)
  message("raft_bench smoke: SKIPPED: etcd is not installed (apt-get install etcd-server, "
          "or make deps)")
  return()
endif()

function(run_bench)
  execute_process(
    COMMAND "${RAFT_BENCH}" --dsc "${DSC}" --seconds 0.5 --warmup 0.2 --runs 1 ${ARGN}
    RESULT_VARIABLE exit_code
    OUTPUT_VARIABLE output
    ERROR_VARIABLE errors)
  message("${output}")
  if(NOT exit_code EQUAL 0)
    message(FATAL_ERROR "raft_bench ${ARGN} exited with ${exit_code}:\n${errors}")
  endif()
  set(output "${output}" PARENT_SCOPE)
endfunction()

run_bench(--clients 1,4)
foreach(expected "puts/s" "\n1 +dsc +n[1-3] +1 +[0-9]" "\n1 +etcd +e[1-3] +1 +[0-9]"
                 "\n1 +dsc +n[1-3] +4 +[0-9]" "\n1 +etcd +e[1-3] +4 +[0-9]"
                 "\ndsc +4 +1 +[0-9]" "\netcd +4 +1 +[0-9]" "\n1 client +[0-9]" "\n4 clients +[0-9]")
  if(NOT output MATCHES "${expected}")
    message(FATAL_ERROR "raft_bench output lacks '${expected}'")
  endif()
endforeach()

run_bench(--clients 2 --json)
string(JSON bench GET "${output}" bench)
string(JSON row_count LENGTH "${output}" rows)
string(JSON ratio GET "${output}" ratios 0 dsc_over_etcd_puts_per_s)
if(NOT bench STREQUAL "raft" OR NOT row_count EQUAL 2 OR NOT ratio GREATER 0)
  message(FATAL_ERROR "raft_bench --json printed an unexpected line")
endif()

execute_process(
  COMMAND "${RAFT_BENCH}" --dsc "${DSC}" --etcd /nonexistent/etcd --seconds 0.1
  RESULT_VARIABLE exit_code
  ERROR_VARIABLE errors)
if(exit_code EQUAL 0 OR NOT errors MATCHES "etcd is not installed")
  message(FATAL_ERROR "raft_bench without etcd: exit ${exit_code}, said: ${errors}")
endif()
