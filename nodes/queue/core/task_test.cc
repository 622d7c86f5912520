#include "nodes/queue/core/task.h"

#include <gtest/gtest.h>

#include <string>

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
  for (TaskStatus status : {TaskStatus::kPending, TaskStatus::kProcessing,
                            TaskStatus::kCompleted, TaskStatus::kFailed}) {
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

TEST(TaskFromJson, RoundTripsWhatToJsonWrote) {
  for (const Task& task : {FullTask(), MinimalTask()}) {
    const Result<Task> parsed = TaskFromJson(TaskToJson(task).dump());
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_EQ(*parsed, task);
  }
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
           std::string(""), std::string("not json"), std::string("[]"), std::string("{}"),
           good.substr(0, good.size() / 2),     // torn
           without("id"), without("payload"), without("created_ms"),
           with("id", ""),                       // empty id
           with("status", "dead"),               // unknown status
           with("attempt", "2"),                 // wrong type
           with("attempt", -1), with("max_retries", 101),
           with("created_ms", 1.5),              // not an integer
           with("created_ms", 18446744073709551615u),  // does not fit int64
           without("lease_expires_ms"),          // processing without a lease
           with("worker", nullptr),              // leased but no worker
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

  Task long_id = MinimalTask();
  long_id.id = std::string(129, 'x');
  EXPECT_TRUE(ValidateTask(long_id).IsCorruption());
}

}  // namespace
}  // namespace dsc::queue
