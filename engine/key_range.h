// KeyRange: which keys a Scan visits, in RocksDB's byte order.
//
//   KeyRange::All()             every key
//   KeyRange::Prefix("task/")   keys starting with "task/"
//   KeyRange{"a", "m"}          "a" <= key < "m"
//
// Thread-safety: a plain value; copy it freely.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dsc::engine {

struct KeyRange {
  std::string start;               // inclusive; "" is the first key
  std::optional<std::string> end;  // exclusive; nullopt means no upper bound

  static KeyRange All() { return {}; }
  static KeyRange Prefix(std::string_view prefix);

  bool Contains(std::string_view key) const;
};

// The smallest key greater than every key that starts with `prefix`, or
// nullopt when there is none (the prefix is empty or all 0xff bytes).
// "abc" -> "abd", "a\xff" -> "b".
std::optional<std::string> PrefixSuccessor(std::string_view prefix);

}  // namespace dsc::engine
