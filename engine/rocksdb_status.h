// Internal to engine/: turns a rocksdb::Status into a dsc::Status, so no
// RocksDB type leaves the module. Not part of the public API (only .cc
// files include it).
#pragma once

#include <rocksdb/status.h>

#include <string_view>

#include "base/status.h"

namespace dsc::engine {

// `context` says what was being done, e.g. "open data/state".
Status FromRocksDb(const rocksdb::Status& status, std::string_view context);

}  // namespace dsc::engine
