// The records the crash test writes: each payload names its writer and
// carries content derived from that name.
//
//   payload := id " " filler
//   id      := "r" run "." "t" thread "." "s" seq      e.g. r3.t1.s42
//   filler  := bytes computed from id, 16 to 16 + spread - 1 of them
//
// So a reader can check every record on its own: a payload whose filler
// does not match its id was damaged or never written by us. The lengths
// vary so that records end at many different offsets; a large spread makes
// records span pages, so a kill can land in the middle of one write(2).
//
// Thread-safety: plain functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dsc::crash {

struct PayloadId {
  uint32_t run = 0;     // which child process (crash cycle) wrote it
  uint32_t thread = 0;  // which appender thread in that child
  uint64_t seq = 0;     // that thread's counter, from 0

  std::string ToString() const;  // "r3.t1.s42"
  bool operator==(const PayloadId&) const = default;
};

inline constexpr uint64_t kDefaultFillerSpread = 200;

std::string MakePayload(const PayloadId& id, uint64_t filler_spread = kDefaultFillerSpread);

// The id of a payload made by MakePayload with the same spread, or nullopt
// when the payload is not exactly what MakePayload would produce for it.
std::optional<PayloadId> ParsePayload(std::string_view payload,
                                      uint64_t filler_spread = kDefaultFillerSpread);

}  // namespace dsc::crash
