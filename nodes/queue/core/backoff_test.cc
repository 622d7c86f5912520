#include "nodes/queue/core/backoff.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <limits>

namespace dsc::queue {
namespace {

constexpr BackoffPolicy kPolicy{.base_ms = 1'000, .max_ms = 60'000};

TEST(BackoffCeilingMs, DoublesEachAttemptUntilTheCap) {
  EXPECT_EQ(BackoffCeilingMs(kPolicy, 1), 1'000);
  EXPECT_EQ(BackoffCeilingMs(kPolicy, 2), 2'000);
  EXPECT_EQ(BackoffCeilingMs(kPolicy, 3), 4'000);
  EXPECT_EQ(BackoffCeilingMs(kPolicy, 6), 32'000);
  EXPECT_EQ(BackoffCeilingMs(kPolicy, 7), 60'000);  // 64s capped
  EXPECT_EQ(BackoffCeilingMs(kPolicy, 101), 60'000);
}

TEST(BackoffCeilingMs, HugeCapDoesNotOverflow) {
  const BackoffPolicy policy{.base_ms = 3, .max_ms = std::numeric_limits<int64_t>::max()};
  int64_t previous = 0;
  for (int attempt = 1; attempt <= 200; ++attempt) {
    const int64_t ceiling = BackoffCeilingMs(policy, attempt);
    EXPECT_GE(ceiling, previous) << attempt;
    previous = ceiling;
  }
  EXPECT_EQ(previous, policy.max_ms);
}

TEST(BackoffDelayMs, EqualJitterSpansHalfToFullCeiling) {
  // Ceiling 4000 at attempt 3: half = 2000, 2001 possible values.
  EXPECT_EQ(BackoffDelayMs(kPolicy, 3, 0), 2'000);
  EXPECT_EQ(BackoffDelayMs(kPolicy, 3, 2'000), 4'000);
  EXPECT_EQ(BackoffDelayMs(kPolicy, 3, 2'001), 2'000);  // wraps around
  EXPECT_EQ(BackoffDelayMs(kPolicy, 3, 1'000), 3'000);
}

TEST(BackoffDelayMs, TinyCeilingStillWorks) {
  const BackoffPolicy policy{.base_ms = 1, .max_ms = 1};
  EXPECT_EQ(BackoffDelayMs(policy, 1, 0), 0);
  EXPECT_EQ(BackoffDelayMs(policy, 1, 1), 1);
}

RC_GTEST_PROP(BackoffProperty, DelayLiesBetweenHalfAndFullCeiling, (uint64_t random)) {
  const int attempt = *rc::gen::inRange(1, 150);
  const int64_t base = *rc::gen::inRange<int64_t>(1, 10'000);
  const int64_t max = base + *rc::gen::inRange<int64_t>(0, 10'000'000);
  const BackoffPolicy policy{.base_ms = base, .max_ms = max};
  const int64_t ceiling = BackoffCeilingMs(policy, attempt);
  const int64_t delay = BackoffDelayMs(policy, attempt, random);
  RC_ASSERT(ceiling >= base);
  RC_ASSERT(ceiling <= max);
  RC_ASSERT(delay >= ceiling / 2);
  RC_ASSERT(delay <= ceiling);
}

}  // namespace
}  // namespace dsc::queue
