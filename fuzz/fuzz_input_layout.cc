#include "fuzz/fuzz_input_layout.h"

#include "wal/format.h"

namespace dsc::wal::fuzz {
namespace {

struct Walk {
  bool any = false;  // at least one record decoded
  uint64_t first_lsn = 0;
  uint64_t last_lsn = 0;
};

// Decodes records from the start of `bytes` until one fails.
Walk WalkValidPrefix(std::string_view bytes) {
  Walk walk;
  while (!bytes.empty()) {
    const Decoded decoded = DecodeRecord(bytes);
    if (decoded.result != DecodeResult::kOk) break;
    if (!walk.any) walk.first_lsn = decoded.record.lsn;
    walk.any = true;
    walk.last_lsn = decoded.record.lsn;
    bytes.remove_prefix(decoded.encoded_size);
  }
  return walk;
}

// Where the middle segment ends: after `records` steps of header plus the
// length it claims, or at the end when a step would run past it.
size_t SplitPoint(std::string_view bytes, int records) {
  size_t offset = 0;
  for (int i = 0; i < records && offset < bytes.size(); ++i) {
    const Decoded decoded = DecodeRecord(bytes.substr(offset));
    const uint64_t step = uint64_t{kHeaderSize} + decoded.claimed_length;
    if (decoded.result == DecodeResult::kTruncated || step > bytes.size() - offset) {
      return bytes.size();
    }
    offset += step;
  }
  return offset;
}

std::string ValidPrefixSegment() {
  std::string bytes = EncodeSegmentHeader(kFuzzSystem, 1);
  EncodeRecord(1, 1, "alpha", &bytes);
  EncodeRecord(2, 1, "beta", &bytes);
  EncodeRecord(3, 2, "gamma", &bytes);
  return bytes;
}

}  // namespace

uint8_t MakeLayout(bool split, bool valid_prefix, uint8_t split_records) {
  return static_cast<uint8_t>((split ? kSplitBit : 0) | (valid_prefix ? kValidPrefixBit : 0) |
                              (split_records << kSplitShift));
}

std::vector<SegmentImage> SegmentsFromInput(std::string_view input) {
  std::vector<SegmentImage> segments;
  if (input.empty()) return segments;
  const uint8_t layout = static_cast<uint8_t>(input.front());
  const std::string_view bytes = input.substr(1);

  std::vector<std::string_view> fuzzed;
  if (layout & kSplitBit) {
    const size_t split = SplitPoint(bytes, layout >> kSplitShift);
    fuzzed = {bytes.substr(0, split), bytes.substr(split)};
  } else {
    fuzzed = {bytes};
  }

  // The LSN the next segment's name should carry; unset until known.
  bool have_next = false;
  uint64_t next_lsn = 0;
  if (layout & kValidPrefixBit) {
    segments.push_back({SegmentFileName(1), ValidPrefixSegment()});
    have_next = true;
    next_lsn = 4;
  }
  for (std::string_view content : fuzzed) {
    const Walk walk = WalkValidPrefix(content);
    const uint64_t name_lsn = have_next ? next_lsn : (walk.any ? walk.first_lsn : 1);
    segments.push_back({SegmentFileName(name_lsn),
                        EncodeSegmentHeader(kFuzzSystem, name_lsn) + std::string(content)});
    // Unsigned wrap-around at UINT64_MAX is fine: odd names are fuzz input too.
    next_lsn = walk.any ? walk.last_lsn + 1 : name_lsn + 1;
    have_next = true;
  }
  return segments;
}

}  // namespace dsc::wal::fuzz
