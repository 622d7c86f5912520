// A tiny state machine for engine's replay tests (not part of dsc_engine).
//
// Each WAL record is one TestOp on a (table, key):
//   type 1 put     value := arg
//   type 2 delete  key removed
//   type 3 append  value := old value (or "") + arg: read-modify-write,
//                  so applying a record twice shows up in the state
//   type 4 noop    no change (a record that does not touch the state)
// payload := table '\0' key '\0' arg
//
// Fold() is the model: what the state must be after records 1..n.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/replay.h"
#include "engine/test_util.h"
#include "wal/format.h"

namespace dsc::engine::testing {

struct TestOp {
  enum Type : uint8_t { kPut = 1, kDelete = 2, kAppend = 3, kNoop = 4 };
  uint8_t type = kPut;
  std::string table;
  std::string key;
  std::string arg;
};

inline std::string EncodeTestOp(const TestOp& op) {
  std::string payload = op.table;
  payload.push_back('\0');
  payload += op.key;
  payload.push_back('\0');
  payload += op.arg;
  return payload;
}

inline Result<TestOp> DecodeTestRecord(const wal::Record& record) {
  TestOp op;
  op.type = record.type;
  const size_t first = record.payload.find('\0');
  const size_t second = first == std::string::npos ? first : record.payload.find('\0', first + 1);
  if (second == std::string::npos) {
    return Status::Corruption(fmt::format("record {}: malformed test op", record.lsn));
  }
  op.table = record.payload.substr(0, first);
  op.key = record.payload.substr(first + 1, second - first - 1);
  op.arg = record.payload.substr(second + 1);
  return op;
}

// The Applier for TestOps. Reads go through the pending batch so an append
// sees the records before it in the same replay chunk.
inline Applier TestApplier(const Engine& engine) {
  return [&engine](const wal::Record& record, Batch& batch) -> Status {
    Result<TestOp> op = DecodeTestRecord(record);
    if (!op.ok()) return op.status();
    switch (op->type) {
      case TestOp::kPut:
        batch.Put(op->table, op->key, op->arg);
        return Status::Ok();
      case TestOp::kDelete:
        batch.Delete(op->table, op->key);
        return Status::Ok();
      case TestOp::kAppend: {
        Result<std::string> old = engine.Get(op->table, op->key, batch);
        if (!old.ok() && !old.status().IsNotFound()) return old.status();
        batch.Put(op->table, op->key, (old.ok() ? *old : std::string()) + op->arg);
        return Status::Ok();
      }
      case TestOp::kNoop:
        return Status::Ok();
    }
    return Status::Corruption(
        fmt::format("record {}: unknown type {}", record.lsn, static_cast<int>(record.type)));
  };
}

// The state after applying `ops` in order, to a fresh state.
inline StateMap Fold(const std::vector<TestOp>& ops) {
  StateMap state;
  for (const TestOp& op : ops) {
    auto key = std::pair(op.table, op.key);
    switch (op.type) {
      case TestOp::kPut:
        state[key] = op.arg;
        break;
      case TestOp::kDelete:
        state.erase(key);
        break;
      case TestOp::kAppend:
        state[key] += op.arg;
        break;
      default:
        break;
    }
  }
  return state;
}

}  // namespace dsc::engine::testing
