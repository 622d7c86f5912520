# ctest smoke test for wal_bench: it must exit 0 and print its table.
# No speed is asserted; the machine running the tests is not the point.
#   cmake -DWAL_BENCH=path/to/wal_bench -P smoke_test.cmake
execute_process(
  COMMAND "${WAL_BENCH}" --seconds 0.2 --threads 1,4
  RESULT_VARIABLE exit_code
  OUTPUT_VARIABLE output
  ERROR_VARIABLE errors)
message("${output}")
if(NOT exit_code EQUAL 0)
  message(FATAL_ERROR "wal_bench exited with ${exit_code}:\n${errors}")
endif()
foreach(expected "appends/s" "raw write\\+fdatasync" "Log always" "1 appender / raw"
                 "4 appenders / 1 appender" "\"bench\":\"wal\"")
  if(NOT output MATCHES "${expected}")
    message(FATAL_ERROR "wal_bench output lacks '${expected}'")
  endif()
endforeach()
