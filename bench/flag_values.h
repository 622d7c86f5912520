// Parsing of the values of the benchmarks' hand-rolled flags (wal_bench,
// queue_bench): each returns InvalidArgument naming the flag and showing an
// example, ready to print as the one-line error.
//
// Thread-safety: stateless functions.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace dsc::bench {

// An unsigned decimal that must be all of `text`.
bool ParseUnsigned(std::string_view text, uint64_t* value);

// A number of seconds: positive, or with `zero_ok` also 0 ("--warmup 0").
Status ParseSeconds(std::string_view flag, const char* text, bool zero_ok, double* seconds);

// A comma-separated list of counts from 1 to `max` ("1,4,16,64").
Status ParseCountList(std::string_view flag, std::string_view list, uint64_t max,
                      std::string_view example, std::vector<int>* counts);

}  // namespace dsc::bench
