// The Raft log's records: how an entry is stored in the write-ahead log
// (one record per entry, LSN == Raft index) and how `dsc wal dump` shows
// one. Kept apart from RaftStorage so that tools can read a Raft log
// without linking the Raft node.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "nlohmann/json.hpp"
#include "nodes/raft/core/types.h"

namespace dsc::raft {

// The system tag in the segment headers of a Raft log (wal/format.h).
inline constexpr char kRaftLogSystem[] = "raft";

// WAL record types of the Raft log.
inline constexpr uint8_t kRaftEntryRecord = 1;  // payload: term:u64 command
inline constexpr uint8_t kRaftNoopRecord = 2;   // payload: term:u64

// Encodes/decodes an entry as a WAL record payload (the index is the LSN).
std::string EncodeEntryPayload(const Entry& entry);
Result<Entry> DecodeEntryRecord(uint64_t lsn, uint8_t type, std::string_view payload);
// For `dsc wal dump`: {"term":T,"entry":"noop"} or {"term":T,"command":{...}}
// (kv_command.h), or nullopt when the record is not a Raft entry.
std::optional<nlohmann::json> DescribeRaftRecord(uint64_t lsn, uint8_t type,
                                                 std::string_view payload);

}  // namespace dsc::raft
