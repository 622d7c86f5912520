// The on-disk format of the write-ahead log.
//
// ANCHOR: record_format
// A log is a directory of segment files. Each segment is named by the LSN
// (log sequence number) of its first record, zero-padded to 20 digits so
// `ls` sorts segments in log order:
//
//   00000000000000000001.wal  00000000000000004097.wal  ...
//
// A segment is a sequence of records, nothing else:
//
//   segment := record*
//   record  := header payload
//   header  := crc32c:u32  length:u32  type:u8  lsn:u64     (17 bytes)
//   payload := byte{length}
//
// All integers are little-endian. `crc32c` (Castagnoli) covers everything
// after itself: length, type, lsn and payload, so a record whose checksum
// fails is never trusted, not even its length. `type` is chosen by the
// system writing the log (0 is reserved as invalid, so zero-filled space
// never parses as a record). LSNs are consecutive across the whole log:
// a segment named N holds N, N+1, N+2, ...
// ANCHOR_END: record_format
//
// The WAL encoder and decoder below take no locks and do no IO.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dsc::wal {

inline constexpr size_t kHeaderSize = 4 + 4 + 1 + 8;
// Larger payloads are refused on append; a header claiming more is corrupt.
inline constexpr uint32_t kMaxPayloadBytes = 16u << 20;
inline constexpr uint8_t kInvalidType = 0;
inline constexpr std::string_view kSegmentSuffix = ".wal";

// One record as stored in the log.
struct Record {
  uint64_t lsn = 0;
  uint8_t type = 0;
  std::string payload;

  bool operator==(const Record&) const = default;
};

// CRC-32C (Castagnoli), as in iSCSI, ext4 and LevelDB.
uint32_t Crc32c(std::string_view data);

// Appends the encoded form of one record to `out`.
void EncodeRecord(uint64_t lsn, uint8_t type, std::string_view payload, std::string* out);

// What DecodeRecord found at the start of `input`.
enum class DecodeResult {
  kOk,           // a whole, valid record
  kTruncated,    // fewer bytes than the header or the payload needs
  kBadLength,    // the header claims more than kMaxPayloadBytes
  kBadChecksum,  // crc32c does not match
  kBadType,      // checksum fine but type is kInvalidType
};
const char* DecodeResultName(DecodeResult r);

struct Decoded {
  DecodeResult result = DecodeResult::kTruncated;
  Record record;            // valid only when result == kOk
  size_t encoded_size = 0;  // header + payload; valid only when kOk
  // The length the header claims, before any check (for torn-tail
  // classification); 0 when the header itself is truncated.
  uint32_t claimed_length = 0;
};

Decoded DecodeRecord(std::string_view input);

// "00000000000000000042.wal" for 42.
std::string SegmentFileName(uint64_t first_lsn);
// The first LSN a segment file name encodes, or nullopt for other files.
std::optional<uint64_t> ParseSegmentFileName(std::string_view name);

}  // namespace dsc::wal
