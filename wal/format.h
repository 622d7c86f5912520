// The on-disk format of the write-ahead log.
//
// ANCHOR: record_format
// A log is a directory of segment files. Each segment is named by the LSN
// (log sequence number) of its first record, zero-padded to 20 digits so
// `ls` sorts segments in log order:
//
//   00000000000000000001.wal  00000000000000004097.wal  ...
//
// Format version 2. A segment is a header, then records, then zeros:
//
//   segment := segment_header record* zero*
//   segment_header := magic:"DSC-WAL\n"  version:u32  system:char[16]
//                     first_lsn:u64  crc32c:u32                  (40 bytes)
//   record  := header payload
//   header  := crc32c:u32  length:u32  type:u8  lsn:u64          (17 bytes)
//   payload := byte{length}
//
// All integers are little-endian. The segment header says which system
// wrote the log ("queue", "raft", ...; zero-padded), so tools pick the
// right decoder and a node refuses another system's log; its crc32c
// covers the 36 bytes before it. A record's `crc32c` (Castagnoli) covers
// everything after itself: length, type, lsn and payload, so a record
// whose checksum fails is never trusted, not even its length. `type` is
// chosen by the system writing the log (0 is reserved as invalid, so
// zero-filled space never parses as a record). LSNs are consecutive
// across the whole log: a segment named N holds N, N+1, N+2, ...
//
// Segments are preallocated: a new one is created at its full size
// (fallocate), filled with zeros, so an append overwrites zeros instead of
// growing the file, and fdatasync has less file-system metadata to write.
// The records end where the zeros begin. A segment is trimmed to its last
// record when the log moves on to the next one.
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

// The segment header.
inline constexpr std::string_view kSegmentMagic{"DSC-WAL\n", 8};
inline constexpr uint32_t kFormatVersion = 2;
inline constexpr size_t kSystemTagBytes = 16;
inline constexpr size_t kSegmentHeaderSize = 8 + 4 + kSystemTagBytes + 8 + 4;  // 40

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

// What a segment header says.
struct SegmentHeader {
  uint32_t version = kFormatVersion;
  std::string system;  // the tag, without its zero padding
  uint64_t first_lsn = 0;

  bool operator==(const SegmentHeader&) const = default;
};

// OK when `tag` can name a system in a segment header: 1 to 16 characters
// from a-z, 0-9, '-' and '_'.
bool IsValidSystemTag(std::string_view tag);

// The 40 header bytes of a segment whose first record is `first_lsn`.
// `system` must be a valid tag.
std::string EncodeSegmentHeader(std::string_view system, uint64_t first_lsn);

// What DecodeSegmentHeader found at the start of a segment file.
enum class HeaderResult {
  kOk,
  kTooShort,     // fewer than kSegmentHeaderSize bytes
  kNoMagic,      // does not start with kSegmentMagic (format v1 had no header)
  kBadVersion,   // a format version this code does not read
  kBadChecksum,  // crc32c does not match
  kBadSystem,    // checksum fine but the tag is not a valid one
};

struct DecodedHeader {
  HeaderResult result = HeaderResult::kTooShort;
  SegmentHeader header;  // valid when kOk; `version` also when kBadVersion
};

DecodedHeader DecodeSegmentHeader(std::string_view input);

// "00000000000000000042.wal" for 42.
std::string SegmentFileName(uint64_t first_lsn);
// The first LSN a segment file name encodes, or nullopt for other files.
std::optional<uint64_t> ParseSegmentFileName(std::string_view name);

}  // namespace dsc::wal
