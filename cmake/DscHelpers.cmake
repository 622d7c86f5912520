# dsc_test(NAME SOURCES... LIBS ...): a GoogleTest binary registered with
# ctest, one ctest entry per TEST(). LABELS lets `ctest -L`/`-LE` pick
# subsets (slow, process, ...). SERIAL: ctest runs it alone (a test that
# holds thousands of sockets would take the ports other tests bind).
function(dsc_test name)
  cmake_parse_arguments(ARG "SERIAL" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} dsc_flags GTest::gtest GTest::gmock GTest::gtest_main)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  set(serial FALSE)
  if(ARG_SERIAL)
    set(serial TRUE)
  endif()
  gtest_discover_tests(${name}
    TEST_PREFIX "${name}."
    DISCOVERY_TIMEOUT 60
    PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}" RUN_SERIAL ${serial})
endfunction()
