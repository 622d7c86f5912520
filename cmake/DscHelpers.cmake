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
  # Only properties that have a value: an empty LABELS would swallow the
  # next property's name as a label.
  set(properties TIMEOUT ${ARG_TIMEOUT})
  if(ARG_SERIAL)
    list(APPEND properties RUN_SERIAL TRUE)
  endif()
  if(ARG_LABELS)
    list(APPEND properties LABELS "${ARG_LABELS}")
  endif()
  gtest_discover_tests(${name}
    TEST_PREFIX "${name}."
    DISCOVERY_TIMEOUT 60
    PROPERTIES ${properties})
endfunction()
