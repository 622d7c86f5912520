#include "nodes/common/faults.h"

#include "nodes/common/address.h"
#include "nodes/common/json_body.h"

namespace dsc::node {

nlohmann::json FaultSpec::ToJson() const {
  return {{"isolate", isolate}, {"drop_rate", drop_rate}, {"delay_ms", delay_ms}};
}

Result<FaultSpec> FaultSpec::Parse(std::string_view body) {
  JsonBody json(body);
  if (!json.ok()) return json.status();
  for (const auto& [key, value] : json.json().items()) {
    if (key != "isolate" && key != "drop_rate" && key != "delay_ms") {
      return Status::InvalidArgument("unknown field \"" + key +
                                     "\": expected isolate, drop_rate or delay_ms");
    }
  }
  FaultSpec spec;
  if (json.Has("isolate")) {
    const nlohmann::json& isolate = json.json().at("isolate");
    if (!isolate.is_array()) {
      return Status::InvalidArgument("field \"isolate\": expected an array of peer ids");
    }
    for (const nlohmann::json& id : isolate) {
      if (!id.is_string() || !IsValidNodeId(id.get<std::string>())) {
        return Status::InvalidArgument("field \"isolate\": " + id.dump() + " is not a node id");
      }
      spec.isolate.insert(id.get<std::string>());
    }
  }
  spec.drop_rate = json.OptionalNumber("drop_rate", 0);
  spec.delay_ms = json.OptionalInt("delay_ms", 0, {0, kMaxFaultDelayMs});
  if (!json.ok()) return json.status();
  // Written as a negated range test so NaN is refused too.
  if (!(spec.drop_rate >= 0 && spec.drop_rate <= 1)) {
    return Status::InvalidArgument("field \"drop_rate\": must be between 0 and 1");
  }
  return spec;
}

FaultInjector::FaultInjector(uint64_t seed) : rng_(seed) {}

void FaultInjector::Set(FaultSpec spec) {
  std::lock_guard<std::mutex> lock(mutex_);
  spec_ = std::move(spec);
}

FaultSpec FaultInjector::Get() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return spec_;
}

FaultDecision FaultInjector::Decide(std::string_view peer_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  FaultDecision decision;
  if (spec_.isolate.contains(peer_id)) {
    decision.action = FaultDecision::Action::kIsolated;
    return decision;
  }
  if (spec_.drop_rate > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < spec_.drop_rate) {
    decision.action = FaultDecision::Action::kDrop;
    return decision;
  }
  decision.delay = std::chrono::milliseconds(spec_.delay_ms);
  return decision;
}

}  // namespace dsc::node
