// Commands: the queue's write-ahead log records.
//
// Every change to the queue is one command. The node decides a command
// (QueueState::Decide*), appends EncodeCommand(command) to the WAL with
// record type CommandRecordType(command), and only then applies it
// (QueueState::Apply). A command carries every value that was decided —
// the new task's id, the clock reading, the lease deadline, the retry time
// with its jitter, whether the task is dead-lettered — so applying it is a
// pure function of the state and the command, and replaying the log after
// a crash rebuilds exactly the same queue.
//
// ANCHOR: command_records
// Encoding: one compact JSON object per record, "op" first, so
// `dsc wal dump` shows readable lines:
//
//   {"op":"enqueue","id":"t-1","payload":{"n":1},"max_retries":3,"enqueue_seq":1,"now_ms":1000}
//   {"op":"lease","id":"t-1","worker":"w1","lease_expires_ms":31000,"now_ms":1000}
//   {"op":"ack","id":"t-1","worker":"w1","now_ms":2000}
//   {"op":"fail","id":"t-1","worker":"w1","error":"timeout","retry_at_ms":3100,"dead":false,
//    "now_ms":2000}
//   {"op":"expire","id":"t-1","dead":false,"now_ms":31000}
//   {"op":"purge","ids":["t-1","t-2"],"now_ms":3700000}
//
// An Enqueue may also hold "idempotency_key"; records written before
// enqueue_seq was logged lack it (Apply then numbers the task itself). A
// purge names 1..kMaxPurgeBatch tasks. The payload is embedded as
// JSON (not as a string of JSON) and always compact, so decoding and
// re-encoding gives back the same bytes.
// ANCHOR_END: command_records
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/status.h"

namespace dsc::queue {

// A producer adds a task; it starts pending and available at once.
struct Enqueue {
  std::string id;
  // Canonical JSON text: what nlohmann's dump() writes (compact, numbers
  // and escapes as it writes them), as DecideEnqueue and DecodeCommand
  // make it. The encoder puts it in the record as it is.
  std::string payload;
  int max_retries = 0;
  std::optional<std::string> idempotency_key;
  int64_t now_ms = 0;
  // The task's place in the FIFO tie-break of the ready order, decided
  // with the rest, so that replay does not depend on the tasks a Purge
  // removed before the RocksDB snapshot it starts from. 0: not logged
  // (an older record).
  uint64_t enqueue_seq = 0;

  bool operator==(const Enqueue&) const = default;
};

// A worker takes a pending task until lease_expires_ms (one attempt).
struct Lease {
  std::string id;
  std::string worker;
  int64_t lease_expires_ms = 0;
  int64_t now_ms = 0;

  bool operator==(const Lease&) const = default;
};

// The worker holding the lease reports success: the task is completed.
struct Ack {
  std::string id;
  std::string worker;
  int64_t now_ms = 0;

  bool operator==(const Ack&) const = default;
};

// The worker holding the lease reports failure: the task is pending again
// from retry_at_ms, or dead-lettered (status failed) when `dead`.
struct Fail {
  std::string id;
  std::string worker;
  std::string error;
  int64_t retry_at_ms = 0;  // ignored when dead
  bool dead = false;
  int64_t now_ms = 0;

  bool operator==(const Fail&) const = default;
};

// The lease ran out before an ack or fail (the worker died, hung or lost
// its network): an attempt that failed. Pending again at once, or
// dead-lettered when `dead`.
struct Expire {
  std::string id;
  bool dead = false;
  int64_t now_ms = 0;

  bool operator==(const Expire&) const = default;
};

// Removes finished tasks whose retention has passed (QueueState::
// DecidePurge), oldest first: from memory on Apply, from RocksDB by the
// flusher. The only command that changes more than one task.
struct Purge {
  std::vector<std::string> ids;  // 1..kMaxPurgeBatch tasks
  int64_t now_ms = 0;

  bool operator==(const Purge&) const = default;
};

using Command = std::variant<Enqueue, Lease, Ack, Fail, Expire, Purge>;

// WAL record types, one per op (0 is the WAL's invalid type).
inline constexpr uint8_t kEnqueueRecordType = 1;
inline constexpr uint8_t kLeaseRecordType = 2;
inline constexpr uint8_t kAckRecordType = 3;
inline constexpr uint8_t kFailRecordType = 4;
inline constexpr uint8_t kExpireRecordType = 5;
inline constexpr uint8_t kPurgeRecordType = 6;

uint8_t CommandRecordType(const Command& command);

// "enqueue", "lease", "ack", "fail", "expire", "purge": the "op" field.
std::string_view CommandName(const Command& command);

// The id of the task the command changes; empty for a Purge, which names
// its tasks in Purge::ids.
const std::string& CommandTaskId(const Command& command);

// The compact JSON shown above. The strings must be valid UTF-8 and the
// payload valid compact JSON, which is true of every decided command (an
// invalid string would be written with U+FFFD in its place).
std::string EncodeCommand(const Command& command);

// The inverse of EncodeCommand. Corruption for anything else: invalid or
// deeply nested JSON, an unknown op, a missing or mistyped field, a value
// out of range. Never throws.
Result<Command> DecodeCommand(std::string_view text);

}  // namespace dsc::queue
