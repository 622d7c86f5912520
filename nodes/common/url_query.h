// Splitting a request target ("/kv/a%20b?stale=true") into its decoded
// path and query parameters.
//
// Thread-safety: stateless functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dsc::node {

// "%41" -> "A"; with `plus_is_space` (query strings), "+" -> " ". A "%"
// not followed by two hex digits is kept as it is.
std::string PercentDecode(std::string_view text, bool plus_is_space);

// The target's path, percent-decoded ("/kv/a%20b?x=1" -> "/kv/a b").
std::string TargetPath(std::string_view target);

// The value of query parameter `name` in `target` (the first if repeated),
// percent-decoded; "" for "?name" or "?name="; nullopt when absent.
std::optional<std::string> TargetQuery(std::string_view target, std::string_view name);

}  // namespace dsc::node
