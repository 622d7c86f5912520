# ctest smoke test for queue_bench: against all five systems, very
# briefly, with every part shrunk (a few hundred idle connections, a
# two-second memory run, a few thousand pending tasks), it must exit 0 and
# print its tables and its JSON line; without beanstalkd it must refuse with
# a clear message. No speed is asserted.
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
    COMMAND "${QUEUE_BENCH}" --dsc "${DSC}" --seconds 0.3 --warmup 0.1 --ceiling-seconds 0.2
            ${ARGN}
    RESULT_VARIABLE exit_code
    OUTPUT_VARIABLE output
    ERROR_VARIABLE errors)
  message("${output}")
  if(NOT exit_code EQUAL 0)
    message(FATAL_ERROR "queue_bench ${ARGN} exited with ${exit_code}:\n${errors}")
  endif()
  set(output "${output}" PARENT_SCOPE)
endfunction()

run_bench(--clients 1,4 --runs 1 --idle-connections 200 --memory-seconds 2 --pending-tasks 2000)
foreach(expected "cycles/s" "write \\+ fdatasync takes [0-9]+ us"
                 "\nbeanstalkd +1 +[0-9]" "\ndsc +1 +[0-9]" "\ndsc --durable-leases +1 +[0-9]"
                 "\nbeanstalkd +4 +[0-9]" "\ndsc +4 +[0-9]" "\ndsc --durable-leases +4 +[0-9]"
                 "\nfloor \\(no work\\) +4 +[0-9]" "\nfloor \\+ fdatasync +4 +[0-9]"
                 "\nfloor \\+ fdatasync +4 +2 +[0-9]+ +[0-9]+ +[0-9.]+ +[0-9.]+"
                 "disk around each row" "\nceiling +4 +[0-9]+/[0-9]+\n"
                 "group-commit ceiling" "\n4 +[0-9]+ +[0-9]+ +[0-9]+ +[0-9.]+"
                 "\ndsc --durable-leases +4 +3 +[0-9]+ +[0-9]+ +[0-9.]+ +[0-9.]+"
                 "cycles/s with 200 idle +[0-9]" "RSS per idle connection, KiB +-?[0-9.]+"
                 "memory at a steady rate: dsc --retention-ms 2000"
                 "second half: [0-9.]+ to [0-9.]+ MiB, slope [-+][0-9]+ KiB/min"
                 "2000 tasks enqueued" "MiB per million pending tasks"
                 "dsc / ceiling, 4 clients +[0-9.]+ +>= 0.7 +(PASS|MISS)"
                 "16 clients with / without 200 idle +[0-9.]+ +>= 0.9 +(PASS|MISS)")
  if(NOT output MATCHES "${expected}")
    message(FATAL_ERROR "queue_bench output lacks '${expected}'")
  endif()
endforeach()

# --systems picks rows: without the floors, three rows and two fractions.
run_bench(--clients 2 --runs 1 --idle-connections 50 --memory-seconds 1 --pending-tasks 500 --json
          --systems beanstalkd,dsc,dsc-durable-leases --dsc-threads 1)
string(JSON bench GET "${output}" bench)
string(JSON row_count LENGTH "${output}" rows)
string(JSON ratio GET "${output}" cells 1 over_beanstalkd)
string(JSON fdatasync_us GET "${output}" fdatasync_p50_us)
string(JSON disk_after_us GET "${output}" rows 2 disk_after_us)
string(JSON ceiling GET "${output}" ceiling 0 median_appends_per_s)
string(JSON fraction_count LENGTH "${output}" ceiling_fractions)
string(JSON idle_ratio GET "${output}" idle with_over_without)
string(JSON rss_last GET "${output}" steady_memory rss_last_mib)
string(JSON pending_tasks GET "${output}" pending_memory tasks)
if(NOT bench STREQUAL "queue" OR NOT row_count EQUAL 3 OR NOT ratio GREATER 0 OR
   NOT fdatasync_us GREATER 0 OR NOT disk_after_us GREATER 0 OR NOT ceiling GREATER 0 OR
   NOT fraction_count EQUAL 2 OR NOT idle_ratio GREATER 0 OR NOT rss_last GREATER 0 OR
   NOT pending_tasks EQUAL 500)
  message(FATAL_ERROR "queue_bench --json printed an unexpected line")
endif()

execute_process(
  COMMAND "${QUEUE_BENCH}" --dsc "${DSC}" --beanstalkd /nonexistent/beanstalkd --seconds 0.1
  RESULT_VARIABLE exit_code
  ERROR_VARIABLE errors)
if(exit_code EQUAL 0 OR NOT errors MATCHES "beanstalkd is not installed")
  message(FATAL_ERROR "queue_bench without beanstalkd: exit ${exit_code}, said: ${errors}")
endif()

# Without dsc among --systems the memory run has no rate to take: refused
# at once, naming the way out.
execute_process(
  COMMAND "${QUEUE_BENCH}" --dsc "${DSC}" --systems floor --seconds 0.1
  RESULT_VARIABLE exit_code
  ERROR_VARIABLE errors)
if(exit_code EQUAL 0 OR NOT errors MATCHES "add dsc to --systems")
  message(FATAL_ERROR "queue_bench --systems floor: exit ${exit_code}, said: ${errors}")
endif()
