// Scripted scenarios: every transition of the task lifecycle and every
// rejection, driven with a hand-moved clock.
#include "nodes/queue/core/queue_state.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace dsc::queue {
namespace {

constexpr int64_t kStart = 1'000'000;  // the fake clock's first reading
constexpr int64_t kLeaseMs = 30'000;

class QueueStateTest : public ::testing::Test {
 protected:
  // Decides and applies an Enqueue; returns the task id.
  std::string EnqueueTask(std::string payload = R"({"n":1})",
                          std::optional<int> max_retries = std::nullopt,
                          std::optional<std::string> key = std::nullopt) {
    const std::string id = "t-" + std::to_string(next_id_++);
    Result<EnqueueDecision> decision =
        state_.DecideEnqueue({std::move(payload), max_retries, std::move(key)}, now_, id);
    EXPECT_TRUE(decision.ok()) << decision.status().ToString();
    if (!decision.ok()) return "";
    if (decision->command) ApplyOk(*decision->command);
    return decision->task_id;
  }

  // Decides and applies a Lease; returns the leased id ("" when none).
  std::string LeaseTask(const std::string& worker, int64_t lease_ms = kLeaseMs) {
    Result<std::optional<Lease>> lease = state_.DecideLease(worker, lease_ms, now_);
    EXPECT_TRUE(lease.ok()) << lease.status().ToString();
    if (!lease.ok() || !lease->has_value()) return "";
    ApplyOk(**lease);
    return (*lease)->id;
  }

  void AckTask(const std::string& id, const std::string& worker) {
    Result<Ack> ack = state_.DecideAck(id, worker, now_);
    ASSERT_TRUE(ack.ok()) << ack.status().ToString();
    ApplyOk(*ack);
  }

  Fail FailTask(const std::string& id, const std::string& worker, uint64_t random = 0) {
    Result<Fail> fail = state_.DecideFail(id, worker, "boom", now_, random);
    EXPECT_TRUE(fail.ok()) << fail.status().ToString();
    if (!fail.ok()) return {};
    ApplyOk(*fail);
    return *fail;
  }

  // Decides and applies every due expiry; returns how many there were.
  size_t ExpireDue() {
    const std::vector<Expire> expiries = state_.DecideExpiries(now_);
    for (const Expire& expire : expiries) ApplyOk(expire);
    return expiries.size();
  }

  void ApplyOk(const Command& command) {
    Result<ApplyResult> result = state_.Apply(command);
    ASSERT_TRUE(result.ok()) << EncodeCommand(command) << ": " << result.status().ToString();
    EXPECT_EQ(result->changed_task_ids, std::vector<std::string>{CommandTaskId(command)});
    EXPECT_TRUE(state_.CheckInvariants().ok()) << state_.CheckInvariants().ToString();
  }

  void ApplyPurgeOk(const Purge& purge) {
    Result<ApplyResult> result = state_.Apply(purge);
    ASSERT_TRUE(result.ok()) << EncodeCommand(purge) << ": " << result.status().ToString();
    EXPECT_EQ(result->removed_task_ids, purge.ids);
    EXPECT_TRUE(state_.CheckInvariants().ok()) << state_.CheckInvariants().ToString();
  }

  const Task& Get(const std::string& id) {
    const Task* task = state_.Find(id);
    EXPECT_NE(task, nullptr) << id;
    static const Task kMissing;
    return task != nullptr ? *task : kMissing;
  }

  QueueState state_;
  int64_t now_ = kStart;
  int next_id_ = 1;
};

// ---- Enqueue

TEST_F(QueueStateTest, DecideEnqueue_CreatesPendingTaskAvailableNow) {
  const std::string id = EnqueueTask(R"({"image": "cat.png"})");
  const Task& task = Get(id);
  EXPECT_EQ(task.status, TaskStatus::kPending);
  EXPECT_EQ(task.payload, R"({"image":"cat.png"})");  // compacted
  EXPECT_EQ(task.attempt, 0);
  EXPECT_EQ(task.max_retries, 3);  // the default
  EXPECT_EQ(task.available_at_ms, kStart);
  EXPECT_EQ(task.created_ms, kStart);
  EXPECT_EQ(task.updated_ms, kStart);
  EXPECT_FALSE(task.worker.has_value());
  EXPECT_FALSE(task.lease_expires_ms.has_value());
  EXPECT_EQ(task.enqueue_seq, 1u);
}

TEST_F(QueueStateTest, DecideEnqueue_RejectsBadRequestsAsInvalidArgument) {
  QueueOptions options;
  options.max_payload_bytes = 100;
  QueueState small(options);
  const auto decide = [&](EnqueueRequest request, std::string id = "t-new") {
    return small.DecideEnqueue(request, now_, std::move(id)).status();
  };
  EXPECT_TRUE(decide({"{not json", {}, {}}).IsInvalidArgument());
  EXPECT_TRUE(decide({"", {}, {}}).IsInvalidArgument());
  EXPECT_TRUE(decide({"\"" + std::string(100, 'x') + "\"", {}, {}}).IsInvalidArgument());
  EXPECT_TRUE(decide({std::string(65, '[') + std::string(65, ']'), {}, {}}).IsInvalidArgument());
  EXPECT_TRUE(decide({"1", -1, {}}).IsInvalidArgument());
  EXPECT_TRUE(decide({"1", 101, {}}).IsInvalidArgument());
  EXPECT_TRUE(decide({"1", {}, ""}).IsInvalidArgument());
  EXPECT_TRUE(decide({"1", {}, std::string(257, 'k')}).IsInvalidArgument());
  EXPECT_TRUE(decide({"1", {}, "\xFF"}).IsInvalidArgument());
  EXPECT_TRUE(decide({"1", {}, {}}, "").IsInvalidArgument());
  EXPECT_TRUE(decide({"1", {}, {}}, std::string(129, 'i')).IsInvalidArgument());
  // The edges of the ranges are allowed.
  EXPECT_TRUE(decide({"1", 0, {}}).ok());
  EXPECT_TRUE(decide({"1", 100, {}}).ok());
  const std::string deepest = std::string(64, '[') + std::string(64, ']');  // 128 bytes
  EXPECT_TRUE(state_.DecideEnqueue({deepest, {}, {}}, now_, "t-deep").ok());
}

TEST_F(QueueStateTest, DecideEnqueue_RejectsAnIdAlreadyUsed) {
  const std::string id = EnqueueTask();
  EXPECT_TRUE(state_.DecideEnqueue({"1", {}, {}}, now_, id).status().IsInvalidArgument());
}

TEST_F(QueueStateTest, DecideEnqueue_RejectsAnIdMadeAfterNow) {
  // The id's time must not be later than the task's: GET would answer 404
  // instead of 410 once it is purged.
  EXPECT_TRUE(state_.DecideEnqueue({"1", {}, {}}, now_, MakeTaskId(now_ + 1, 7))
                  .status()
                  .IsInvalidArgument());
  EXPECT_TRUE(state_.DecideEnqueue({"1", {}, {}}, now_, MakeTaskId(now_, 7)).ok());
  EXPECT_TRUE(state_.DecideEnqueue({"1", {}, {}}, now_, MakeTaskId(now_ - 1, 7)).ok());
}

TEST_F(QueueStateTest, DecideEnqueue_KnownIdempotencyKeyReturnsTheSameTask) {
  const std::string first = EnqueueTask(R"({"order":42})", 5, "order-42");
  Result<EnqueueDecision> again =
      state_.DecideEnqueue({R"({ "order" : 42 })", 5, "order-42"}, now_ + 10, "t-other");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->task_id, first);
  EXPECT_FALSE(again->command.has_value());  // nothing to log
  EXPECT_EQ(state_.tasks().size(), 1u);

  // Still true once the task is done: the key keeps naming it.
  AckTask(LeaseTask("w1"), "w1");
  again = state_.DecideEnqueue({R"({"order":42})", {}, "order-42"}, now_, "t-later");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->task_id, first);
}

TEST_F(QueueStateTest, DecideEnqueue_KnownKeyWithAnotherPayloadIsConflict) {
  EnqueueTask(R"({"order":42})", {}, "order-42");
  const Status status =
      state_.DecideEnqueue({R"({"order":43})", {}, "order-42"}, now_, "t-9").status();
  EXPECT_TRUE(status.IsConflict()) << status.ToString();
}

// ---- Lease

TEST_F(QueueStateTest, DecideLease_EmptyQueueGivesNothing) {
  Result<std::optional<Lease>> lease = state_.DecideLease("w1", kLeaseMs, now_);
  ASSERT_TRUE(lease.ok());
  EXPECT_FALSE(lease->has_value());
}

TEST_F(QueueStateTest, DecideLease_RejectsBadWorkerOrLeaseLength) {
  EnqueueTask();
  EXPECT_TRUE(state_.DecideLease("", kLeaseMs, now_).status().IsInvalidArgument());
  EXPECT_TRUE(
      state_.DecideLease(std::string(129, 'w'), kLeaseMs, now_).status().IsInvalidArgument());
  EXPECT_TRUE(state_.DecideLease("w1", 99, now_).status().IsInvalidArgument());
  EXPECT_TRUE(state_.DecideLease("w1", 3'600'001, now_).status().IsInvalidArgument());
  EXPECT_TRUE(state_.DecideLease("w1", 100, now_).ok());
  EXPECT_TRUE(state_.DecideLease("w1", 3'600'000, now_).ok());
}

TEST_F(QueueStateTest, DecideLease_StartsAnAttemptForTheWorker) {
  const std::string id = EnqueueTask();
  now_ += 5;
  EXPECT_EQ(LeaseTask("w1"), id);
  const Task& task = Get(id);
  EXPECT_EQ(task.status, TaskStatus::kProcessing);
  EXPECT_EQ(task.attempt, 1);
  EXPECT_EQ(task.worker, "w1");
  EXPECT_EQ(task.lease_expires_ms, now_ + kLeaseMs);
  EXPECT_EQ(task.updated_ms, now_);
  // Nothing else is ready.
  EXPECT_EQ(LeaseTask("w2"), "");
}

TEST_F(QueueStateTest, DecideLease_HandsOutOldestFirst) {
  const std::string a = EnqueueTask();
  const std::string b = EnqueueTask();  // same millisecond: enqueue order decides
  now_ += 1;
  const std::string c = EnqueueTask();
  EXPECT_EQ(LeaseTask("w1"), a);
  EXPECT_EQ(LeaseTask("w1"), b);
  EXPECT_EQ(LeaseTask("w1"), c);
}

TEST_F(QueueStateTest, DecideLease_RespectsAvailableAt) {
  const std::string first = EnqueueTask();
  LeaseTask("w1");
  const Fail fail = FailTask(first, "w1", /*random=*/0);  // retry after 500 ms
  ASSERT_EQ(fail.retry_at_ms, now_ + 500);
  now_ += 1;
  const std::string second = EnqueueTask();
  // `first` is older but still backing off: the newer task goes first.
  EXPECT_EQ(LeaseTask("w2"), second);
  now_ = fail.retry_at_ms - 1;
  EXPECT_EQ(LeaseTask("w2"), "");
  EXPECT_EQ(state_.NextAvailableMs(), fail.retry_at_ms);
  now_ = fail.retry_at_ms;
  EXPECT_EQ(LeaseTask("w2"), first);
}

// ---- Ack

TEST_F(QueueStateTest, DecideAck_CompletesTheTaskAndKeepsIt) {
  const std::string id = EnqueueTask();
  LeaseTask("w1");
  now_ += 100;
  AckTask(id, "w1");
  const Task& task = Get(id);
  EXPECT_EQ(task.status, TaskStatus::kCompleted);
  EXPECT_EQ(task.attempt, 1);
  EXPECT_EQ(task.worker, "w1");  // who did it
  EXPECT_FALSE(task.lease_expires_ms.has_value());
  EXPECT_EQ(task.updated_ms, now_);
  EXPECT_EQ(task.finished_ms, now_);  // its retention starts now
  EXPECT_EQ(LeaseTask("w2"), "");     // never handed out again
}

TEST_F(QueueStateTest, DecideAck_UnknownIdIsNotFound) {
  EXPECT_TRUE(state_.DecideAck("t-404", "w1", now_).status().IsNotFound());
  // An id that no task can have is not echoed into the (JSON) message.
  const Status bad_id = state_.DecideAck("t-\xFF", "w1", now_).status();
  EXPECT_TRUE(bad_id.IsNotFound());
  EXPECT_EQ(bad_id.message().find('\xFF'), std::string::npos);
}

TEST_F(QueueStateTest, DecideAck_RejectsAnEmptyWorker) {
  const std::string id = EnqueueTask();
  LeaseTask("w1");
  EXPECT_TRUE(state_.DecideAck(id, "", now_).status().IsInvalidArgument());
}

TEST_F(QueueStateTest, DecideAck_PendingTaskIsConflict) {
  const std::string id = EnqueueTask();
  EXPECT_TRUE(state_.DecideAck(id, "w1", now_).status().IsConflict());
}

TEST_F(QueueStateTest, DecideAck_ByAnotherWorkerIsConflict) {
  const std::string id = EnqueueTask();
  LeaseTask("w1");
  EXPECT_TRUE(state_.DecideAck(id, "w2", now_).status().IsConflict());
}

TEST_F(QueueStateTest, DecideAck_TwiceIsConflict) {
  const std::string id = EnqueueTask();
  LeaseTask("w1");
  AckTask(id, "w1");
  EXPECT_TRUE(state_.DecideAck(id, "w1", now_).status().IsConflict());
}

TEST_F(QueueStateTest, DecideAck_AfterTheLeaseRanOutIsConflict) {
  const std::string id = EnqueueTask();
  LeaseTask("w1");
  now_ += kLeaseMs - 1;
  EXPECT_TRUE(state_.DecideAck(id, "w1", now_).ok());  // the last live millisecond
  now_ += 1;
  // The deadline itself is too late, even before any Expire is applied.
  EXPECT_TRUE(state_.DecideAck(id, "w1", now_).status().IsConflict());
  EXPECT_TRUE(state_.DecideFail(id, "w1", "late", now_, 0).status().IsConflict());
}

TEST_F(QueueStateTest, DecideAck_ByTheWorkerThatLostTheLeaseIsConflict) {
  const std::string id = EnqueueTask();
  LeaseTask("w1");
  now_ += kLeaseMs;
  ASSERT_EQ(ExpireDue(), 1u);
  EXPECT_EQ(LeaseTask("w2"), id);
  // w1 wakes up and reports: too late, w2 owns the task now.
  EXPECT_TRUE(state_.DecideAck(id, "w1", now_).status().IsConflict());
  AckTask(id, "w2");
  EXPECT_EQ(Get(id).attempt, 2);
}

// ---- Fail and backoff

TEST_F(QueueStateTest, DecideFail_RetriesAfterABackoff) {
  const std::string id = EnqueueTask();
  LeaseTask("w1");
  now_ += 10;
  const Fail fail = FailTask(id, "w1", /*random=*/123);
  EXPECT_FALSE(fail.dead);
  EXPECT_EQ(fail.retry_at_ms, now_ + 500 + 123);  // equal jitter over [500, 1000]
  const Task& task = Get(id);
  EXPECT_EQ(task.status, TaskStatus::kPending);
  EXPECT_EQ(task.available_at_ms, fail.retry_at_ms);
  EXPECT_EQ(task.last_error, "boom");
  EXPECT_EQ(task.attempt, 1);
  EXPECT_FALSE(task.lease_expires_ms.has_value());
}

TEST_F(QueueStateTest, DecideFail_BackoffDoublesAndIsCapped) {
  const std::string id = EnqueueTask("1", /*max_retries=*/20);
  // With the largest jitter the wait is the ceiling itself: 1s, 2s, 4s...
  // up to the 60s cap.
  const std::vector<int64_t> ceilings = {1'000,  2'000,  4'000,  8'000, 16'000,
                                         32'000, 60'000, 60'000, 60'000};
  for (const int64_t ceiling : ceilings) {
    ASSERT_EQ(LeaseTask("w1"), id);
    const uint64_t largest = static_cast<uint64_t>(ceiling - ceiling / 2);
    const Fail fail = FailTask(id, "w1", largest);
    EXPECT_EQ(fail.retry_at_ms - now_, ceiling);
    now_ = fail.retry_at_ms;
  }
}

TEST_F(QueueStateTest, DecideFail_JitterStaysWithinHalfAndFullCeiling) {
  const std::string id = EnqueueTask("1", 20);
  LeaseTask("w1");
  for (uint64_t random : {uint64_t{0}, uint64_t{1}, uint64_t{499}, uint64_t{500}, uint64_t{501},
                          uint64_t{123'456'789}, std::numeric_limits<uint64_t>::max()}) {
    Result<Fail> fail = state_.DecideFail(id, "w1", "x", now_, random);
    ASSERT_TRUE(fail.ok());
    EXPECT_GE(fail->retry_at_ms - now_, 500) << random;
    EXPECT_LE(fail->retry_at_ms - now_, 1'000) << random;
  }
}

TEST_F(QueueStateTest, DecideFail_DeadLettersAfterExactlyMaxRetriesPlusOneAttempts) {
  const std::string id = EnqueueTask("1", /*max_retries=*/3);
  for (int attempt = 1; attempt <= 4; ++attempt) {
    ASSERT_EQ(LeaseTask("w1"), id) << attempt;
    EXPECT_EQ(Get(id).attempt, attempt);
    const Fail fail = FailTask(id, "w1");
    EXPECT_EQ(fail.dead, attempt == 4) << attempt;
    now_ = fail.retry_at_ms;
  }
  const Task& task = Get(id);
  EXPECT_EQ(task.status, TaskStatus::kFailed);
  EXPECT_EQ(task.attempt, 4);
  EXPECT_EQ(task.last_error, "boom");
  now_ += 3'600'000;
  EXPECT_EQ(LeaseTask("w1"), "");  // dead letters are never handed out
  EXPECT_EQ(state_.GetStats(now_).failed, 1u);
}

TEST_F(QueueStateTest, DecideFail_WithNoRetriesDeadLettersTheFirstFailure) {
  const std::string id = EnqueueTask("1", /*max_retries=*/0);
  LeaseTask("w1");
  EXPECT_TRUE(FailTask(id, "w1").dead);
  EXPECT_EQ(Get(id).status, TaskStatus::kFailed);
}

TEST_F(QueueStateTest, DecideFail_RejectsLikeAck) {
  const std::string id = EnqueueTask();
  EXPECT_TRUE(state_.DecideFail("t-404", "w1", "x", now_, 0).status().IsNotFound());
  EXPECT_TRUE(state_.DecideFail(id, "w1", "x", now_, 0).status().IsConflict());  // pending
  LeaseTask("w1");
  EXPECT_TRUE(state_.DecideFail(id, "w2", "x", now_, 0).status().IsConflict());
  EXPECT_TRUE(state_.DecideFail(id, "w1", "\xC0\x80", now_, 0).status().IsInvalidArgument());
}

TEST_F(QueueStateTest, DecideFail_CutsLongErrors) {
  const std::string id = EnqueueTask();
  LeaseTask("w1");
  Result<Fail> fail = state_.DecideFail(id, "w1", std::string(10'000, 'e'), now_, 0);
  ASSERT_TRUE(fail.ok());
  EXPECT_EQ(fail->error.size(), kMaxErrorBytes);
}

// ---- Expiry

TEST_F(QueueStateTest, DecideExpiries_NothingBeforeTheDeadline) {
  EnqueueTask();
  LeaseTask("w1");
  EXPECT_EQ(state_.NextLeaseExpiryMs(), now_ + kLeaseMs);
  EXPECT_TRUE(state_.DecideExpiries(now_ + kLeaseMs - 1).empty());
  EXPECT_EQ(state_.DecideExpiries(now_ + kLeaseMs).size(), 1u);
}

TEST_F(QueueStateTest, DecideExpiries_ReturnsTheTaskToPendingAndCountsTheAttempt) {
  const std::string id = EnqueueTask();
  LeaseTask("w1");
  now_ += kLeaseMs + 7;
  const std::vector<Expire> expiries = state_.DecideExpiries(now_);
  ASSERT_EQ(expiries.size(), 1u);
  EXPECT_EQ(expiries[0], (Expire{id, false, now_}));
  ApplyOk(expiries[0]);
  const Task& task = Get(id);
  EXPECT_EQ(task.status, TaskStatus::kPending);
  EXPECT_EQ(task.available_at_ms, now_);  // offered again at once
  EXPECT_EQ(task.attempt, 1);             // the lost attempt still counts
  EXPECT_EQ(task.last_error, "lease of worker w1 expired");
  EXPECT_EQ(LeaseTask("w2"), id);
  EXPECT_EQ(Get(id).attempt, 2);
}

TEST_F(QueueStateTest, DecideExpiries_EarliestDeadlineFirst) {
  const std::string a = EnqueueTask();
  const std::string b = EnqueueTask();
  LeaseTask("w1", 20'000);  // a
  LeaseTask("w2", 10'000);  // b
  const std::vector<Expire> expiries = state_.DecideExpiries(now_ + 60'000);
  ASSERT_EQ(expiries.size(), 2u);
  EXPECT_EQ(expiries[0].id, b);
  EXPECT_EQ(expiries[1].id, a);
}

TEST_F(QueueStateTest, DecideExpiries_DeadLettersAPoisonTask) {
  // A task that kills every worker that takes it: no worker ever acks or
  // fails it, only leases run out. It must not loop forever.
  const std::string id = EnqueueTask("1", /*max_retries=*/2);
  for (int attempt = 1; attempt <= 3; ++attempt) {
    ASSERT_EQ(LeaseTask("w" + std::to_string(attempt)), id);
    now_ += kLeaseMs;
    const std::vector<Expire> expiries = state_.DecideExpiries(now_);
    ASSERT_EQ(expiries.size(), 1u);
    EXPECT_EQ(expiries[0].dead, attempt == 3);
    ApplyOk(expiries[0]);
  }
  EXPECT_EQ(Get(id).status, TaskStatus::kFailed);
  EXPECT_EQ(Get(id).attempt, 3);
  EXPECT_EQ(Get(id).last_error, "lease of worker w3 expired");
  EXPECT_EQ(Get(id).finished_ms, now_);
  EXPECT_EQ(LeaseTask("w4"), "");
}

// ---- Retention: DecidePurge and Apply(Purge)

constexpr int64_t kRetentionMs = QueueOptions{}.retention_ms;

TEST_F(QueueStateTest, DecideFail_DeadLetterSetsFinishedMsAndARetryDoesNot) {
  const std::string id = EnqueueTask("1", /*max_retries=*/1);
  LeaseTask("w1");
  FailTask(id, "w1");
  EXPECT_EQ(Get(id).finished_ms, std::nullopt);  // pending again
  now_ += 10'000;
  LeaseTask("w1");
  now_ += 5;
  FailTask(id, "w1");
  EXPECT_EQ(Get(id).status, TaskStatus::kFailed);
  EXPECT_EQ(Get(id).finished_ms, now_);
}

TEST_F(QueueStateTest, DecidePurge_NothingUntilTheRetentionHasPassed) {
  EXPECT_EQ(state_.DecidePurge(now_ + 10 * kRetentionMs), std::nullopt);  // no tasks
  const std::string id = EnqueueTask();
  LeaseTask("w1");
  AckTask(id, "w1");
  EXPECT_EQ(state_.DecidePurge(now_ + kRetentionMs - 1), std::nullopt);
  const std::optional<Purge> purge = state_.DecidePurge(now_ + kRetentionMs);
  ASSERT_TRUE(purge.has_value());
  EXPECT_EQ(purge->ids, std::vector<std::string>{id});
  EXPECT_EQ(purge->now_ms, now_ + kRetentionMs);
}

TEST_F(QueueStateTest, DecidePurge_TakesOnlyFinishedTasksOldestFinishFirst) {
  const std::string first_done = EnqueueTask();
  const std::string dead = EnqueueTask("1", /*max_retries=*/0);
  const std::string running = EnqueueTask();
  EnqueueTask();  // stays pending
  ASSERT_EQ(LeaseTask("w1"), first_done);
  ASSERT_EQ(LeaseTask("w2"), dead);
  ASSERT_EQ(LeaseTask("w3"), running);
  now_ += 10;
  FailTask(dead, "w2");  // finishes first
  now_ += 10;
  AckTask(first_done, "w1");
  const std::optional<Purge> purge = state_.DecidePurge(now_ + 100 * kRetentionMs);
  ASSERT_TRUE(purge.has_value());
  EXPECT_EQ(purge->ids, (std::vector<std::string>{dead, first_done}));
  // Only the first one's retention has passed here.
  EXPECT_EQ(state_.DecidePurge(now_ - 10 + kRetentionMs)->ids, std::vector<std::string>{dead});
}

TEST_F(QueueStateTest, DecidePurge_BatchesAtMostMaxPurgeBatch) {
  const size_t total = kMaxPurgeBatch + 5;
  for (size_t i = 0; i < total; ++i) {
    const std::string id = EnqueueTask();
    LeaseTask("w1");
    AckTask(id, "w1");
    now_ += 1;
  }
  now_ += kRetentionMs;
  std::optional<Purge> purge = state_.DecidePurge(now_);
  ASSERT_TRUE(purge.has_value());
  EXPECT_EQ(purge->ids.size(), kMaxPurgeBatch);
  ApplyPurgeOk(*purge);
  purge = state_.DecidePurge(now_);
  ASSERT_TRUE(purge.has_value());
  EXPECT_EQ(purge->ids.size(), 5u);
  ApplyPurgeOk(*purge);
  EXPECT_EQ(state_.DecidePurge(now_), std::nullopt);
  EXPECT_TRUE(state_.tasks().empty());
}

TEST_F(QueueStateTest, ApplyPurge_RemovesTheTaskAndForgetsItsKey) {
  const std::string id = EnqueueTask(R"({"order":42})", {}, "order-42");
  LeaseTask("w1");
  AckTask(id, "w1");
  const std::string other = EnqueueTask();  // stays
  now_ += kRetentionMs;
  const std::optional<Purge> purge = state_.DecidePurge(now_);
  ASSERT_TRUE(purge.has_value());
  Result<ApplyResult> result = state_.Apply(*purge);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result->changed_task_ids.empty());
  EXPECT_EQ(result->removed_task_ids, std::vector<std::string>{id});
  EXPECT_EQ(result->already_absent, 0u);
  EXPECT_EQ(state_.Find(id), nullptr);
  EXPECT_NE(state_.Find(other), nullptr);
  EXPECT_EQ(state_.GetStats(now_).completed, 0u);
  EXPECT_TRUE(state_.CheckInvariants().ok()) << state_.CheckInvariants().ToString();

  // The key went with the task: the same request now makes a new task.
  Result<EnqueueDecision> again =
      state_.DecideEnqueue({R"({"order":42})", {}, "order-42"}, now_, "t-again");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->task_id, "t-again");
  EXPECT_TRUE(again->command.has_value());
}

TEST_F(QueueStateTest, ApplyPurge_ToleratesIdsAlreadyGone) {
  const std::string id = EnqueueTask();
  LeaseTask("w1");
  AckTask(id, "w1");
  const Purge purge{{id, "t-never", id}, now_ + kRetentionMs};
  Result<ApplyResult> result = state_.Apply(purge);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->removed_task_ids, std::vector<std::string>{id});
  EXPECT_EQ(result->already_absent, 2u);  // the unknown one and the repeat
  // A replay of the same Purge (RocksDB had already deleted the task).
  result = state_.Apply(purge);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->removed_task_ids.empty());
  EXPECT_EQ(result->already_absent, 3u);
  EXPECT_TRUE(state_.CheckInvariants().ok());
}

TEST_F(QueueStateTest, ApplyPurge_RefusesWholeWhenATaskIsNotFinished) {
  const std::string done = EnqueueTask();
  LeaseTask("w1");
  AckTask(done, "w1");
  const std::string running = EnqueueTask();
  LeaseTask("w2");
  const std::string waiting = EnqueueTask();
  const int64_t later = now_ + kRetentionMs;
  for (const std::string& live : {running, waiting}) {
    const Status status = state_.Apply(Purge{{done, live}, later}).status();
    EXPECT_TRUE(status.IsConflict()) << status.ToString();
  }
  // Finished after the purge's clock: not decided by DecidePurge either.
  EXPECT_TRUE(state_.Apply(Purge{{done}, now_ - 1}).status().IsConflict());
  EXPECT_EQ(state_.tasks().size(), 3u);  // nothing removed
  EXPECT_TRUE(state_.CheckInvariants().ok());
}

TEST_F(QueueStateTest, MayHaveBeenPurged_UsesTheQueueRetention) {
  const std::string id = MakeTaskId(now_, 99);
  EXPECT_FALSE(state_.MayHaveBeenPurged(id, now_ + kRetentionMs - 1));
  EXPECT_TRUE(state_.MayHaveBeenPurged(id, now_ + kRetentionMs));
  EXPECT_FALSE(state_.MayHaveBeenPurged("t-1", now_ + 100 * kRetentionMs));  // no time in it
}

TEST_F(QueueStateTest, DecidePurge_AfterRestoreInIdOrderStillOldestFirst) {
  // Ids in RocksDB sort against finish order: "t-9" finishes first.
  const std::string late = EnqueueTask();  // t-1
  next_id_ = 9;
  const std::string early = EnqueueTask();  // t-9
  LeaseTask("w1");
  LeaseTask("w2");
  AckTask(early, "w2");
  now_ += 10;
  AckTask(late, "w1");
  QueueState restored;
  for (const auto& [id, task] : state_.tasks()) ASSERT_TRUE(restored.Restore(task).ok());
  ASSERT_TRUE(restored.CheckInvariants().ok());
  EXPECT_EQ(restored.DecidePurge(now_ + kRetentionMs)->ids,
            (std::vector<std::string>{early, late}));
  EXPECT_EQ(restored.DecidePurge(now_ + kRetentionMs), state_.DecidePurge(now_ + kRetentionMs));
}

// Regression: Restore numbers the next task after the highest enqueue_seq
// it loads, and a purge may have removed the highest. The replayed Enqueue
// brings its own number, so the rebuilt queue matches the live one.
TEST_F(QueueStateTest, Restore_AfterThePurgeOfTheNewestTaskReplaysTheSameSeq) {
  EnqueueTask();                             // seq 1, stays pending
  const std::string newest = EnqueueTask();  // seq 2
  ASSERT_EQ(LeaseTask("w1"), Get("t-1").id);
  ASSERT_EQ(LeaseTask("w1"), newest);
  AckTask(newest, "w1");
  now_ += kRetentionMs;
  ApplyPurgeOk(*state_.DecidePurge(now_));  // the snapshot RocksDB holds from here

  QueueState restored;
  for (const auto& [id, task] : state_.tasks()) ASSERT_TRUE(restored.Restore(task).ok());
  Result<EnqueueDecision> live = state_.DecideEnqueue({"1", {}, {}}, now_, "t-live");
  ASSERT_TRUE(live.ok() && live->command.has_value());
  EXPECT_EQ(live->command->enqueue_seq, 3u);
  ApplyOk(*live->command);
  ASSERT_TRUE(restored.Apply(*live->command).ok());  // the replay
  EXPECT_EQ(*restored.Find("t-live"), Get("t-live"));
  EXPECT_TRUE(restored.CheckInvariants().ok());
}

TEST(ValidateQueueOptions, RetentionMustBePositive) {
  EXPECT_TRUE(ValidateQueueOptions(QueueOptions{}).ok());
  QueueOptions options;
  options.retention_ms = 0;
  EXPECT_TRUE(ValidateQueueOptions(options).IsInvalidArgument());
  options.retention_ms = 1;
  options.min_lease_ms = options.max_lease_ms + 1;
  EXPECT_TRUE(ValidateQueueOptions(options).IsInvalidArgument());
}

// ---- Apply of commands that no longer fit

TEST_F(QueueStateTest, Apply_StaleCommandChangesNothing) {
  const std::string id = EnqueueTask();
  // Two workers decided against the same state: both chose the same task.
  Result<std::optional<Lease>> first = state_.DecideLease("w1", kLeaseMs, now_);
  Result<std::optional<Lease>> second = state_.DecideLease("w2", kLeaseMs, now_);
  ASSERT_TRUE(first.ok() && first->has_value() && second.ok() && second->has_value());
  ApplyOk(**first);
  const nlohmann::json before = TaskToJson(Get(id));
  EXPECT_TRUE(state_.Apply(**second).status().IsConflict());
  EXPECT_EQ(TaskToJson(Get(id)), before);
  EXPECT_EQ(Get(id).worker, "w1");

  // A second ack, a replayed enqueue, an unknown task: all refused.
  Result<Ack> ack = state_.DecideAck(id, "w1", now_);
  ASSERT_TRUE(ack.ok());
  ApplyOk(*ack);
  EXPECT_TRUE(state_.Apply(*ack).status().IsConflict());
  EXPECT_TRUE(state_.Apply(Enqueue{id, "1", 3, std::nullopt, now_, 0}).status().IsConflict());
  EXPECT_TRUE(state_.Apply(Expire{"t-404", false, now_}).status().IsNotFound());
  EXPECT_TRUE(state_.Apply(Expire{id, false, now_ + kLeaseMs}).status().IsConflict());
  EXPECT_TRUE(state_.CheckInvariants().ok());
}

TEST_F(QueueStateTest, Apply_EnqueueWithATakenKeyIsConflict) {
  EnqueueTask("1", {}, "k");
  EXPECT_TRUE(state_.Apply(Enqueue{"t-x", "1", 3, "k", now_, 0}).status().IsConflict());
  EXPECT_EQ(state_.tasks().size(), 1u);
}

// ---- Restore, stats

TEST_F(QueueStateTest, Restore_RebuildsTheSameQueue) {
  const std::string done = EnqueueTask("1", {}, "key-done");
  AckTask(LeaseTask("w1"), "w1");
  EnqueueTask("2");
  LeaseTask("w2");  // running
  const std::string backing_off = EnqueueTask("3");
  LeaseTask("w3");
  const Fail fail = FailTask(backing_off, "w3");
  EnqueueTask("4");  // waiting

  QueueState restored;
  for (const auto& [id, task] : state_.tasks()) {
    Result<Task> reloaded = TaskFromJson(TaskToJson(task).dump());
    ASSERT_TRUE(reloaded.ok()) << reloaded.status().ToString();
    ASSERT_TRUE(restored.Restore(std::move(*reloaded)).ok());
  }
  ASSERT_TRUE(restored.CheckInvariants().ok());
  for (const auto& [id, task] : state_.tasks()) EXPECT_EQ(*restored.Find(id), task);

  // It behaves the same from here on: expiries, lease order, keys, new ids.
  EXPECT_EQ(restored.DecideExpiries(now_ + kLeaseMs), state_.DecideExpiries(now_ + kLeaseMs));
  EXPECT_EQ(*restored.DecideLease("w9", kLeaseMs, fail.retry_at_ms),
            *state_.DecideLease("w9", kLeaseMs, fail.retry_at_ms));
  EXPECT_EQ(restored.DecideEnqueue({"1", {}, "key-done"}, now_, "t-new")->task_id, done);
  Result<EnqueueDecision> next = restored.DecideEnqueue({"5", {}, {}}, now_, "t-new");
  ASSERT_TRUE(next.ok() && next->command.has_value());
  ASSERT_TRUE(restored.Apply(*next->command).ok());
  ASSERT_TRUE(state_.Apply(*next->command).ok());
  EXPECT_EQ(restored.Find("t-new")->enqueue_seq, state_.Find("t-new")->enqueue_seq);
}

TEST_F(QueueStateTest, Restore_RejectsDuplicatesAndBrokenTasks) {
  const std::string id = EnqueueTask("1", {}, "k");
  QueueState restored;
  ASSERT_TRUE(restored.Restore(Get(id)).ok());
  EXPECT_TRUE(restored.Restore(Get(id)).IsCorruption());  // same id
  Task same_key = Get(id);
  same_key.id = "t-other";
  EXPECT_TRUE(restored.Restore(same_key).IsCorruption());
  Task broken = Get(id);
  broken.id = "t-broken";
  broken.idempotency_key.reset();
  broken.status = TaskStatus::kProcessing;  // without a lease
  EXPECT_TRUE(restored.Restore(broken).IsCorruption());
  EXPECT_TRUE(restored.CheckInvariants().ok());
  EXPECT_EQ(restored.tasks().size(), 1u);
}

TEST_F(QueueStateTest, GetStats_CountsEachStatusAndTheOldestWait) {
  EXPECT_EQ(state_.GetStats(now_).oldest_pending_age_ms, 0);
  EnqueueTask();  // a
  EnqueueTask();  // b
  const std::string c = EnqueueTask("1", /*max_retries=*/0);
  now_ += 1'000;
  EnqueueTask();                   // d
  AckTask(LeaseTask("w1"), "w1");  // a: completed
  LeaseTask("w1");                 // b: processing
  ASSERT_EQ(LeaseTask("w1"), c);
  FailTask(c, "w1");  // c: dead at once
  now_ += 250;
  const QueueStats stats = state_.GetStats(now_);
  EXPECT_EQ(stats.pending, 1u);  // d
  EXPECT_EQ(stats.processing, 1u);
  EXPECT_EQ(stats.completed, 1u);
  EXPECT_EQ(stats.failed, 1u);
  EXPECT_EQ(stats.oldest_pending_age_ms, 250);  // d has waited since it was enqueued
}

}  // namespace
}  // namespace dsc::queue
