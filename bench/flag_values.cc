#include "bench/flag_values.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

namespace dsc::bench {

bool ParseUnsigned(std::string_view text, uint64_t* value) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

Status ParseSeconds(std::string_view flag, const char* text, bool zero_ok, double* seconds) {
  char* end = nullptr;
  *seconds = std::strtod(text, &end);
  const bool in_range = zero_ok ? *seconds >= 0 : *seconds > 0;
  if (end == text || *end != '\0' || !std::isfinite(*seconds) || !in_range) {
    return Status::InvalidArgument(std::string(flag) +
                                   (zero_ok ? " wants a number >= 0, like 1 or 0.1"
                                            : " wants a positive number, like 5 or 0.3"));
  }
  return Status::Ok();
}

Status ParseCountList(std::string_view flag, std::string_view list, uint64_t max,
                      std::string_view example, std::vector<int>* counts) {
  counts->clear();
  while (!list.empty()) {
    const size_t comma = list.find(',');
    uint64_t count = 0;
    if (!ParseUnsigned(list.substr(0, comma), &count) || count == 0 || count > max) {
      return Status::InvalidArgument(std::string(flag) + " wants counts from 1 to " +
                                     std::to_string(max) + ", like " + std::string(example));
    }
    counts->push_back(static_cast<int>(count));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  if (counts->empty()) return Status::InvalidArgument(std::string(flag) + " is empty");
  return Status::Ok();
}

}  // namespace dsc::bench
