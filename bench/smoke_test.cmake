# ctest smoke test for wal_bench: it must exit 0 and print its table, with
# every kind of row (raw, the Log, RocksDB), two interleaved runs and the
# ratios the targets are set for. No speed is asserted; the machine running
# the tests is not the point.
#   cmake -DWAL_BENCH=path/to/wal_bench -P smoke_test.cmake
execute_process(
  COMMAND "${WAL_BENCH}" --seconds 0.1 --runs 2 --threads 1,64 --rocksdb-threads 4
  RESULT_VARIABLE exit_code
  OUTPUT_VARIABLE output
  ERROR_VARIABLE errors)
message("${output}")
if(NOT exit_code EQUAL 0)
  message(FATAL_ERROR "wal_bench exited with ${exit_code}:\n${errors}")
endif()
foreach(expected "appends/s" "2 runs interleaved" "raw write\\+fdatasync" "Log always"
                 "RocksDB sync=true +4 " "1 appender / raw .*(PASS|MISS)"
                 "64 appenders / 1 appender" "64 appenders / RocksDB 4 threads .*(PASS|MISS)"
                 "\"bench\":\"wal\"" "\"runs\":2" "\"name\":\"RocksDB sync=true\""
                 "\"name\":\"64 appenders / RocksDB 4 threads\"")
  if(NOT output MATCHES "${expected}")
    message(FATAL_ERROR "wal_bench output lacks '${expected}'")
  endif()
endforeach()
if(NOT errors MATCHES "run 2/2: RocksDB sync=true, 4 writers")
  message(FATAL_ERROR "wal_bench's progress lacks the second run's RocksDB row:\n${errors}")
endif()

# A bad flag value is refused with a message naming the flag, exit code 2.
foreach(bad "--runs;0" "--rocksdb-threads;0")
  execute_process(
    COMMAND "${WAL_BENCH}" ${bad}
    RESULT_VARIABLE exit_code
    OUTPUT_VARIABLE ignored
    ERROR_VARIABLE errors)
  list(GET bad 0 flag)
  if(NOT exit_code EQUAL 2 OR NOT errors MATCHES "${flag}")
    message(FATAL_ERROR "wal_bench ${bad} exited with ${exit_code}, not 2 naming ${flag}:\n${errors}")
  endif()
endforeach()
