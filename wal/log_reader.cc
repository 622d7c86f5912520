#include "wal/log_reader.h"

#include <algorithm>

namespace dsc::wal {

namespace {

// Disks write whole sectors; 512 bytes is the smallest in use.
constexpr uint64_t kSectorBytes = 512;

bool AllZero(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == 0; });
}

// One past the last non-zero byte of `data` at or after `from`; `from` when
// the rest is all zeros.
uint64_t EndOfNonZero(std::string_view data, uint64_t from) {
  uint64_t end = data.size();
  while (end > from && data[end - 1] == 0) --end;
  return end;
}

// True when some piece of data[begin, end), split at sector boundaries, is
// all zeros: a sector of the record never reached the disk.
bool HasZeroedSector(std::string_view data, uint64_t begin, uint64_t end) {
  for (uint64_t piece = begin; piece < end;) {
    const uint64_t piece_end = std::min(end, (piece / kSectorBytes + 1) * kSectorBytes);
    if (AllZero(data.substr(piece, piece_end - piece))) return true;
    piece = piece_end;
  }
  return false;
}

// ANCHOR: torn_tail
// Decides whether a bad record at `offset` of the LAST segment, with
// non-zero bytes up to `nonzero_end`, is damage a crash explains (see the
// header comment). Returns the reason, or nullptr when it is corruption.
const char* TornTailReason(std::string_view data, uint64_t offset, uint64_t nonzero_end,
                           const Decoded& d) {
  if (d.result == DecodeResult::kTruncated) return "partial record at end of file";
  // The record's extent by its own header, which may itself be damaged.
  const uint64_t claimed_end = d.result == DecodeResult::kBadLength
                                   ? offset + kHeaderSize
                                   : offset + kHeaderSize + uint64_t{d.claimed_length};
  // Only zeros before the last non-zero byte count: the preallocated zeros
  // after it are no sign of a lost write (a damaged length could reach them).
  if (HasZeroedSector(data, offset, std::min(claimed_end, nonzero_end))) {
    return "lost write: a sector of the record is zeros";
  }
  // The last record is all there but its bytes did not all reach the disk.
  // Its length field is untrusted, so this only counts when nothing but
  // zeros follows the claimed record.
  if ((d.result == DecodeResult::kBadChecksum || d.result == DecodeResult::kBadType) &&
      claimed_end >= nonzero_end) {
    return "last record failed its checksum";
  }
  return nullptr;
}
// ANCHOR_END: torn_tail

// Records how far the scan of a segment got: its whole records end at `end`.
void CloseSegment(SegmentInfo* info, uint64_t end) {
  info->valid_bytes = end;
  info->record_count = info->offsets.size();
}

std::string Where(const std::string& segment, uint64_t offset) {
  return "segment " + segment + " offset " + std::to_string(offset);
}

// Why a segment's header is refused, or OK. A log from before format v2
// gets its own message: it is not damaged, only older.
Status CheckHeader(const std::string& name, std::string_view data, uint64_t first_lsn,
                   const std::string& system, const DecodedHeader& h) {
  const bool v1_segment = data.empty() || (h.result == HeaderResult::kNoMagic &&
                                           DecodeRecord(data).result == DecodeResult::kOk);
  if (v1_segment) {
    return Status::InvalidArgument(
        "segment " + name +
        " has no segment header: it was written by an older dsc in log format v1, which "
        "this dsc does not read (format v2). Delete the data directory to start afresh, "
        "or inspect it with the dsc that wrote it");
  }
  switch (h.result) {
    case HeaderResult::kOk: break;
    case HeaderResult::kBadVersion:
      return Status::InvalidArgument("segment " + name + " is in log format version " +
                                     std::to_string(h.header.version) +
                                     "; this dsc reads version " + std::to_string(kFormatVersion));
    case HeaderResult::kTooShort:
      return Status::Corruption(Where(name, 0) + ": segment header cut short (" +
                                std::to_string(data.size()) + " bytes)");
    case HeaderResult::kNoMagic:
      return Status::Corruption(Where(name, 0) + ": no segment header (bad magic)");
    case HeaderResult::kBadChecksum:
      return Status::Corruption(Where(name, 0) + ": segment header checksum mismatch");
    case HeaderResult::kBadSystem:
      return Status::Corruption(Where(name, 0) + ": segment header names no valid system");
  }
  if (h.header.first_lsn != first_lsn) {
    return Status::Corruption(Where(name, 0) + ": segment header says first LSN " +
                              std::to_string(h.header.first_lsn) + ", the name says " +
                              std::to_string(first_lsn));
  }
  if (!system.empty() && h.header.system != system) {
    return Status::Corruption(Where(name, 0) + ": segment belongs to system '" + h.header.system +
                              "', the segments before it to '" + system + "'");
  }
  return Status::Ok();
}

}  // namespace

std::string ReadLogSystem(FileSystem* fs, const std::string& dir) {
  auto names = fs->ListDir(dir);
  if (!names.ok()) return "";
  std::optional<std::pair<uint64_t, std::string>> first;
  for (const std::string& name : *names) {
    auto lsn = ParseSegmentFileName(name);
    if (lsn && (!first || *lsn < first->first)) first.emplace(*lsn, name);
  }
  if (!first) return "";
  auto file = fs->OpenReadable(dir + "/" + first->second);
  std::string header;
  if (!file.ok() || !(*file)->Read(0, kSegmentHeaderSize, &header).ok()) return "";
  const DecodedHeader decoded = DecodeSegmentHeader(header);
  return decoded.result == HeaderResult::kOk ? decoded.header.system : "";
}

ScanResult ScanLog(FileSystem* fs, const std::string& dir, const RecordVisitor& visit) {
  ScanResult result;
  auto names = fs->ListDir(dir);
  if (!names.ok()) {
    result.status = names.status();
    return result;
  }
  std::vector<std::pair<uint64_t, std::string>> segment_names;
  for (const std::string& name : *names) {
    if (auto first = ParseSegmentFileName(name)) segment_names.emplace_back(*first, name);
  }
  std::sort(segment_names.begin(), segment_names.end());

  uint64_t expected_lsn = 0;  // 0: no segment seen yet
  for (size_t i = 0; i < segment_names.size(); ++i) {
    const auto& [first_lsn, name] = segment_names[i];
    const bool is_last = i + 1 == segment_names.size();
    const std::string path = dir + "/" + name;
    if (expected_lsn != 0 && first_lsn != expected_lsn) {
      result.status = Status::Corruption(
          Where(name, 0) + ": segment starts at LSN " + std::to_string(first_lsn) +
          " but the previous segment ends at LSN " + std::to_string(expected_lsn - 1));
      return result;
    }
    if (first_lsn == 0) {
      result.status = Status::Corruption(Where(name, 0) + ": LSN 0 is not a valid first LSN");
      return result;
    }

    std::string data;
    {
      auto file = fs->OpenReadable(path);
      if (!file.ok()) {
        result.status = file.status();
        return result;
      }
      auto size = fs->FileSize(path);
      if (!size.ok()) {
        result.status = size.status();
        return result;
      }
      if (Status s = (*file)->Read(0, *size, &data); !s.ok()) {
        result.status = s;
        return result;
      }
    }

    SegmentInfo info;
    info.name = name;
    info.first_lsn = first_lsn;
    info.file_bytes = data.size();
    const DecodedHeader header = DecodeSegmentHeader(data);
    if (Status s = CheckHeader(name, data, first_lsn, result.system, header); !s.ok()) {
      result.status = s;
      return result;
    }
    result.system = header.header.system;
    uint64_t offset = kSegmentHeaderSize;
    uint64_t lsn = first_lsn;
    while (offset < data.size()) {
      const Decoded d = DecodeRecord(std::string_view(data).substr(offset));
      if (d.result == DecodeResult::kOk) {
        if (d.record.lsn != lsn) {
          result.status = Status::Corruption(Where(name, offset) + ": record has LSN " +
                                             std::to_string(d.record.lsn) + ", expected " +
                                             std::to_string(lsn));
          CloseSegment(&info, offset);
          result.segments.push_back(std::move(info));
          return result;
        }
        info.offsets.push_back(static_cast<uint32_t>(offset));
        if (visit && !visit(d.record, name, offset)) {
          CloseSegment(&info, offset + d.encoded_size);
          result.segments.push_back(std::move(info));
          return result;
        }
        offset += d.encoded_size;
        ++lsn;
        continue;
      }
      const uint64_t nonzero_end = EndOfNonZero(data, offset);
      if (is_last && nonzero_end == offset) break;  // the preallocated zeros
      const char* torn = is_last ? TornTailReason(data, offset, nonzero_end, d) : nullptr;
      if (torn == nullptr) {
        const std::string what =
            nonzero_end == offset ? std::string("zeros") : DecodeResultName(d.result);
        result.status = Status::Corruption(
            Where(name, offset) + ": " + what +
            (is_last ? " followed by more data"
                     : " in a closed segment (closed segments end at their last record)"));
        CloseSegment(&info, offset);
        result.segments.push_back(std::move(info));
        return result;
      }
      result.torn_tail = TornTail{name, offset, nonzero_end - offset, torn};
      break;
    }
    CloseSegment(&info, offset);
    if (info.record_count > 0) {
      if (result.first_lsn == 0) result.first_lsn = first_lsn;
      result.last_lsn = lsn - 1;
    }
    result.segments.push_back(std::move(info));
    expected_lsn = lsn;
  }
  return result;
}

}  // namespace dsc::wal
