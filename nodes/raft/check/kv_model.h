// The sequential specification of one key of the Raft KV store: the
// "register" every operation on that key must appear to act on, one at a
// time, for a history to be linearizable.
//
// ANCHOR: kv_model
// A key is absent or holds one value.
//
//   get                  -> reads the value (or absent); no change
//   put v                -> the key holds v
//   delete               -> the key is absent
//   cas expected -> v    -> if the key holds `expected`: it holds v (200, swapped)
//                           otherwise: no change (412, not swapped)
//
// An operation whose outcome is unknown reported nothing, so nothing about
// it is checked: a put or delete takes effect wherever it is placed, and a
// CAS swaps exactly when the key holds `expected` at that point. ("It never
// happened" is the same as "it happened after everything else", which the
// checker can always choose.)
// ANCHOR_END: kv_model
//
// Values are interned to small integers (ValueTable) so the checker can
// hash and compare states cheaply.
//
// Thread-safety: plain values and pure functions; a ValueTable is used by
// one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "nodes/raft/check/history.h"

namespace dsc::raft::check {

using ValueId = int32_t;
inline constexpr ValueId kAbsent = -1;
// Stands for every value that no operation on the key reads or expects.
// The model only ever compares values with those, so all such values
// behave alike and the checker may merge them (fewer states to explore).
inline constexpr ValueId kUnread = -2;

// Gives each distinct value string a ValueId, and back.
class ValueTable {
 public:
  ValueId Intern(const std::string& value);
  ValueId Intern(const std::optional<std::string>& value) {
    return value ? Intern(*value) : kAbsent;
  }
  // "\"c1-4\"", "absent" or "a value nobody read", for explanations.
  std::string Describe(ValueId id) const;

 private:
  std::unordered_map<std::string, ValueId> ids_;
  std::vector<std::string> values_;
};

// One operation as the model sees it.
struct ModelOp {
  OpKind kind = OpKind::kGet;
  bool unknown = false;        // outcome unknown: its result is not checked
  ValueId value = kAbsent;     // put, cas: the value written
  ValueId expected = kAbsent;  // cas
  bool swapped = false;        // cas with a known outcome
  bool has_seen = false;       // the value it observed, if it reported one
  ValueId seen = kAbsent;
};

// ModelOp for a history operation whose outcome is ok or unknown.
ModelOp ToModelOp(const Operation& op, ValueTable& values);

// The key's state after `op` runs on a key holding `state`, or nullopt if
// `op` could not have returned what it returned there.
std::optional<ValueId> ApplyToRegister(ValueId state, const ModelOp& op);

// Why ApplyToRegister refused (call only when it did): "reads \"x\" but
// the key holds \"y\"". `state_text` describes `state` (ValueTable::Describe,
// or better when the caller knows which kUnread value it is).
std::string WhyNot(ValueId state, const std::string& state_text, const ModelOp& op,
                   const ValueTable& values);

}  // namespace dsc::raft::check
