#include "nodes/common/faults.h"

#include <gtest/gtest.h>

namespace dsc::node {
namespace {

TEST(FaultSpec, ParsesAllFields) {
  Result<FaultSpec> spec = FaultSpec::Parse(R"({"isolate":["n2","n3"],"drop_rate":0.25,"delay_ms":40})");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->isolate, (std::set<std::string, std::less<>>{"n2", "n3"}));
  EXPECT_DOUBLE_EQ(spec->drop_rate, 0.25);
  EXPECT_EQ(spec->delay_ms, 40);
  EXPECT_EQ(spec->ToJson()["isolate"], nlohmann::json::parse(R"(["n2","n3"])"));
}

TEST(FaultSpec, EmptyBodyMeansNoFaults) {
  Result<FaultSpec> spec = FaultSpec::Parse("{}");
  ASSERT_TRUE(spec.ok());
  EXPECT_TRUE(spec->empty());
}

TEST(FaultSpec, RejectsBadValues) {
  for (const char* bad : {R"({"drop_rate":1.5})", R"({"drop_rate":-0.1})", R"({"drop_rate":"x"})",
                          R"({"delay_ms":-1})", R"({"delay_ms":600000})", R"({"delay_ms":1.5})",
                          R"({"isolate":"n2"})", R"({"isolate":[2]})", R"({"isolate":["a/b"]})",
                          R"({"isolated":["n2"]})", "not json", "[]"}) {
    Result<FaultSpec> spec = FaultSpec::Parse(bad);
    EXPECT_FALSE(spec.ok()) << bad;
    if (!spec.ok()) {
      EXPECT_TRUE(spec.status().IsInvalidArgument()) << bad;
    }
  }
}

TEST(FaultInjector, DeliversByDefault) {
  FaultInjector faults(1);
  FaultDecision d = faults.Decide("n2");
  EXPECT_EQ(d.action, FaultDecision::Action::kDeliver);
  EXPECT_EQ(d.delay.count(), 0);
}

TEST(FaultInjector, IsolatesOnlyListedPeers) {
  FaultInjector faults(1);
  faults.Set(*FaultSpec::Parse(R"({"isolate":["n2"]})"));
  EXPECT_EQ(faults.Decide("n2").action, FaultDecision::Action::kIsolated);
  EXPECT_EQ(faults.Decide("n3").action, FaultDecision::Action::kDeliver);
  faults.Clear();
  EXPECT_EQ(faults.Decide("n2").action, FaultDecision::Action::kDeliver);
}

TEST(FaultInjector, DropRateOneDropsEverything) {
  FaultInjector faults(1);
  faults.Set(*FaultSpec::Parse(R"({"drop_rate":1})"));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(faults.Decide("n2").action, FaultDecision::Action::kDrop);
}

TEST(FaultInjector, DropRateIsRoughlyHonoured) {
  FaultInjector faults(42);
  faults.Set(*FaultSpec::Parse(R"({"drop_rate":0.5})"));
  int dropped = 0;
  for (int i = 0; i < 2000; ++i) dropped += faults.Decide("n2").action == FaultDecision::Action::kDrop;
  EXPECT_GT(dropped, 800);
  EXPECT_LT(dropped, 1200);
}

TEST(FaultInjector, DelayIsReported) {
  FaultInjector faults(1);
  faults.Set(*FaultSpec::Parse(R"({"delay_ms":30})"));
  EXPECT_EQ(faults.Decide("n2").delay.count(), 30);
}

}  // namespace
}  // namespace dsc::node
