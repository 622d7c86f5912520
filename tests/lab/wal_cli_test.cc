// Process tests for `dsc wal dump` and `dsc wal verify` on a log written by
// a real log node, then damaged on purpose the two ways a disk can: a
// flipped byte in the middle (corruption) and a cut-off last write (a torn
// tail).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "tests/lab/dsc_runner.h"
#include "tests/lab/lab_fixture.h"
#include "wal/format.h"
#include "wal/log.h"

namespace dsc::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr int kRecords = 20;

class WalCliTest : public LabFixture {
 protected:
  void SetUp() override {
    LabFixture::SetUp();
    ASSERT_EQ(Dsc({"lab", "up", "log"}).exit_code, 0);
    httplib::Client client = LogClient();
    for (int i = 0; i < kRecords; ++i) {
      // JSON, text and binary payloads: dump shows each its own way.
      std::string body = i % 3 == 0   ? nlohmann::json{{"record", i}}.dump()
                         : i % 3 == 1 ? "text record " + std::to_string(i)
                                      : std::string("\xFF\x00\xFE", 3) + std::to_string(i);
      httplib::Result posted = client.Post("/records", body, "application/octet-stream");
      ASSERT_TRUE(posted);
      ASSERT_EQ(posted->status, 201) << posted->body;
    }
    // Stop the node: the files are ours to read and damage.
    ASSERT_EQ(Dsc({"lab", "down"}).exit_code, 0);
    wal_dir_ = FindWalDir();
    ASSERT_FALSE(wal_dir_.empty()) << "no *.wal files under " << log_node_dir();
  }

  // The dump, one parsed JSON object per line.
  std::vector<nlohmann::json> Dump(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"wal", "dump", wal_dir_};
    args.insert(args.end(), extra.begin(), extra.end());
    DscRun run = Dsc(args);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    std::vector<nlohmann::json> records;
    for (const std::string& line : Lines(run.out)) records.push_back(nlohmann::json::parse(line));
    return records;
  }

  // The dump lines of the records this test posted (the node may log
  // records of its own too).
  std::vector<nlohmann::json> PostedRecords() {
    std::vector<nlohmann::json> posted;
    for (const nlohmann::json& record : Dump()) {
      const nlohmann::json& payload = record["payload"];
      bool ours =
          (payload.is_object() && payload.contains("record")) ||
          (payload.is_string() && (payload.get<std::string>().rfind("text record", 0) == 0 ||
                                   record.value("encoding", "") == "base64"));
      if (ours) posted.push_back(record);
    }
    return posted;
  }

  std::string SegmentPath(const nlohmann::json& record) const {
    return wal_dir_ + "/" + record["segment"].get<std::string>();
  }

  std::string wal_dir_;
};

TEST_F(WalCliTest, DumpPrintsEveryRecordAsAJsonLine) {
  std::vector<nlohmann::json> records = PostedRecords();
  ASSERT_THAT(records, SizeIs(kRecords));
  for (const nlohmann::json& record : records) {
    for (const char* key : {"lsn", "type", "segment", "offset", "size", "payload"}) {
      EXPECT_TRUE(record.contains(key)) << key << " missing in " << record.dump();
    }
  }
  EXPECT_EQ(records[0]["payload"], (nlohmann::json{{"record", 0}}));
  EXPECT_EQ(records[1]["payload"], "text record 1");
  EXPECT_EQ(records[2]["encoding"], "base64");
  EXPECT_EQ(records[2]["size"], 4);
  EXPECT_LT(records[0]["lsn"].get<uint64_t>(), records[1]["lsn"].get<uint64_t>());
}

TEST_F(WalCliTest, TheFirstRecordOfASegmentFollowsItsHeader) {
  std::vector<nlohmann::json> all = Dump();
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all[0]["offset"], wal::kSegmentHeaderSize);
}

// The decoder comes from the system tag in the segment headers, not from
// what sits next to the log: a Raft log copied anywhere still shows its
// entries decoded.
TEST_F(WalCliTest, DumpDecodesARaftLogByItsSystemTag) {
  const std::string raft_dir = dir_ + "/copied-raft-log";
  {
    auto log = wal::Log::Open(raft_dir, wal::LogOptions::For("raft"));
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    const std::string term_7("\x07\0\0\0\0\0\0\0", 8);  // a no-op entry: term:u64, nothing else
    ASSERT_TRUE((*log)->Append(/*kRaftNoopRecord=*/2, term_7).ok());
  }
  DscRun dump = Dsc({"wal", "dump", raft_dir});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  ASSERT_THAT(Lines(dump.out), SizeIs(1));
  const nlohmann::json line = nlohmann::json::parse(Lines(dump.out)[0]);
  EXPECT_EQ(line["term"], 7);
  EXPECT_EQ(line["entry"], "noop");
  EXPECT_FALSE(line.contains("payload")) << line.dump();

  DscRun verify = Dsc({"wal", "verify", raft_dir});
  EXPECT_THAT(verify.out, HasSubstr("system:   raft\n"));
}

TEST_F(WalCliTest, AFormatV1LogIsRefusedSayingSo) {
  const std::string v1_dir = dir_ + "/v1-log";
  std::filesystem::create_directories(v1_dir);
  std::string v1_segment;  // v1: records from byte 0, no segment header
  wal::EncodeRecord(1, 1, "old", &v1_segment);
  std::ofstream(v1_dir + "/" + wal::SegmentFileName(1), std::ios::binary) << v1_segment;
  for (const char* command : {"dump", "verify"}) {
    DscRun run = Dsc({"wal", command, v1_dir});
    EXPECT_EQ(run.exit_code, 1) << command;
    EXPECT_THAT(run.err, HasSubstr("log format v1")) << command;
  }
}

TEST_F(WalCliTest, DumpHonoursFromAndLimit) {
  std::vector<nlohmann::json> all = Dump();
  ASSERT_GE(all.size(), 8u);
  uint64_t from = all[4]["lsn"];
  std::vector<nlohmann::json> some = Dump({"--from", std::to_string(from), "--limit", "3"});
  ASSERT_THAT(some, SizeIs(3));
  EXPECT_EQ(some[0], all[4]);
  EXPECT_EQ(some[2], all[6]);
}

TEST_F(WalCliTest, VerifyReportsAHealthyLog) {
  DscRun verify = Dsc({"wal", "verify", wal_dir_});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_THAT(verify.out, HasSubstr("system:   log\n"));
  EXPECT_THAT(verify.out, HasSubstr("segments:"));
  EXPECT_THAT(verify.out, HasSubstr("records:"));
  EXPECT_THAT(verify.out, HasSubstr("ok"));
  EXPECT_EQ(verify.err, "");
}

TEST_F(WalCliTest, FlippedByteInTheMiddleIsCorruptionNamingSegmentAndOffset) {
  std::vector<nlohmann::json> records = PostedRecords();
  ASSERT_THAT(records, SizeIs(kRecords));
  const nlohmann::json& victim = records[kRecords / 2];
  uint64_t offset = victim["offset"];
  {
    // A byte inside the victim's payload: its checksum fails and whole
    // records follow it, so this cannot be a torn write.
    std::fstream file(SegmentPath(victim), std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(static_cast<std::streamoff>(offset + wal::kHeaderSize + 1));
    char byte = 0;
    file.get(byte);
    file.seekp(static_cast<std::streamoff>(offset + wal::kHeaderSize + 1));
    file.put(static_cast<char>(byte ^ 0x5A));
  }

  DscRun verify = Dsc({"wal", "verify", wal_dir_});
  EXPECT_EQ(verify.exit_code, 1);
  ASSERT_THAT(Lines(verify.err), SizeIs(1)) << verify.err;
  EXPECT_THAT(verify.err, HasSubstr(victim["segment"].get<std::string>()));
  EXPECT_THAT(verify.err, HasSubstr("offset " + std::to_string(offset)));

  DscRun dump = Dsc({"wal", "dump", wal_dir_});
  EXPECT_EQ(dump.exit_code, 1);
  EXPECT_THAT(dump.err, HasSubstr(victim["segment"].get<std::string>()));
}

TEST_F(WalCliTest, TailCutMidRecordIsATornTailWarning) {
  std::vector<nlohmann::json> all = Dump();
  ASSERT_FALSE(all.empty());
  const nlohmann::json& last = all.back();
  uint64_t offset = last["offset"];
  // Keep the header and half the payload of the last record: what a crash
  // in the middle of the final write leaves.
  std::filesystem::resize_file(SegmentPath(last),
                               offset + wal::kHeaderSize + last["size"].get<uint64_t>() / 2);

  DscRun verify = Dsc({"wal", "verify", wal_dir_});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_THAT(verify.err, HasSubstr("torn tail"));
  EXPECT_THAT(verify.err, HasSubstr("offset " + std::to_string(offset)));
  EXPECT_THAT(verify.out, HasSubstr("ok"));

  DscRun dump = Dsc({"wal", "dump", wal_dir_});
  EXPECT_EQ(dump.exit_code, 0);
  EXPECT_THAT(dump.err, HasSubstr("torn tail"));
  EXPECT_THAT(Lines(dump.out), SizeIs(all.size() - 1));
}

TEST_F(WalCliTest, MissingDirectoryExits2) {
  DscRun verify = Dsc({"wal", "verify", dir_ + "/no-such-dir"});
  EXPECT_EQ(verify.exit_code, 2);
  EXPECT_THAT(Lines(verify.err), SizeIs(1));
  EXPECT_THAT(verify.err, HasSubstr("no-such-dir"));
}

// The slip of pointing at a node's data directory instead of its log.
TEST_F(WalCliTest, ADirectoryWithoutSegmentsExits2AndSuggestsTheLogInside) {
  // A data directory laid out like the queue node's: DATA/wal/*.wal.
  const std::string data_dir = dir_ + "/queue-like-node";
  const std::string log_dir = data_dir + "/wal";
  std::filesystem::create_directories(data_dir);
  std::filesystem::copy(wal_dir_, log_dir, std::filesystem::copy_options::recursive);
  ASSERT_EQ(Dsc({"wal", "verify", log_dir}).exit_code, 0);
  for (const char* command : {"dump", "verify"}) {
    DscRun run = Dsc({"wal", command, data_dir});
    EXPECT_EQ(run.exit_code, 2) << command;
    EXPECT_EQ(run.out, "") << command;
    EXPECT_THAT(Lines(run.err), SizeIs(1)) << command;
    EXPECT_THAT(run.err, HasSubstr("no log segments")) << command;
    EXPECT_THAT(run.err, HasSubstr("did you mean " + log_dir + "?")) << command;
  }
}

}  // namespace
}  // namespace dsc::testing
