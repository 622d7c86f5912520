#include "nodes/dsc/wal_commands.h"

#include <filesystem>
#include <ostream>

#include <nlohmann/json.hpp>

#include "nodes/dsc/payload_json.h"
#include "nodes/raft/raft_records.h"
#include "wal/log_reader.h"

namespace dsc::cli {

namespace {

constexpr int kExitOk = 0;
constexpr int kExitCorrupt = 1;  // or unreadable
constexpr int kExitNoDir = 2;    // or a directory with no log in it

bool CheckDirectory(const std::string& dir, std::ostream& err) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return true;
  err << "dsc: error: " << dir << ": no such directory\n";
  return false;
}

// A directory without a single segment is not a log (a node's log always
// has at least one). Pointing at a node's data directory instead of the
// log inside it is the usual slip, so say where the log probably is.
bool CheckHoldsALog(const wal::ScanResult& scan, const std::string& dir, std::ostream& err) {
  if (!scan.status.ok() || !scan.segments.empty()) return true;
  err << "dsc: error: " << dir << ": no log segments (*.wal files) here";
  std::error_code ec;
  for (const char* sub : {"wal", "log"}) {
    const std::filesystem::path candidate = std::filesystem::path(dir) / sub;
    if (std::filesystem::is_directory(candidate, ec)) {
      err << "; did you mean " << candidate.string() << "?";
      break;
    }
  }
  err << "\n";
  return false;
}

void WarnTornTail(const wal::TornTail& torn, std::ostream& err) {
  err << "dsc: warning: torn tail in " << torn.segment << " at offset " << torn.offset << ": "
      << torn.reason << " (" << torn.bytes
      << " bytes; opening the log zeroes them, they were never acknowledged)\n";
}

// A system whose records are not JSON has a decoder here; the others
// (queue, log) log JSON or text, which AddPayload shows as it is.
std::optional<nlohmann::json> DescribeForSystem(const std::string& system,
                                                const wal::Record& record) {
  if (system == raft::kRaftLogSystem) {
    return raft::DescribeRaftRecord(record.lsn, record.type, record.payload);
  }
  return std::nullopt;
}

void ReportScanError(const Status& status, std::ostream& err) {
  if (status.IsCorruption()) {
    // ScanLog's message names the segment and the offset.
    err << "dsc: corrupt log: " << status.message() << "\n";
  } else if (status.IsInvalidArgument()) {  // another format version
    err << "dsc: unreadable log: " << status.message() << "\n";
  } else {
    err << "dsc: cannot read log: " << status.ToString() << "\n";
  }
}

}  // namespace

int WalDump(const WalDumpOptions& options, std::ostream& out, std::ostream& err) {
  if (!CheckDirectory(options.dir, err)) return kExitNoDir;

  uint64_t printed = 0;
  // The segment headers name the system that wrote the log, which decides
  // how its records are shown.
  const std::string system = wal::ReadLogSystem(wal::FileSystem::Default(), options.dir);
  auto print = [&](const wal::Record& record, const std::string& segment, uint64_t offset) {
    if (options.limit && printed >= *options.limit) return false;  // stop the scan
    if (record.lsn < options.from_lsn) return true;
    nlohmann::ordered_json line = {{"lsn", record.lsn},
                                   {"type", record.type},
                                   {"segment", segment},
                                   {"offset", offset},
                                   {"size", record.payload.size()}};
    std::optional<nlohmann::json> decoded = DescribeForSystem(system, record);
    if (decoded) {
      for (auto& [key, value] : decoded->items()) line[key] = value;
    } else {
      AddPayload(record.payload, &line);
    }
    out << line.dump() << '\n';
    ++printed;
    return true;
  };
  wal::ScanResult scan = wal::ScanLog(wal::FileSystem::Default(), options.dir, print);
  out.flush();
  if (!CheckHoldsALog(scan, options.dir, err)) return kExitNoDir;

  if (scan.torn_tail) WarnTornTail(*scan.torn_tail, err);
  if (!scan.status.ok()) {
    ReportScanError(scan.status, err);
    return kExitCorrupt;
  }
  return kExitOk;
}

int WalVerify(const std::string& dir, std::ostream& out, std::ostream& err) {
  if (!CheckDirectory(dir, err)) return kExitNoDir;

  wal::ScanResult scan = wal::ScanLog(wal::FileSystem::Default(), dir);
  if (!CheckHoldsALog(scan, dir, err)) return kExitNoDir;
  if (!scan.status.ok()) {
    ReportScanError(scan.status, err);
    return kExitCorrupt;
  }
  uint64_t records = 0;
  uint64_t bytes = 0;
  for (const wal::SegmentInfo& segment : scan.segments) {
    records += segment.record_count;
    bytes += segment.file_bytes;
  }
  out << "system:   " << scan.system << "\n";
  out << "segments: " << scan.segments.size() << "\n";
  out << "records:  " << records;
  if (records > 0) out << " (lsn " << scan.first_lsn << ".." << scan.last_lsn << ")";
  out << "\n";
  out << "bytes:    " << bytes << "\n";
  if (scan.torn_tail) WarnTornTail(*scan.torn_tail, err);
  out << "ok" << std::endl;
  return kExitOk;
}

}  // namespace dsc::cli
