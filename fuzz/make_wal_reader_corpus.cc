// Writes the seed corpus of wal_reader_fuzz: a few small log images, valid
// and damaged in the ways log_reader.h names, in the input layout of
// fuzz_input_layout.h. Before writing, it checks that ScanLog judges each
// seed as its name says (valid, torn tail or corrupt), so a change in the
// format or the reader that makes the seeds meaningless is noticed. The
// output is committed in fuzz/corpus/wal_reader/; rerun this after a change
// to the record format:
//
//   build-fuzz/fuzz/make_wal_reader_corpus fuzz/corpus/wal_reader
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "fuzz/fuzz_input_layout.h"
#include "wal/format.h"
#include "wal/log_reader.h"
#include "wal/mem_file_system.h"

namespace dsc::wal::fuzz {
namespace {

// Records lsn..lsn+count-1 with short, distinct payloads.
std::string Records(uint64_t first_lsn, int count) {
  std::string bytes;
  for (int i = 0; i < count; ++i) {
    const uint64_t lsn = first_lsn + static_cast<uint64_t>(i);
    EncodeRecord(lsn, /*type=*/1, "payload-" + std::to_string(lsn), &bytes);
  }
  return bytes;
}

std::string Record(uint64_t lsn, uint8_t type = 1) {
  std::string bytes;
  EncodeRecord(lsn, type, "payload-" + std::to_string(lsn), &bytes);
  return bytes;
}

// Flips one payload bit, so the checksum fails but the length still holds.
std::string Damaged(std::string record) {
  record.back() = static_cast<char>(record.back() ^ 0x01);
  return record;
}

// A record of type 0 (invalid) whose checksum is right: the crc32c is
// recomputed over the bytes after it and stored little-endian.
std::string ZeroTypeRecord(uint64_t lsn) {
  std::string record = Record(lsn);
  record[8] = static_cast<char>(kInvalidType);
  uint32_t crc = Crc32c(std::string_view(record).substr(4));
  for (int i = 0; i < 4; ++i) record[static_cast<size_t>(i)] = static_cast<char>(crc >> (8 * i));
  return record;
}

// Four records, the third spanning whole sectors, one of which is zeros
// (a write the disk lost while it kept the later ones): the fuzzed bytes
// start after the 40-byte segment header, so sectors are counted from there.
std::string LostSector() {
  std::string bytes = Records(1, 2);
  const uint64_t third = kSegmentHeaderSize + bytes.size();
  EncodeRecord(3, 1, std::string(1500, 'x'), &bytes);
  bytes += Record(4);
  const uint64_t hole = (third / 512 + 1) * 512 - kSegmentHeaderSize;
  std::fill(bytes.begin() + static_cast<ptrdiff_t>(hole),
            bytes.begin() + static_cast<ptrdiff_t>(hole + 512), '\0');
  return bytes;
}

enum class Verdict { kValid, kTornTail, kCorrupt };

const char* VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kValid: return "valid";
    case Verdict::kTornTail: return "torn tail";
    case Verdict::kCorrupt: return "corrupt";
  }
  return "?";
}

// What ScanLog makes of the log directory `input` describes.
Verdict Judge(const std::string& input) {
  MemFileSystem fs;
  const std::string dir = "/seed";
  for (const SegmentImage& segment : SegmentsFromInput(input)) {
    fs.SetContents(dir + "/" + segment.name, segment.bytes);
  }
  const ScanResult scan = ScanLog(&fs, dir);
  if (!scan.status.ok()) return Verdict::kCorrupt;
  return scan.torn_tail ? Verdict::kTornTail : Verdict::kValid;
}

std::string Input(uint8_t layout, const std::string& bytes) {
  return std::string(1, static_cast<char>(layout)) + bytes;
}

bool Write(const std::string& dir, const std::string& name, const std::string& input) {
  std::ofstream out(dir + "/" + name, std::ios::binary | std::ios::trunc);
  out << input;
  return static_cast<bool>(out);
}

}  // namespace

int Main(const std::string& dir) {
  const uint8_t one = MakeLayout(/*split=*/false, /*valid_prefix=*/false, 0);
  const uint8_t after_prefix = MakeLayout(false, /*valid_prefix=*/true, 0);
  auto split_after = [](uint8_t records) { return MakeLayout(/*split=*/true, false, records); };
  const std::string three = Records(1, 3);
  const std::string torn = Record(4);

  const struct {
    const char* name;
    Verdict verdict;
    std::string input;
  } seeds[] = {
      {"empty_segment", Verdict::kValid, Input(one, "")},
      {"one_segment_valid", Verdict::kValid, Input(one, three)},
      {"torn_header", Verdict::kTornTail, Input(one, three + torn.substr(0, 7))},
      {"torn_payload", Verdict::kTornTail, Input(one, three + torn.substr(0, torn.size() - 3))},
      {"preallocated_zeros", Verdict::kValid, Input(one, three + std::string(600, '\0'))},
      {"lost_sector", Verdict::kTornTail, Input(one, LostSector())},
      {"corrupt_zeros_in_closed_segment", Verdict::kCorrupt,
       Input(split_after(4), three + std::string(kHeaderSize, '\0') + Record(4))},
      {"torn_bad_checksum_at_end", Verdict::kTornTail, Input(one, three + Damaged(torn))},
      {"corrupt_bad_checksum_mid", Verdict::kCorrupt,
       Input(one, Records(1, 1) + Damaged(Record(2)) + Record(3))},
      {"corrupt_zero_type", Verdict::kCorrupt,
       Input(one, Records(1, 2) + ZeroTypeRecord(3) + Record(4))},
      {"corrupt_lsn_gap", Verdict::kCorrupt, Input(one, Records(1, 2) + Record(4))},
      {"two_segments_valid", Verdict::kValid, Input(split_after(3), three + Records(4, 2))},
      {"two_segments_last_empty", Verdict::kValid, Input(split_after(3), three)},
      {"two_segments_middle_damaged", Verdict::kCorrupt,
       Input(split_after(3), Records(1, 1) + Damaged(Record(2)) + Record(3) + Records(4, 2))},
      {"two_segments_middle_short", Verdict::kCorrupt,
       Input(split_after(9), three + torn.substr(0, 20))},
      {"prefix_then_valid", Verdict::kValid, Input(after_prefix, Records(4, 2))},
      {"prefix_then_gap", Verdict::kCorrupt, Input(after_prefix, Records(5, 2))},
      {"prefix_then_torn", Verdict::kTornTail,
       Input(after_prefix, Records(4, 1) + Record(5).substr(0, 10))},
  };
  for (const auto& seed : seeds) {
    const Verdict verdict = Judge(seed.input);
    if (verdict != seed.verdict) {
      std::cerr << "make_wal_reader_corpus: seed " << seed.name << " should be "
                << VerdictName(seed.verdict) << " but ScanLog finds it " << VerdictName(verdict)
                << "\n";
      return 1;
    }
    if (!Write(dir, seed.name, seed.input)) {
      std::cerr << "make_wal_reader_corpus: cannot write " << dir << "/" << seed.name << "\n";
      return 1;
    }
  }
  std::cout << "wrote " << std::size(seeds) << " seeds to " << dir << "\n";
  return 0;
}

}  // namespace dsc::wal::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_wal_reader_corpus DIR\n";
    return 2;
  }
  return dsc::wal::fuzz::Main(argv[1]);
}
