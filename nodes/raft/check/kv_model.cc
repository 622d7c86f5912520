#include "nodes/raft/check/kv_model.h"

#include <nlohmann/json.hpp>

namespace dsc::raft::check {

ValueId ValueTable::Intern(const std::string& value) {
  auto [it, inserted] = ids_.try_emplace(value, static_cast<ValueId>(values_.size()));
  if (inserted) values_.push_back(value);
  return it->second;
}

std::string ValueTable::Describe(ValueId id) const {
  if (id == kAbsent) return "absent";
  if (id == kUnread) return "a value nobody read";
  if (id < 0 || static_cast<size_t>(id) >= values_.size()) return "?";
  return nlohmann::json(values_[static_cast<size_t>(id)])
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

ModelOp ToModelOp(const Operation& op, ValueTable& values) {
  ModelOp model;
  model.kind = op.kind;
  model.unknown = op.outcome != Outcome::kOk;
  if (op.kind == OpKind::kPut || op.kind == OpKind::kCas) model.value = values.Intern(op.value);
  if (op.kind == OpKind::kCas) model.expected = values.Intern(op.expected);
  if (!model.unknown) {
    model.swapped = op.swapped;
    model.has_seen = op.has_seen;
    if (op.has_seen) model.seen = values.Intern(op.seen);
  }
  return model;
}

// ANCHOR: apply_to_register
std::optional<ValueId> ApplyToRegister(ValueId state, const ModelOp& op) {
  if (op.has_seen && op.seen != state) return std::nullopt;
  switch (op.kind) {
    case OpKind::kGet: return state;
    case OpKind::kPut: return op.value;
    case OpKind::kDelete: return kAbsent;
    case OpKind::kCas: {
      const bool matches = state == op.expected;
      if (op.unknown) return matches ? op.value : state;
      if (op.swapped != matches) return std::nullopt;
      return op.swapped ? op.value : state;
    }
  }
  return std::nullopt;
}
// ANCHOR_END: apply_to_register

std::string WhyNot(ValueId state, const std::string& state_text, const ModelOp& op,
                   const ValueTable& values) {
  const std::string holds = state == kAbsent ? "the key is absent" : "the key holds " + state_text;
  if (op.has_seen && op.seen != state) {
    return (op.kind == OpKind::kGet ? "reads " : "saw ") + values.Describe(op.seen) + " but " +
           holds;
  }
  if (op.kind == OpKind::kCas && op.swapped) return "swapped but " + holds;
  if (op.kind == OpKind::kCas) return "did not swap but " + holds + ", as it expected";
  return "cannot happen here";
}

}  // namespace dsc::raft::check
