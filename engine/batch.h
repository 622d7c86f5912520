// Batch: Puts and Deletes, per column family, that Engine::Apply writes
// atomically together with the LSN they bring the state to.
//
//   Batch batch;
//   batch.Put("tasks", id, task_json);
//   batch.Delete("leases", id);
//   DSC_RETURN_IF_ERROR(engine.Apply(batch, lsn));
//
// A Batch is a plain list of operations; it knows nothing about RocksDB or
// about any Engine, so building one never fails. Column family names are
// checked when the batch is applied. Operations on one key apply in order:
// the last one wins.
//
// Find() lets an Applier that reads before it writes see what earlier
// records of the same, not yet applied, batch did to a key (see
// Engine::Get with a Batch).
//
// Thread-safety: none; a Batch is built and applied by one thread.
// Lifetime: Put/Delete copy their arguments; the batch owns everything.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dsc::engine {

class Batch {
 public:
  struct Op {
    enum class Kind { kPut, kDelete };
    Kind kind = Kind::kPut;
    std::string column_family;
    std::string key;
    std::string value;  // empty for kDelete
  };

  // What the batch says about one key, if anything.
  struct Lookup {
    enum class State { kAbsent, kPut, kDeleted };
    State state = State::kAbsent;        // kAbsent: the batch does not touch it
    const std::string* value = nullptr;  // set for kPut; owned by the batch
  };

  Batch() = default;
  Batch(const Batch&) = default;
  Batch& operator=(const Batch&) = default;
  Batch(Batch&&) = default;
  Batch& operator=(Batch&&) = default;

  void Put(std::string_view column_family, std::string_view key, std::string_view value);
  void Delete(std::string_view column_family, std::string_view key);
  void Clear();

  // The last Put or Delete of `key` in `column_family` within this batch.
  // The returned pointer is valid until the batch is next modified.
  Lookup Find(std::string_view column_family, std::string_view key) const;

  const std::vector<Op>& ops() const { return ops_; }
  size_t size() const { return ops_.size(); }
  bool empty() const { return ops_.empty(); }

 private:
  void Add(Op op);

  // key -> index into ops_ of its latest operation.
  using KeyIndex = std::map<std::string, size_t, std::less<>>;

  std::vector<Op> ops_;
  // Per column family, so Find stays O(log n) when an Applier reads
  // inside a large batch.
  std::map<std::string, KeyIndex, std::less<>> latest_;
};

}  // namespace dsc::engine
