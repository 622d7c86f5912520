#include "nodes/queue/core/task.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "nodes/queue/core/queue_options.h"

namespace dsc::queue {
namespace {

Task FullTask() {
  Task task;
  task.id = "t-1";
  task.payload = R"({"image":"cat.png","sizes":[1,2]})";
  task.status = TaskStatus::kProcessing;
  task.attempt = 2;
  task.max_retries = 3;
  task.idempotency_key = "order-42";
  task.worker = "w1";
  task.lease_expires_ms = 31'000;
  task.available_at_ms = 1'500;
  task.last_error = "timeout";
  task.created_ms = 1'000;
  task.updated_ms = 2'000;
  task.enqueue_seq = 7;
  return task;
}

Task MinimalTask() {
  Task task;
  task.id = "t-2";
  task.payload = "\"just a string\"";
  task.max_retries = 0;
  task.created_ms = task.updated_ms = task.available_at_ms = 5;
  task.enqueue_seq = 1;
  return task;
}

TEST(TaskStatusName, RoundTripsEveryStatus) {
  for (TaskStatus status : {TaskStatus::kPending, TaskStatus::kProcessing, TaskStatus::kCompleted,
                            TaskStatus::kFailed}) {
    EXPECT_EQ(ParseTaskStatus(TaskStatusName(status)), status);
  }
  EXPECT_EQ(TaskStatusName(TaskStatus::kFailed), "failed");
  EXPECT_EQ(ParseTaskStatus("Pending"), std::nullopt);
  EXPECT_EQ(ParseTaskStatus("dead"), std::nullopt);
}

TEST(TaskToJson, EmbedsPayloadAsJsonAndOmitsAbsentFields) {
  const nlohmann::json full = TaskToJson(FullTask());
  EXPECT_EQ(full["payload"]["image"], "cat.png");
  EXPECT_EQ(full["status"], "processing");
  EXPECT_EQ(full["lease_expires_ms"], 31'000);

  const nlohmann::json minimal = TaskToJson(MinimalTask());
  EXPECT_EQ(minimal["payload"], "just a string");
  EXPECT_EQ(minimal["status"], "pending");
  EXPECT_FALSE(minimal.contains("worker"));
  EXPECT_FALSE(minimal.contains("lease_expires_ms"));
  EXPECT_FALSE(minimal.contains("idempotency_key"));
  EXPECT_FALSE(minimal.contains("last_error"));
}

TEST(TaskToJsonText, IsTaskToJsonDumpedByteForByte) {
  std::vector<Task> tasks = {FullTask(), MinimalTask()};
  // Canonical payloads, as DecideEnqueue makes them (parse, then dump).
  const std::string payloads[] = {"1",
                                  "null",
                                  "[]",
                                  "-2.5e-7",
                                  R"({"payload":null,"z":[{"a":"\"payload\":null"}]})",
                                  R"("quote \" and \u00e9")",
                                  R"({"caf\u00c3\u00a9":true})"};
  for (const std::string& payload : payloads) {
    Task task = FullTask();
    task.payload = nlohmann::json::parse(payload).dump();
    task.last_error = R"(he said "payload":null)";  // a quote inside a string is escaped
    tasks.push_back(task);
  }
  Task not_json = MinimalTask();
  not_json.payload = "not json {";  // kept as a plain string, as TaskToJson does
  tasks.push_back(not_json);
  for (const Task& task : tasks) {
    EXPECT_EQ(TaskToJsonText(task), TaskToJson(task).dump()) << task.payload;
  }
}

TEST(DumpWithPayloadText, IsDumpingThePayloadParsedByteForByte) {
  const nlohmann::json objects[] = {
      nlohmann::json::object(),
      {{"id", "t-1"}, {"attempt", 2}, {"lease_expires_ms", 31'000}},
      {{"a", R"(a string holding "payload":null)"}, {"z", true}, {"q", nullptr}},
  };
  for (const nlohmann::json& object : objects) {
    for (const std::string text : {"1", "null", R"({"payload":null,"b":[1,"x"]})", "\"s\""}) {
      const std::string payload = nlohmann::json::parse(text).dump();  // canonical
      nlohmann::json with_payload = object;
      with_payload["payload"] = nlohmann::json::parse(payload);
      EXPECT_EQ(DumpWithPayloadText(object, payload), with_payload.dump()) << payload;
    }
  }
}

TEST(TaskFromJson, RoundTripsWhatToJsonWrote) {
  for (const Task& task : {FullTask(), MinimalTask()}) {
    const Result<Task> parsed = TaskFromJson(TaskToJson(task).dump());
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_EQ(*parsed, task);
  }
}

TEST(TaskFromJson, RoundTripsFinishedMs) {
  Task completed = FullTask();
  completed.status = TaskStatus::kCompleted;
  completed.lease_expires_ms.reset();
  completed.finished_ms = 2'000;
  const nlohmann::json json = TaskToJson(completed);
  EXPECT_EQ(json["finished_ms"], 2'000);
  const Result<Task> parsed = TaskFromJson(json.dump());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, completed);

  EXPECT_FALSE(TaskToJson(MinimalTask()).contains("finished_ms"));  // pending
}

// Tasks saved before finished_ms existed have none: a finished one reads
// its last update as its finish.
TEST(TaskFromJson, FinishedTaskWithoutFinishedMsUsesUpdatedMs) {
  Task failed = FullTask();
  failed.status = TaskStatus::kFailed;
  failed.lease_expires_ms.reset();
  failed.finished_ms = 2'000;
  nlohmann::json old = TaskToJson(failed);
  old.erase("finished_ms");
  const Result<Task> parsed = TaskFromJson(old.dump());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->finished_ms, failed.updated_ms);

  const Result<Task> pending = TaskFromJson(TaskToJson(MinimalTask()).dump());
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(pending->finished_ms, std::nullopt);
}

TEST(TaskFromJson, RejectsMalformedTasksAsCorruption) {
  const std::string good = TaskToJson(FullTask()).dump();
  const auto with = [&](const char* key, nlohmann::json value) {
    nlohmann::json j = nlohmann::json::parse(good);
    j[key] = std::move(value);
    return j.dump();
  };
  const auto without = [&](const char* key) {
    nlohmann::json j = nlohmann::json::parse(good);
    j.erase(key);
    return j.dump();
  };
  for (const std::string& bad : {
           std::string(""),
           std::string("not json"),
           std::string("[]"),
           std::string("{}"),
           good.substr(0, good.size() / 2),  // torn
           without("id"),
           without("payload"),
           without("created_ms"),
           with("id", ""),          // empty id
           with("status", "dead"),  // unknown status
           with("attempt", "2"),    // wrong type
           with("attempt", -1),
           with("max_retries", 101),
           with("created_ms", 1.5),                    // not an integer
           with("created_ms", 18446744073709551615u),  // does not fit int64
           without("lease_expires_ms"),                // processing without a lease
           with("worker", nullptr),                    // leased but no worker
           with("finished_ms", 5),                     // processing, yet finished
           with("finished_ms", "5"),                   // wrong type
           std::string(100, '[') + std::string(100, ']'),
       }) {
    const Result<Task> parsed = TaskFromJson(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_TRUE(parsed.status().IsCorruption()) << bad;
  }
}

TEST(ValidateTask, EnforcesTheStatusRules) {
  EXPECT_TRUE(ValidateTask(FullTask()).ok());
  EXPECT_TRUE(ValidateTask(MinimalTask()).ok());

  Task pending_with_lease = MinimalTask();
  pending_with_lease.lease_expires_ms = 10;
  EXPECT_TRUE(ValidateTask(pending_with_lease).IsCorruption());

  Task completed_never_leased = MinimalTask();
  completed_never_leased.status = TaskStatus::kCompleted;
  EXPECT_TRUE(ValidateTask(completed_never_leased).IsCorruption());

  Task worker_without_attempt = MinimalTask();
  worker_without_attempt.worker = "w1";
  EXPECT_TRUE(ValidateTask(worker_without_attempt).IsCorruption());

  Task pending_but_finished = MinimalTask();
  pending_but_finished.finished_ms = 5;
  EXPECT_TRUE(ValidateTask(pending_but_finished).IsCorruption());

  Task completed_without_finish = FullTask();
  completed_without_finish.status = TaskStatus::kCompleted;
  completed_without_finish.lease_expires_ms.reset();
  EXPECT_TRUE(ValidateTask(completed_without_finish).IsCorruption());

  Task long_id = MinimalTask();
  long_id.id = std::string(129, 'x');
  EXPECT_TRUE(ValidateTask(long_id).IsCorruption());
}

// ---- Task ids

TEST(MakeTaskId, WritesTimeThenRandomInLowercaseHex) {
  // 1'700'000'000'000 ms = 0x18bcfe56800.
  EXPECT_EQ(MakeTaskId(1'700'000'000'000, 0xa3f29c17e5d0b48c), "t-018bcfe56800a3f29c17e5d0b48c");
  EXPECT_EQ(MakeTaskId(0, 0), "t-0000000000000000000000000000");
  EXPECT_EQ(MakeTaskId(kMaxTaskIdMs, ~uint64_t{0}), "t-ffffffffffffffffffffffffffff");
  // Out of range: clamped, so the id stays well-formed.
  EXPECT_EQ(MakeTaskId(-5, 1), MakeTaskId(0, 1));
  EXPECT_EQ(MakeTaskId(kMaxTaskIdMs + 1, 1), MakeTaskId(kMaxTaskIdMs, 1));
  EXPECT_LE(MakeTaskId(1, 2).size(), kMaxIdBytes);
}

TEST(TaskIdCreatedMs, ReadsBackWhatMakeTaskIdWrote) {
  for (int64_t ms : {int64_t{0}, int64_t{1}, int64_t{1'700'000'000'000}, kMaxTaskIdMs}) {
    for (uint64_t bits : {uint64_t{0}, uint64_t{0x0123456789abcdef}, ~uint64_t{0}}) {
      EXPECT_EQ(TaskIdCreatedMs(MakeTaskId(ms, bits)), ms) << MakeTaskId(ms, bits);
    }
  }
}

TEST(TaskIdCreatedMs, OldAndMalformedIdsCarryNoTime) {
  const std::string good = MakeTaskId(1'700'000'000'000, 42);
  for (const std::string& id : std::vector<std::string>{
           "t-1",
           "t-a3f29c17e5d0b48c",              // the old form: 16 random hex digits
           "",                                // empty
           good.substr(0, good.size() - 1),   // too short
           good + "0",                        // too long
           "x" + good.substr(1),              // wrong prefix
           "T" + good.substr(1),              // wrong prefix
           "t-018BCFE56800a3f29c17e5d0b48c",  // uppercase
           "t-018bcfe5680 a3f29c17e5d0b48c",  // a space
           "t--18bcfe56800a3f29c17e5d0b48c",  // a sign
           "t-018bcfe56800a3f29c17e5d0b48g",  // not hex in the random part
           "t-018bcfe56800a3f29c17e5d0b48" + std::string(1, '\0'),  // a NUL
       }) {
    EXPECT_EQ(TaskIdCreatedMs(id), std::nullopt) << id;
  }
}

TEST(MayHaveBeenPurged, OnlyWellFormedIdsOlderThanTheRetention) {
  constexpr int64_t kRetention = 3'600'000;
  const std::string id = MakeTaskId(1'000'000, 7);
  EXPECT_FALSE(MayHaveBeenPurged(id, 1'000'000, kRetention));  // just made
  EXPECT_FALSE(MayHaveBeenPurged(id, 1'000'000 + kRetention - 1, kRetention));
  EXPECT_TRUE(MayHaveBeenPurged(id, 1'000'000 + kRetention, kRetention));
  EXPECT_TRUE(MayHaveBeenPurged(id, std::numeric_limits<int64_t>::max(), kRetention));
  EXPECT_FALSE(MayHaveBeenPurged("t-a3f29c17e5d0b48c", 1'000'000'000'000, kRetention));
  EXPECT_FALSE(MayHaveBeenPurged("no-such-thing", 1'000'000'000'000, kRetention));
}

TEST(RetentionPassed, NeverOverflows) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  EXPECT_TRUE(RetentionPassed(0, 10, 10));
  EXPECT_FALSE(RetentionPassed(1, 10, 10));
  EXPECT_FALSE(RetentionPassed(kMax, 10, kMax));
  EXPECT_TRUE(RetentionPassed(kMax - 10, 10, kMax));
  EXPECT_FALSE(RetentionPassed(kMin, 10, kMin + 9));
  EXPECT_TRUE(RetentionPassed(kMin, 10, kMin + 10));
  EXPECT_FALSE(RetentionPassed(0, -1, kMax));  // a negative retention never passes
}

}  // namespace
}  // namespace dsc::queue
