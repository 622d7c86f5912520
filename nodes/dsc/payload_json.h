// How `dsc wal dump` shows a record's payload in JSON: as the JSON value
// itself when the payload is JSON (most dsc systems log JSON), else as a
// string when it is valid UTF-8 text, else base64-encoded (the log node's
// record_json.h shows payloads the same way, minus the JSON step).
//
// Thread-safety: pure functions.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

namespace dsc::cli {

// Adds "payload" (and, for base64, "encoding":"base64") to `line`, whose
// keys keep their insertion order so every dump line reads alike.
void AddPayload(std::string_view payload, nlohmann::ordered_json* line);

}  // namespace dsc::cli
