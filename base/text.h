// Small helpers for untrusted text.
//
// Strings that end up in JSON (a log record, a reply) must be valid UTF-8:
// nlohmann::json refuses to write anything else (it throws), and it writes
// nested values recursively, so a deeply nested input could overflow the
// stack. Nodes check with these before a string enters their state, and
// fall back to base64 for bytes that are not text.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace dsc {

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

// Standard base64 (RFC 4648) with padding.
std::string Base64Encode(std::string_view bytes);
// The bytes `text` encodes (standard alphabet, padding required), or
// nullopt when it is not well-formed base64.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace dsc
