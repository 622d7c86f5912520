# ctest smoke test for queue_bench: against both systems, very briefly, it
# must exit 0 and print its table and its JSON line; without beanstalkd it
# must refuse with a clear message. No speed is asserted.
#   cmake -DQUEUE_BENCH=path/to/queue_bench -DDSC=path/to/dsc -P queue_bench_smoke_test.cmake
# Skipped (ctest's SKIP_REGULAR_EXPRESSION) only when beanstalkd is absent.
find_program(BEANSTALKD beanstalkd)
if(NOT BEANSTALKD)
  message("queue_bench smoke: SKIPPED: beanstalkd is not installed (apt-get install beanstalkd, "
          "or make deps)")
  return()
endif()

function(run_bench)
  execute_process(
    COMMAND "${QUEUE_BENCH}" --dsc "${DSC}" --seconds 0.3 --warmup 0.1 ${ARGN}
    RESULT_VARIABLE exit_code
    OUTPUT_VARIABLE output
    ERROR_VARIABLE errors)
  message("${output}")
  if(NOT exit_code EQUAL 0)
    message(FATAL_ERROR "queue_bench ${ARGN} exited with ${exit_code}:\n${errors}")
  endif()
  set(output "${output}" PARENT_SCOPE)
endfunction()

run_bench(--clients 1,4)
foreach(expected "cycles/s" "write \\+ fdatasync takes [0-9]+ us" "\ndsc +1 +[0-9]" "\nbeanstalkd +1 +[0-9]" "\ndsc +4 +[0-9]"
                 "\nbeanstalkd +4 +[0-9]" "dsc / beanstalkd, 1 client " "dsc / beanstalkd, 4 clients")
  if(NOT output MATCHES "${expected}")
    message(FATAL_ERROR "queue_bench output lacks '${expected}'")
  endif()
endforeach()

run_bench(--clients 2 --json)
string(JSON bench GET "${output}" bench)
string(JSON row_count LENGTH "${output}" rows)
string(JSON ratio GET "${output}" ratios 0 dsc_over_beanstalkd)
string(JSON fdatasync_us GET "${output}" fdatasync_p50_us)
if(NOT bench STREQUAL "queue" OR NOT row_count EQUAL 2 OR NOT ratio GREATER 0 OR
   NOT fdatasync_us GREATER 0)
  message(FATAL_ERROR "queue_bench --json printed an unexpected line")
endif()

execute_process(
  COMMAND "${QUEUE_BENCH}" --dsc "${DSC}" --beanstalkd /nonexistent/beanstalkd --seconds 0.1
  RESULT_VARIABLE exit_code
  ERROR_VARIABLE errors)
if(exit_code EQUAL 0 OR NOT errors MATCHES "beanstalkd is not installed")
  message(FATAL_ERROR "queue_bench without beanstalkd: exit ${exit_code}, said: ${errors}")
endif()
