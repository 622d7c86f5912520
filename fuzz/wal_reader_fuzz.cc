// wal_reader_fuzz: libFuzzer target for everything that reads a WAL.
//
// Each input is used twice:
//  (a) as one buffer for DecodeRecord and DecodeSegmentHeader, whose
//      answers must agree with the bytes (a record or header they accept
//      re-encodes to exactly those bytes);
//  (b) as the segment files of a log in a MemFileSystem (layout in
//      fuzz_input_layout.h), which ScanLog and then Log::Open read.
// Invariants (any violation aborts, which libFuzzer reports as a crash):
//  * nothing crashes, leaks or trips ASan/UBSan;
//  * ScanLog's summary matches the records it visited, and a torn tail is
//    only ever the end of the last segment;
//  * ScanLog and Open agree: Open fails, with Corruption, exactly when
//    ScanLog reports corruption;
//  * after Open, the log holds exactly the records ScanLog visited before
//    the torn tail, and a torn tail was repaired exactly when ScanLog saw one;
//  * the repaired log takes the next append at the next LSN, and a rescan
//    finds no torn tail and no corruption, even after dropping every
//    unsynced byte (the repair itself was made durable).
//
//   build-fuzz/fuzz/wal_reader_fuzz -max_total_time=60 NEW_DIR fuzz/corpus/wal_reader
#include <spdlog/spdlog.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_input_layout.h"
#include "wal/format.h"
#include "wal/log.h"
#include "wal/log_reader.h"
#include "wal/mem_file_system.h"

// Stops the fuzzer with the broken invariant named. A macro, so the
// message carries the failing expression and line.
#define FUZZ_CHECK(condition)                                                                    \
  do {                                                                                           \
    if (!(condition)) {                                                                          \
      std::fprintf(stderr, "invariant violated at %s:%d: %s\n", __FILE__, __LINE__, #condition); \
      __builtin_trap();                                                                          \
    }                                                                                            \
  } while (0)

namespace dsc::wal::fuzz {
namespace {

constexpr char kDir[] = "/fuzz/wal";

// (a) One buffer, one record.
void CheckDecodeRecord(std::string_view input) {
  const Decoded decoded = DecodeRecord(input);
  switch (decoded.result) {
    case DecodeResult::kOk: {
      FUZZ_CHECK(decoded.record.type != kInvalidType);
      FUZZ_CHECK(decoded.encoded_size == kHeaderSize + decoded.record.payload.size());
      FUZZ_CHECK(decoded.encoded_size <= input.size());
      FUZZ_CHECK(decoded.claimed_length == decoded.record.payload.size());
      std::string reencoded;
      EncodeRecord(decoded.record.lsn, decoded.record.type, decoded.record.payload, &reencoded);
      FUZZ_CHECK(reencoded == input.substr(0, decoded.encoded_size));
      break;
    }
    case DecodeResult::kTruncated:
      FUZZ_CHECK(input.size() < kHeaderSize || input.size() - kHeaderSize < decoded.claimed_length);
      break;
    case DecodeResult::kBadLength: FUZZ_CHECK(decoded.claimed_length > kMaxPayloadBytes); break;
    case DecodeResult::kBadChecksum:
    case DecodeResult::kBadType: FUZZ_CHECK(input.size() >= kHeaderSize); break;
  }
  FUZZ_CHECK(DecodeResultName(decoded.result) != nullptr);
}

// (a') The same buffer as a segment header: one accepted re-encodes to
// exactly its 40 bytes.
void CheckDecodeSegmentHeader(std::string_view input) {
  const DecodedHeader decoded = DecodeSegmentHeader(input);
  if (decoded.result != HeaderResult::kOk) return;
  FUZZ_CHECK(IsValidSystemTag(decoded.header.system));
  FUZZ_CHECK(EncodeSegmentHeader(decoded.header.system, decoded.header.first_lsn) ==
             input.substr(0, kSegmentHeaderSize));
}

struct Scan {
  ScanResult result;
  std::vector<Record> records;  // every record the visitor saw, in order
};

Scan ScanAll(FileSystem* fs) {
  Scan scan;
  scan.result = ScanLog(fs, kDir, [&scan](const Record& record, const std::string&, uint64_t) {
    scan.records.push_back(record);
    return true;
  });
  return scan;
}

// ScanLog's summary must describe the records it visited.
void CheckScanIsConsistent(const Scan& scan) {
  FUZZ_CHECK(scan.result.status.ok() || scan.result.status.IsCorruption());
  uint64_t offsets = 0;
  for (const SegmentInfo& segment : scan.result.segments) offsets += segment.offsets.size();
  FUZZ_CHECK(offsets == scan.records.size());
  for (size_t i = 1; i < scan.records.size(); ++i) {
    FUZZ_CHECK(scan.records[i].lsn == scan.records[i - 1].lsn + 1);
  }
  // The per-segment summary is only promised for a log that scanned clean
  // (a scan that stops at corruption leaves record_count and valid_bytes of
  // the damaged segment unset).
  if (!scan.result.status.ok()) return;
  for (const SegmentInfo& segment : scan.result.segments) {
    FUZZ_CHECK(segment.offsets.size() == segment.record_count);
    FUZZ_CHECK(segment.valid_bytes <= segment.file_bytes);
  }
  if (!scan.records.empty()) {
    FUZZ_CHECK(scan.result.first_lsn == scan.records.front().lsn);
    FUZZ_CHECK(scan.result.last_lsn == scan.records.back().lsn);
  }
  // A torn tail is only ever the end of the last segment, right after its
  // last whole record; only zeros follow what a repair zeroes.
  if (scan.result.torn_tail) {
    const TornTail& torn = *scan.result.torn_tail;
    FUZZ_CHECK(!scan.result.segments.empty());
    const SegmentInfo& last = scan.result.segments.back();
    FUZZ_CHECK(torn.segment == last.name);
    FUZZ_CHECK(torn.offset == last.valid_bytes);
    FUZZ_CHECK(torn.offset + torn.bytes <= last.file_bytes);
    FUZZ_CHECK(torn.bytes > 0);
  }
}

// (b) The input as a log directory.
void CheckOpenAgreesWithScan(std::string_view input) {
  MemFileSystem fs;
  FUZZ_CHECK(fs.CreateDir(kDir).ok());
  for (const SegmentImage& segment : SegmentsFromInput(input)) {
    fs.SetContents(std::string(kDir) + "/" + segment.name, segment.bytes);
  }
  FUZZ_CHECK(fs.SyncDir(kDir).ok());

  const Scan before = ScanAll(&fs);
  CheckScanIsConsistent(before);

  LogOptions options;
  options.system = "test";
  options.fs = &fs;
  // Preallocated segments are read whole by every scan; small ones keep
  // the fuzzer at thousands of inputs a second instead of a dozen.
  options.segment_bytes = 4096;
  Result<std::unique_ptr<Log>> opened = Log::Open(kDir, options);
  if (!opened.ok()) {
    FUZZ_CHECK(opened.status().IsCorruption());
    FUZZ_CHECK(!before.result.status.ok());
    return;
  }
  FUZZ_CHECK(before.result.status.ok());
  Log& log = **opened;
  FUZZ_CHECK(log.recovery().truncated.has_value() == before.result.torn_tail.has_value());
  FUZZ_CHECK(log.recovery().records == before.records.size());

  std::vector<Record> expected = before.records;
  if (expected.empty()) {
    FUZZ_CHECK(log.last_lsn() + 1 == log.first_lsn());
  } else {
    FUZZ_CHECK(log.first_lsn() == expected.front().lsn);
    FUZZ_CHECK(log.last_lsn() == expected.back().lsn);
    Result<std::vector<Record>> read = log.Read(log.first_lsn());
    FUZZ_CHECK(read.ok());
    FUZZ_CHECK(*read == expected);
  }

  // The repaired log must go on where the good records end. (A log ending
  // at LSN 2^64-1 has no next LSN; no real log gets there, so skip it.)
  const uint64_t last_before_append = log.last_lsn();
  if (last_before_append != UINT64_MAX) {
    Result<uint64_t> appended = log.Append(/*type=*/7, "after recovery");
    FUZZ_CHECK(appended.ok());
    FUZZ_CHECK(*appended == last_before_append + 1);
    expected.push_back({*appended, 7, "after recovery"});
  }
  FUZZ_CHECK(log.Close().ok());
  opened->reset();  // releases the directory lock

  // Reading again, and again after a simulated power loss, finds exactly
  // that: the truncation and the append were both made durable.
  for (bool power_loss : {false, true}) {
    if (power_loss) fs.DropUnsyncedData();
    const Scan after = ScanAll(&fs);
    CheckScanIsConsistent(after);
    FUZZ_CHECK(after.result.status.ok());
    FUZZ_CHECK(!after.result.torn_tail.has_value());
    FUZZ_CHECK(after.records == expected);
  }
}

}  // namespace
}  // namespace dsc::wal::fuzz

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  // Recovery WARNs about every torn tail; at millions of inputs that is noise.
  spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  dsc::wal::fuzz::CheckDecodeRecord(input);
  dsc::wal::fuzz::CheckDecodeSegmentHeader(input);
  dsc::wal::fuzz::CheckOpenAgreesWithScan(input);
  return 0;
}
