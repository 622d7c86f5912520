#include "engine/batch.h"

#include <utility>

namespace dsc::engine {

void Batch::Put(std::string_view column_family, std::string_view key, std::string_view value) {
  Add(Op{Op::Kind::kPut, std::string(column_family), std::string(key), std::string(value)});
}

void Batch::Delete(std::string_view column_family, std::string_view key) {
  Add(Op{Op::Kind::kDelete, std::string(column_family), std::string(key), std::string()});
}

void Batch::Clear() {
  ops_.clear();
  latest_.clear();
}

void Batch::Add(Op op) {
  auto family = latest_.find(op.column_family);
  if (family == latest_.end()) family = latest_.emplace(op.column_family, KeyIndex()).first;
  family->second.insert_or_assign(op.key, ops_.size());
  ops_.push_back(std::move(op));
}

Batch::Lookup Batch::Find(std::string_view column_family, std::string_view key) const {
  auto family = latest_.find(column_family);
  if (family == latest_.end()) return {};
  auto entry = family->second.find(key);
  if (entry == family->second.end()) return {};
  const Op& op = ops_[entry->second];
  if (op.kind == Op::Kind::kDelete) return {Lookup::State::kDeleted, nullptr};
  return {Lookup::State::kPut, &op.value};
}

}  // namespace dsc::engine
