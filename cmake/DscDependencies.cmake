# Every dependency comes from Debian's packages (see scripts/install-deps.sh).
find_package(Threads REQUIRED)
find_package(RocksDB 7.8 CONFIG REQUIRED)        # RocksDB::rocksdb-shared
find_package(Boost 1.81 CONFIG REQUIRED)         # Boost::headers (Asio, Beast, CRC); 1.81: see scripts/apt-packages.txt
find_package(PkgConfig REQUIRED)
# Debian ships cpp-httplib as a header plus a shared library and no CMake
# config. Link it only through this target: its -DCPPHTTPLIB_*_SUPPORT flags
# change the layout of httplib::Client, and a mismatch corrupts memory.
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib>=0.11)
find_package(nlohmann_json 3.11 CONFIG REQUIRED)
find_package(spdlog 1.10 CONFIG REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
if(DSC_BUILD_TESTS)
  find_package(GTest CONFIG REQUIRED)
  find_package(rapidcheck CONFIG REQUIRED)
  include(GoogleTest)
endif()
if(DSC_BUILD_BENCH)
  find_package(benchmark CONFIG REQUIRED)
endif()
