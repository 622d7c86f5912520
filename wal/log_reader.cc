#include "wal/log_reader.h"

#include <algorithm>

namespace dsc::wal {

namespace {

bool AllZero(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == 0; });
}

// ANCHOR: torn_tail
// Decides whether a bad record at `offset` of the LAST segment is a torn
// tail (what a crash in the middle of the final write leaves) rather than
// corruption. Returns the reason, or nullptr when it is corruption.
const char* TornTailReason(std::string_view data, uint64_t offset, const Decoded& d) {
  const std::string_view rest = data.substr(offset);
  if (d.result == DecodeResult::kTruncated) return "partial record at end of file";
  // Some file systems extend the file before the data lands: zeros.
  if (AllZero(rest)) return "zero-filled end of file";
  // The last record is all there but its bytes did not all reach the disk.
  // Its length field is untrusted, so this only counts when the claimed
  // record ends exactly at end of file; anything after it means corruption.
  if ((d.result == DecodeResult::kBadChecksum || d.result == DecodeResult::kBadType) &&
      kHeaderSize + uint64_t{d.claimed_length} == rest.size()) {
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

}  // namespace

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
    uint64_t offset = 0;
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
      const char* torn = is_last ? TornTailReason(data, offset, d) : nullptr;
      if (torn == nullptr) {
        result.status =
            Status::Corruption(Where(name, offset) + ": " + DecodeResultName(d.result) +
                               (is_last ? " followed by more data" : " in a closed segment"));
        CloseSegment(&info, offset);
        result.segments.push_back(std::move(info));
        return result;
      }
      result.torn_tail = TornTail{name, offset, data.size() - offset, torn};
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
