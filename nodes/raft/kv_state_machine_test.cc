#include "nodes/raft/kv_state_machine.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "nodes/common/test_util.h"
#include "nodes/raft/kv_command.h"

namespace dsc::raft {
namespace {

Entry Cmd(Index index, KvCommand c, Term term = 1) {
  return Entry{term, index, EntryType::kNormal, EncodeKvCommand(c)};
}
KvCommand Put(std::string key, std::string value, std::string client = "", uint64_t seq = 0) {
  return KvCommand{KvOp::kPut,   std::move(key),    std::move(value),
                   std::nullopt, std::move(client), seq};
}
KvCommand Del(std::string key) { return KvCommand{KvOp::kDelete, std::move(key), "", {}, "", 0}; }
KvCommand Cas(std::string key, std::optional<std::string> expected, std::string value) {
  return KvCommand{KvOp::kCas, std::move(key), std::move(value), std::move(expected), "", 0};
}

class KvStateMachineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = node::testing::MakeTempDir("kvsm");
    Reopen();
  }
  void TearDown() override {
    sm_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    sm_.reset();
    auto opened = KvStateMachine::Open(dir_ + "/state");
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    sm_ = std::move(opened).value();
  }
  std::vector<KvStateMachine::Applied> Apply(std::vector<Entry> entries) {
    auto applied = sm_->Apply(entries);
    EXPECT_TRUE(applied.ok()) << applied.status().ToString();
    return applied.ok() ? *applied : std::vector<KvStateMachine::Applied>{};
  }
  std::optional<std::string> ValueOf(const std::string& key) {
    auto v = sm_->Get(key);
    EXPECT_TRUE(v.ok());
    if (!v.ok() || !*v) return std::nullopt;
    return (*v)->value;
  }

  std::string dir_;
  std::unique_ptr<KvStateMachine> sm_;
};

TEST_F(KvStateMachineTest, PutDeleteAndCasFollowTheirRules) {
  auto out = Apply({Cmd(1, Put("a", "1")), Cmd(2, Cas("a", "1", "2")), Cmd(3, Cas("a", "1", "3")),
                    Cmd(4, Cas("b", std::nullopt, "new")), Cmd(5, Del("a")), Cmd(6, Del("a"))});
  ASSERT_EQ(out.size(), 6u);
  EXPECT_TRUE(out[1].outcome.swapped);
  EXPECT_FALSE(out[2].outcome.swapped);
  EXPECT_TRUE(out[2].outcome.existed);
  EXPECT_EQ(out[2].outcome.current, "2");
  EXPECT_TRUE(out[3].outcome.swapped);
  EXPECT_TRUE(out[4].outcome.existed);
  EXPECT_FALSE(out[5].outcome.existed);
  EXPECT_EQ(ValueOf("a"), std::nullopt);
  EXPECT_EQ(ValueOf("b"), "new");
  EXPECT_EQ((*sm_->Get("b"))->index, 4u);
  EXPECT_EQ(sm_->applied_index(), 6u);
}

TEST_F(KvStateMachineTest, NoopsAdvanceTheIndexAndReapplyingIsSkipped) {
  Apply({Entry{1, 1, EntryType::kNoop, ""}, Cmd(2, Put("a", "1"))});
  // After a restart the core hands out entries the state already holds.
  auto again = Apply({Cmd(2, Put("a", "1")), Cmd(3, Put("a", "2"))});
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].entry, 3u);
  EXPECT_EQ(ValueOf("a"), "2");
}

TEST_F(KvStateMachineTest, ARetriedClientCommandRunsOnce) {
  auto out = Apply({Cmd(1, Put("a", "1", "c1", 1)), Cmd(2, Put("a", "2")),
                    Cmd(3, Put("a", "1", "c1", 1))});  // the retry of entry 1
  ASSERT_EQ(out.size(), 3u);
  EXPECT_FALSE(out[0].outcome.duplicate);
  EXPECT_TRUE(out[2].outcome.duplicate);
  EXPECT_EQ(out[2].outcome.index, 1u);  // where the write really happened
  EXPECT_EQ(ValueOf("a"), "2");         // the retry did not overwrite
  Apply({Cmd(4, Put("a", "3", "c1", 2))});
  EXPECT_EQ(ValueOf("a"), "3");
}

TEST_F(KvStateMachineTest, SessionsAndDataSurviveReopen) {
  Apply({Cmd(1, Put("a", "1", "c1", 5))});
  Reopen();
  EXPECT_EQ(ValueOf("a"), "1");
  EXPECT_EQ(sm_->applied_index(), 1u);
  auto out = Apply({Cmd(2, Put("a", "x", "c1", 5))});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].outcome.duplicate);
  EXPECT_EQ(ValueOf("a"), "1");
}

TEST_F(KvStateMachineTest, SnapshotRestoresTheSameStateElsewhere) {
  Apply({Cmd(1, Put("a", "1", "c1", 1)), Cmd(2, Put("b", std::string("\0\1", 2))), Cmd(3, Del("a")),
         Cmd(4, Put("c", "3"))});
  auto data = sm_->TakeSnapshot();
  ASSERT_TRUE(data.ok());

  auto other = KvStateMachine::Open(dir_ + "/other");
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->Apply({Cmd(1, Put("zzz", "old"))}).ok());
  ASSERT_TRUE((*other)->Restore(*data, 4).ok());
  EXPECT_EQ((*other)->applied_index(), 4u);
  EXPECT_EQ(*(*other)->Get("zzz"), std::nullopt);  // replaced, not merged
  EXPECT_EQ((*(*other)->Get("b"))->value, std::string("\0\1", 2));
  EXPECT_EQ((*(*other)->Get("c"))->index, 4u);
  EXPECT_EQ((*other)->CountKeys(), 2u);
  // The session came along: c1's seq 1 is a duplicate there too.
  auto out = (*other)->Apply({Cmd(5, Put("a", "again", "c1", 1))});
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE((*out)[0].outcome.duplicate);
  // An older snapshot never moves the state back.
  EXPECT_TRUE((*other)->Restore(*data, 4).IsInvalidArgument());
}

TEST_F(KvStateMachineTest, ACorruptEntryStopsApplying) {
  auto applied = sm_->Apply({Entry{1, 1, EntryType::kNormal, "garbage"}});
  EXPECT_TRUE(applied.status().IsCorruption());
  EXPECT_EQ(sm_->applied_index(), 0u);
}

}  // namespace
}  // namespace dsc::raft
