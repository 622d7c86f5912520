// How the log node shows a record as JSON.
//
//   {"lsn":7,"type":1,"payload":"hello"}                          UTF-8 text
//   {"lsn":8,"type":1,"payload":"AAEC/w==","encoding":"base64"}   other bytes
//
// A payload is shown as a JSON string when it is valid UTF-8 (so learners
// read it at a glance), and base64-encoded otherwise (JSON strings cannot
// carry arbitrary bytes).
//
// Thread-safety: stateless functions.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "wal/format.h"

namespace dsc::lognode {

nlohmann::json RecordToJson(const wal::Record& record);

}  // namespace dsc::lognode
