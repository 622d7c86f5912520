// How wal_reader_fuzz turns one fuzzer input into a log directory.
//
//   input  := layout:u8 bytes*
//   layout := bit 0      1: split `bytes` into a middle and a last segment
//                        0: `bytes` is the only (last) segment
//             bit 1      1: put a valid 3-record segment (LSNs 1..3) first
//             bits 2..7  n: the middle segment holds the first n records,
//                        stepping by the length each header claims whether
//                        its checksum holds or not (so damage can sit in the
//                        middle); if a claimed record runs past the end, the
//                        middle segment takes everything and the last is
//                        empty (a short record in a segment that is not last)
//
// Each segment file is a good v2 segment header (system kFuzzSystem, the
// first LSN of its name) followed by the fuzzed bytes: the header has its
// own check in the fuzzer, and a fuzzed one would almost never be good,
// which would keep the fuzzer away from the records.
//
// Segment names follow the records inside, as a real log's would: the
// first fuzzed segment is named after its first record's LSN (or 4 after
// the valid prefix), the next after the LSN following the last record
// that decodes in the one before. So the fuzzer easily builds logs that
// are valid up to some damage, which is where the reader's decisions are.
//
// Shared by the fuzzer and the corpus generator, which writes inputs in
// this layout. Thread-safety: plain functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dsc::wal::fuzz {

inline constexpr char kFuzzSystem[] = "test";
inline constexpr uint8_t kSplitBit = 1u << 0;
inline constexpr uint8_t kValidPrefixBit = 1u << 1;
inline constexpr int kSplitShift = 2;
inline constexpr uint8_t kMaxSplitRecords = 63;

struct SegmentImage {
  std::string name;  // e.g. 00000000000000000001.wal
  std::string bytes;
};

// The segment files `input` describes, in log order (possibly none).
std::vector<SegmentImage> SegmentsFromInput(std::string_view input);

// The layout byte for a given choice (the generator's side).
uint8_t MakeLayout(bool split, bool valid_prefix, uint8_t split_records);

}  // namespace dsc::wal::fuzz
