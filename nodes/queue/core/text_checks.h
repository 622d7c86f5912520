// Small checks on untrusted text, used before a string enters a command.
//
// Every string in a command ends up in the write-ahead log as JSON, and
// nlohmann::json refuses to write invalid UTF-8 (it throws) and writes
// nested values recursively (a deeply nested payload could overflow the
// stack). Checking here, at decision time, keeps EncodeCommand total: a
// command that Decide produced always encodes.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace dsc::queue {

// True when `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view text);

// The longest prefix of `text` (valid UTF-8) that fits in `max_bytes`
// without cutting a character in half.
std::string TruncateUtf8(std::string_view text, size_t max_bytes);

// True when no array or object in the JSON text `json_text` is nested
// deeper than `max_depth` (a scalar has depth 0, `[1]` depth 1). Brackets
// inside strings do not count. It does not check that the text is valid
// JSON; run it before parsing so the parser never sees a deep input.
bool JsonDepthAtMost(std::string_view json_text, int max_depth);

}  // namespace dsc::queue
