#include "engine/key_range.h"

namespace dsc::engine {

std::optional<std::string> PrefixSuccessor(std::string_view prefix) {
  std::string next(prefix);
  // Bytes compare as unsigned. A trailing 0xff cannot be incremented, so
  // drop it and carry into the byte before ("a\xff" -> "b").
  while (!next.empty()) {
    auto last = static_cast<unsigned char>(next.back());
    if (last != 0xff) {
      next.back() = static_cast<char>(last + 1);
      return next;
    }
    next.pop_back();
  }
  return std::nullopt;
}

KeyRange KeyRange::Prefix(std::string_view prefix) {
  return KeyRange{std::string(prefix), PrefixSuccessor(prefix)};
}

bool KeyRange::Contains(std::string_view key) const {
  // std::string_view compares with char_traits<char>, which orders bytes
  // as unsigned char, like RocksDB's default comparator.
  if (key < std::string_view(start)) return false;
  return !end || key < std::string_view(*end);
}

}  // namespace dsc::engine
