// Test helpers: build histories by hand, with times in milliseconds.
//
//   HistoryBuilder h;
//   h.Put("k", "a", 0, 10);
//   h.Get("k", "a", 12, 14);
//   CheckHistory(h.history());
//
// Thread-safety: one builder per test.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "nodes/raft/check/history.h"

namespace dsc::raft::check::testing {

inline constexpr int64_t kMs = 1'000'000;

class HistoryBuilder {
 public:
  Operation& Put(std::string key, std::string value, int64_t start_ms, int64_t end_ms) {
    Operation& op = Add(OpKind::kPut, std::move(key), start_ms, end_ms);
    op.value = std::move(value);
    return op;
  }
  // `seen`: nullopt for a 404 (absent).
  Operation& Get(std::string key, std::optional<std::string> seen, int64_t start_ms,
                 int64_t end_ms) {
    Operation& op = Add(OpKind::kGet, std::move(key), start_ms, end_ms);
    op.has_seen = true;
    op.seen = std::move(seen);
    return op;
  }
  Operation& Delete(std::string key, int64_t start_ms, int64_t end_ms) {
    return Add(OpKind::kDelete, std::move(key), start_ms, end_ms);
  }
  Operation& Cas(std::string key, std::optional<std::string> expected, std::string value,
                 bool swapped, int64_t start_ms, int64_t end_ms) {
    Operation& op = Add(OpKind::kCas, std::move(key), start_ms, end_ms);
    op.expected = std::move(expected);
    op.value = std::move(value);
    op.swapped = swapped;
    return op;
  }

  const History& history() const { return history_; }

 private:
  Operation& Add(OpKind kind, std::string key, int64_t start_ms, int64_t end_ms) {
    Operation op;
    op.id = history_.size();
    op.client = static_cast<int>(history_.size());
    op.kind = kind;
    op.key = std::move(key);
    op.invoke_ns = start_ms * kMs;
    op.complete_ns = end_ms * kMs;
    op.outcome = Outcome::kOk;
    history_.push_back(std::move(op));
    return history_.back();
  }

  History history_;
};

// Marks an operation unknown (it reported nothing) or failed.
inline void MakeUnknown(Operation& op) {
  op.outcome = Outcome::kUnknown;
  op.has_seen = false;
  op.seen.reset();
  op.swapped = false;
}
inline void MakeFailed(Operation& op) {
  MakeUnknown(op);
  op.outcome = Outcome::kFailed;
}

}  // namespace dsc::raft::check::testing
