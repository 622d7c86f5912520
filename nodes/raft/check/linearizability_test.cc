// The checker on hand-built histories: ones that are linearizable (the
// overlaps a correct store produces) and ones that are not (the anomalies
// a broken Raft produces: stale reads, lost writes, CAS anomalies), with
// unknown and failed outcomes. Times are milliseconds.
#include "nodes/raft/check/linearizability.h"

#include <gtest/gtest.h>

#include <string>

#include "nodes/raft/check/check_test_util.h"

namespace dsc::raft::check {
namespace {

using testing::HistoryBuilder;
using testing::MakeFailed;
using testing::MakeUnknown;

Verdict VerdictOf(const History& history, const CheckOptions& options = {}) {
  return CheckHistory(history, options).verdict;
}

TEST(LinearizabilityTest, EmptyHistory_Linearizable) {
  EXPECT_EQ(VerdictOf({}), Verdict::kLinearizable);
}

TEST(LinearizabilityTest, SequentialPutGetDelete_Linearizable) {
  HistoryBuilder h;
  h.Get("k", std::nullopt, 0, 1);
  h.Put("k", "a", 2, 3);
  h.Get("k", "a", 4, 5);
  h.Delete("k", 6, 7);
  h.Get("k", std::nullopt, 8, 9);
  EXPECT_EQ(VerdictOf(h.history()), Verdict::kLinearizable);
}

TEST(LinearizabilityTest, ConcurrentWritesThenReadOfEither_Linearizable) {
  for (const char* winner : {"a", "b"}) {
    HistoryBuilder h;
    h.Put("k", "a", 0, 10);
    h.Put("k", "b", 1, 9);
    h.Get("k", winner, 11, 12);
    h.Get("k", winner, 13, 14);
    EXPECT_EQ(VerdictOf(h.history()), Verdict::kLinearizable) << winner;
  }
}

TEST(LinearizabilityTest, ReadDuringWriteSeesOldOrNew_Linearizable) {
  for (const char* seen : {"a", "b"}) {
    HistoryBuilder h;
    h.Put("k", "a", 0, 1);
    h.Put("k", "b", 2, 10);
    h.Get("k", seen, 3, 4);
    EXPECT_EQ(VerdictOf(h.history()), Verdict::kLinearizable) << seen;
  }
}

TEST(LinearizabilityTest, ConcurrentReadsMayDisagreeWhileWriteIsPending_Linearizable) {
  // One read before the write's point, one after it: both overlap it.
  HistoryBuilder h;
  h.Put("k", "a", 0, 1);
  h.Put("k", "b", 2, 20);
  h.Get("k", "b", 3, 5);
  h.Get("k", "b", 6, 8);
  h.Get("k", "a", 2, 4);
  EXPECT_EQ(VerdictOf(h.history()), Verdict::kLinearizable);
}

TEST(LinearizabilityTest, CasSwapsOnceAmongRacers_Linearizable) {
  HistoryBuilder h;
  h.Put("k", "a", 0, 1);
  h.Cas("k", "a", "b", /*swapped=*/true, 2, 10);
  h.Cas("k", "a", "c", /*swapped=*/false, 3, 9);
  h.Get("k", "b", 11, 12);
  EXPECT_EQ(VerdictOf(h.history()), Verdict::kLinearizable);
}

TEST(LinearizabilityTest, CasOnAbsentKeyAndReportedCurrentValue_Linearizable) {
  HistoryBuilder h;
  h.Cas("k", std::nullopt, "a", /*swapped=*/true, 0, 1);
  Operation& failed_cas = h.Cas("k", "x", "y", /*swapped=*/false, 2, 3);
  failed_cas.has_seen = true;
  failed_cas.seen = "a";
  h.Get("k", "a", 4, 5);
  EXPECT_EQ(VerdictOf(h.history()), Verdict::kLinearizable);
}

TEST(LinearizabilityTest, UnknownWriteMayTakeEffectLongAfter_Linearizable) {
  HistoryBuilder h;
  h.Put("k", "a", 0, 1);
  MakeUnknown(h.Put("k", "b", 2, 3));  // the client gave up at 3ms
  h.Get("k", "a", 10, 11);
  h.Get("k", "b", 100, 101);  // ...but it committed later
  EXPECT_EQ(VerdictOf(h.history()), Verdict::kLinearizable);
}

TEST(LinearizabilityTest, UnknownWriteMayNeverHappen_Linearizable) {
  HistoryBuilder h;
  h.Put("k", "a", 0, 1);
  MakeUnknown(h.Put("k", "b", 2, 3));
  h.Get("k", "a", 10, 11);
  h.Get("k", "a", 100, 101);
  EXPECT_EQ(VerdictOf(h.history()), Verdict::kLinearizable);
}

TEST(LinearizabilityTest, UnknownCasSwapsOnlyIfItMatches_Linearizable) {
  HistoryBuilder h;
  h.Put("k", "a", 0, 1);
  MakeUnknown(h.Cas("k", "a", "b", false, 2, 3));
  h.Get("k", "b", 10, 11);
  EXPECT_EQ(VerdictOf(h.history()), Verdict::kLinearizable);
}

TEST(LinearizabilityTest, FailedAndUnknownReadsAreIgnored_Linearizable) {
  HistoryBuilder h;
  h.Put("k", "a", 0, 1);
  MakeFailed(h.Get("k", "zzz", 2, 3));
  MakeUnknown(h.Get("k", "zzz", 4, 5));
  h.Get("k", "a", 6, 7);
  EXPECT_EQ(VerdictOf(h.history()), Verdict::kLinearizable);
}

TEST(LinearizabilityTest, EqualTimestampsCountAsOverlapping_Linearizable) {
  // The read was invoked in the same nanosecond the write completed: the
  // clock cannot order them, so either order is accepted.
  HistoryBuilder h;
  h.Put("k", "a", 0, 5);
  h.Get("k", std::nullopt, 5, 6);
  EXPECT_EQ(VerdictOf(h.history()), Verdict::kLinearizable);
}

TEST(LinearizabilityTest, StaleReadAfterCompletedWrite_NotLinearizable) {
  HistoryBuilder h;
  h.Put("k", "a", 0, 1);
  h.Put("k", "b", 2, 3);
  h.Get("k", "a", 4, 5);
  const CheckResult result = CheckHistory(h.history());
  ASSERT_EQ(result.verdict, Verdict::kNotLinearizable);
  ASSERT_EQ(result.keys.size(), 1u);
  EXPECT_EQ(result.keys[0].key, "k");
  // The explanation names the read that cannot fit and why.
  EXPECT_NE(result.keys[0].explanation.find("#2 client 2 get \"k\": read \"a\""), std::string::npos)
      << result.keys[0].explanation;
  EXPECT_NE(result.keys[0].explanation.find("the key holds \"b\""), std::string::npos)
      << result.keys[0].explanation;
}

TEST(LinearizabilityTest, ReadOfNeverWrittenValue_NotLinearizable) {
  HistoryBuilder h;
  h.Put("k", "a", 0, 10);
  h.Get("k", "ghost", 2, 8);
  EXPECT_EQ(VerdictOf(h.history()), Verdict::kNotLinearizable);
}

TEST(LinearizabilityTest, ReadsGoBackInTime_NotLinearizable) {
  // Once one read saw the new value, a later read must not see the old.
  HistoryBuilder h;
  h.Put("k", "a", 0, 1);
  h.Put("k", "b", 2, 20);
  h.Get("k", "b", 3, 4);
  h.Get("k", "a", 5, 6);
  EXPECT_EQ(VerdictOf(h.history()), Verdict::kNotLinearizable);
}

TEST(LinearizabilityTest, LostWrite_NotLinearizable) {
  // An acknowledged write vanishes: a later read sees the key absent.
  HistoryBuilder h;
  h.Put("k", "a", 0, 1);
  h.Get("k", "a", 2, 3);
  h.Get("k", std::nullopt, 4, 5);
  EXPECT_EQ(VerdictOf(h.history()), Verdict::kNotLinearizable);
}

TEST(LinearizabilityTest, DeletedValueReappears_NotLinearizable) {
  HistoryBuilder h;
  h.Put("k", "a", 0, 1);
  h.Delete("k", 2, 3);
  h.Get("k", "a", 4, 5);
  EXPECT_EQ(VerdictOf(h.history()), Verdict::kNotLinearizable);
}

TEST(LinearizabilityTest, TwoCasSwapTheSameValue_NotLinearizable) {
  HistoryBuilder h;
  h.Put("k", "a", 0, 1);
  h.Cas("k", "a", "b", /*swapped=*/true, 2, 10);
  h.Cas("k", "a", "c", /*swapped=*/true, 3, 9);
  EXPECT_EQ(VerdictOf(h.history()), Verdict::kNotLinearizable);
}

TEST(LinearizabilityTest, CasSwapsAMismatch_NotLinearizable) {
  HistoryBuilder h;
  h.Put("k", "a", 0, 1);
  h.Cas("k", "x", "b", /*swapped=*/true, 2, 3);
  EXPECT_EQ(VerdictOf(h.history()), Verdict::kNotLinearizable);
}

TEST(LinearizabilityTest, CasRefusesAMatch_NotLinearizable) {
  HistoryBuilder h;
  h.Put("k", "a", 0, 1);
  h.Cas("k", "a", "b", /*swapped=*/false, 2, 3);
  EXPECT_EQ(VerdictOf(h.history()), Verdict::kNotLinearizable);
}

TEST(LinearizabilityTest, CasReportsAWrongCurrentValue_NotLinearizable) {
  HistoryBuilder h;
  h.Put("k", "a", 0, 1);
  Operation& cas = h.Cas("k", "x", "b", /*swapped=*/false, 2, 3);
  cas.has_seen = true;
  cas.seen = "old";
  EXPECT_EQ(VerdictOf(h.history()), Verdict::kNotLinearizable);
}

TEST(LinearizabilityTest, UnknownWriteCannotActBeforeItsInvoke_NotLinearizable) {
  HistoryBuilder h;
  h.Get("k", "b", 0, 1);
  MakeUnknown(h.Put("k", "b", 5, 6));
  EXPECT_EQ(VerdictOf(h.history()), Verdict::kNotLinearizable);
}

TEST(LinearizabilityTest, UnknownWriteCannotBeUndone_NotLinearizable) {
  // It may take effect late, but once seen it stays until overwritten.
  HistoryBuilder h;
  h.Put("k", "a", 0, 1);
  MakeUnknown(h.Put("k", "b", 2, 3));
  h.Get("k", "b", 10, 11);
  h.Get("k", "a", 12, 13);
  EXPECT_EQ(VerdictOf(h.history()), Verdict::kNotLinearizable);
}

TEST(LinearizabilityTest, FailedWriteIsSeen_NotLinearizable) {
  HistoryBuilder h;
  MakeFailed(h.Put("k", "a", 0, 1));
  h.Get("k", "a", 2, 3);
  EXPECT_EQ(VerdictOf(h.history()), Verdict::kNotLinearizable);
}

TEST(LinearizabilityTest, Keys_EachKeyIsCheckedAlone) {
  HistoryBuilder h;
  h.Put("k1", "a", 0, 1);
  h.Put("k2", "a", 0, 1);
  h.Get("k1", "a", 2, 3);
  h.Get("k2", std::nullopt, 2, 3);  // k2 lost its write
  const CheckResult result = CheckHistory(h.history());
  EXPECT_EQ(result.verdict, Verdict::kNotLinearizable);
  ASSERT_EQ(result.keys.size(), 2u);
  EXPECT_EQ(result.keys[0].verdict, Verdict::kLinearizable);
  EXPECT_EQ(result.keys[1].verdict, Verdict::kNotLinearizable);
  const std::string report = FormatCheckResult(result);
  EXPECT_NE(report.find("key \"k2\" is not linearizable"), std::string::npos) << report;
  EXPECT_EQ(report.find("key \"k1\""), std::string::npos) << report;
}

TEST(LinearizabilityTest, Keys_CountsOutcomes) {
  HistoryBuilder h;
  h.Put("k", "a", 0, 1);
  MakeFailed(h.Put("k", "b", 0, 1));
  MakeUnknown(h.Put("k", "c", 0, 1));
  const CheckResult result = CheckHistory(h.history());
  EXPECT_EQ(result.ok, 1u);
  EXPECT_EQ(result.failed, 1u);
  EXPECT_EQ(result.unknown, 1u);
}

TEST(LinearizabilityTest, Bounds_StepLimitGivesUnknownNotAWrongAnswer) {
  // Twelve overlapping writes and a read of a value none wrote: proving
  // that no order works means trying many, far more than 100 steps.
  HistoryBuilder h;
  for (int i = 0; i < 12; ++i) h.Put("k", "v" + std::to_string(i), 0, 100);
  h.Get("k", "ghost", 101, 102);
  CheckOptions tight;
  tight.max_steps_per_key = 100;
  const CheckResult bounded = CheckHistory(h.history(), tight);
  EXPECT_EQ(bounded.verdict, Verdict::kUnknown);
  EXPECT_NE(FormatCheckResult(bounded).find("step or time limit"), std::string::npos);
  // With room to search, the answer is definite.
  EXPECT_EQ(VerdictOf(h.history()), Verdict::kNotLinearizable);
}

TEST(LinearizabilityTest, Bounds_NotLinearizableWinsOverUnknown) {
  HistoryBuilder h;
  for (int i = 0; i < 12; ++i) h.Put("big", "v" + std::to_string(i), 0, 100);
  h.Get("big", "ghost", 101, 102);
  h.Put("small", "a", 0, 1);
  h.Get("small", "b", 2, 3);
  CheckOptions tight;
  tight.max_steps_per_key = 100;
  EXPECT_EQ(VerdictOf(h.history(), tight), Verdict::kNotLinearizable);
}

}  // namespace
}  // namespace dsc::raft::check
