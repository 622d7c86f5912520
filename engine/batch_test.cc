#include "engine/batch.h"

#include <gtest/gtest.h>

namespace dsc::engine {
namespace {

using State = Batch::Lookup::State;

TEST(Batch, Find_AbsentKey) {
  Batch batch;
  batch.Put("kv", "a", "1");
  EXPECT_EQ(batch.Find("kv", "b").state, State::kAbsent);
  EXPECT_EQ(batch.Find("other", "a").state, State::kAbsent);
}

TEST(Batch, Find_LastOperationWins) {
  Batch batch;
  batch.Put("kv", "a", "1");
  batch.Delete("kv", "a");
  EXPECT_EQ(batch.Find("kv", "a").state, State::kDeleted);
  batch.Put("kv", "a", "2");
  Batch::Lookup found = batch.Find("kv", "a");
  ASSERT_EQ(found.state, State::kPut);
  EXPECT_EQ(*found.value, "2");
  EXPECT_EQ(batch.size(), 3u);  // every operation is kept, in order
}

TEST(Batch, Find_SeparatesColumnFamilies) {
  Batch batch;
  batch.Put("tasks", "k", "task");
  batch.Put("kv", "k", "value");
  EXPECT_EQ(*batch.Find("tasks", "k").value, "task");
  EXPECT_EQ(*batch.Find("kv", "k").value, "value");
}

TEST(Batch, Clear_ForgetsEverything) {
  Batch batch;
  batch.Put("kv", "a", "1");
  batch.Clear();
  EXPECT_TRUE(batch.empty());
  EXPECT_EQ(batch.Find("kv", "a").state, State::kAbsent);
}

}  // namespace
}  // namespace dsc::engine
