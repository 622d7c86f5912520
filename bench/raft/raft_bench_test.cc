// Tests of raft_bench's pure parts: the summary over runs, the ratios and
// the target, the flags, and the etcd request helpers. The clusters
// themselves are exercised by the raft_bench_smoke ctest.
#include <gtest/gtest.h>

#include <sstream>

#include <nlohmann/json.hpp>

#include "base/text.h"
#include "bench/raft/etcd_system.h"
#include "bench/raft/raft_bench_flags.h"
#include "bench/raft/raft_bench_report.h"

namespace dsc::bench {
namespace {

PutRow Row(const std::string& system, int clients, uint64_t puts, double p99_ms) {
  PutRow row;
  row.system = system;
  row.clients = clients;
  row.seconds = 2;
  row.puts = puts;
  row.p50_ms = p99_ms / 2;
  row.p99_ms = p99_ms;
  return row;
}

TEST(Median, OddEvenAndEmpty) {
  EXPECT_EQ(Median({3, 1, 2}), 2);
  EXPECT_EQ(Median({4, 1, 3, 2}), 2.5);
  EXPECT_EQ(Median({}), 0);
}

TEST(Summarize, MinMedianMaxPerSystemAndClients) {
  const std::vector<PutRow> rows = {Row("dsc", 64, 2000, 30), Row("etcd", 64, 1000, 40),
                                    Row("dsc", 64, 6000, 10), Row("etcd", 64, 1200, 20),
                                    Row("dsc", 64, 4000, 20), Row("dsc", 1, 200, 5)};
  const std::vector<RowSummary> summaries = Summarize(rows);
  ASSERT_EQ(summaries.size(), 3u);
  EXPECT_EQ(summaries[0].system, "dsc");
  EXPECT_EQ(summaries[0].clients, 64);
  EXPECT_EQ(summaries[0].runs, 3);
  EXPECT_EQ(summaries[0].min_puts_per_s, 1000);  // 2000 puts in 2 s
  EXPECT_EQ(summaries[0].median_puts_per_s, 2000);
  EXPECT_EQ(summaries[0].max_puts_per_s, 3000);
  EXPECT_EQ(summaries[0].median_p99_ms, 20);
  EXPECT_EQ(summaries[0].max_p99_ms, 30);
  EXPECT_EQ(summaries[1].system, "etcd");
  EXPECT_EQ(summaries[1].median_puts_per_s, 550);
  EXPECT_EQ(summaries[1].median_p99_ms, 30);
  EXPECT_EQ(summaries[2].clients, 1);
  EXPECT_EQ(summaries[2].runs, 1);
}

TEST(ComputeRaftRatios, TargetAtSixtyFourClientsNeedsBothThroughputAndP99) {
  std::vector<PutRow> rows = {Row("dsc", 1, 100, 4), Row("etcd", 1, 100, 4),
                              Row("dsc", 64, 4000, 30), Row("etcd", 64, 1000, 40)};
  std::vector<RaftRatio> ratios = ComputeRaftRatios(Summarize(rows));
  ASSERT_EQ(ratios.size(), 2u);
  EXPECT_EQ(ratios[0].clients, 1);
  EXPECT_FALSE(ratios[0].target.has_value());
  EXPECT_FALSE(ratios[0].met());
  EXPECT_EQ(ratios[1].clients, 64);
  EXPECT_DOUBLE_EQ(ratios[1].throughput, 4.0);
  EXPECT_DOUBLE_EQ(ratios[1].p99, 0.75);
  EXPECT_TRUE(ratios[1].met());

  rows[2].p99_ms = 50;  // 4x the throughput, but a worse tail
  ratios = ComputeRaftRatios(Summarize(rows));
  EXPECT_FALSE(ratios[1].met());

  rows[2].p99_ms = 30;
  rows[2].puts = 1500;  // a better tail, but only 1.5x
  ratios = ComputeRaftRatios(Summarize(rows));
  EXPECT_FALSE(ratios[1].met());
}

TEST(ComputeRaftRatios, NoRatioWithoutBothSystems) {
  EXPECT_TRUE(ComputeRaftRatios(Summarize({Row("dsc", 64, 10, 1)})).empty());
}

TEST(PrintRaftJsonLine, OneLineWithRowsAndFailures) {
  const std::vector<PutRow> rows = {Row("dsc", 64, 4000, 30), Row("etcd", 64, 1000, 40)};
  const std::vector<RowSummary> summaries = Summarize(rows);
  std::ostringstream out;
  PrintRaftJsonLine(out, RaftBenchSetup{}, rows, summaries, ComputeRaftRatios(summaries),
                    {"run 2, etcd, 64 clients: boom"});
  const std::string line = out.str();
  ASSERT_EQ(line.find('\n'), line.size() - 1);
  const nlohmann::json json = nlohmann::json::parse(line);
  EXPECT_EQ(json["bench"], "raft");
  EXPECT_EQ(json["rows"].size(), 2u);
  EXPECT_EQ(json["ratios"][0]["met"], true);
  EXPECT_EQ(json["failures"][0], "run 2, etcd, 64 clients: boom");
}

TEST(ParseRaftBenchFlags, ValuesAndErrors) {
  const char* good[] = {"raft_bench",    "--clients", "1,8,64",    "--runs", "5",
                        "--value-bytes", "256",       "--seconds", "2.5",    "--json"};
  Result<RaftBenchFlags> flags = ParseRaftBenchFlags(std::size(good), good);
  ASSERT_TRUE(flags.ok()) << flags.status().ToString();
  EXPECT_EQ(flags->clients, (std::vector<int>{1, 8, 64}));
  EXPECT_EQ(flags->runs, 5);
  EXPECT_EQ(flags->value_bytes, 256u);
  EXPECT_EQ(flags->seconds, 2.5);
  EXPECT_TRUE(flags->json);

  const char* too_many_clients[] = {"raft_bench", "--clients", "65"};
  EXPECT_TRUE(ParseRaftBenchFlags(3, too_many_clients).status().IsInvalidArgument());
  const char* no_runs[] = {"raft_bench", "--runs", "0"};
  EXPECT_TRUE(ParseRaftBenchFlags(3, no_runs).status().IsInvalidArgument());
  const char* tiny_value[] = {"raft_bench", "--value-bytes", "8"};
  EXPECT_TRUE(ParseRaftBenchFlags(3, tiny_value).status().IsInvalidArgument());
  const char* missing[] = {"raft_bench", "--etcd"};
  EXPECT_TRUE(ParseRaftBenchFlags(2, missing).status().IsInvalidArgument());
  const char* one_system[] = {"raft_bench", "--systems", "etcd"};
  flags = ParseRaftBenchFlags(3, one_system);
  ASSERT_TRUE(flags.ok());
  EXPECT_FALSE(flags->run_dsc);
  EXPECT_TRUE(flags->run_etcd);
  const char* bad_system[] = {"raft_bench", "--systems", "zookeeper"};
  EXPECT_TRUE(ParseRaftBenchFlags(3, bad_system).status().IsInvalidArgument());
  const char* unknown[] = {"raft_bench", "--fast"};
  EXPECT_TRUE(ParseRaftBenchFlags(2, unknown).status().IsInvalidArgument());
}

TEST(EtcdPutBody, KeyAndValueRoundTripThroughBase64) {
  const std::string value("v\0\xff\"", 4);
  const nlohmann::json body = nlohmann::json::parse(EtcdPutBody("rb-1-c0-0", value));
  EXPECT_EQ(Base64Decode(body["key"].get<std::string>()), "rb-1-c0-0");
  EXPECT_EQ(Base64Decode(body["value"].get<std::string>()), value);
}

TEST(PrefixRangeEnd, SmallestKeyAbovePrefix) {
  EXPECT_EQ(PrefixRangeEnd("rb-1a-"), "rb-1a.");
  EXPECT_EQ(PrefixRangeEnd(std::string("a\xff", 2)), "b");
  EXPECT_EQ(PrefixRangeEnd(std::string("\xff\xff", 2)), std::string(1, '\0'));
}

}  // namespace
}  // namespace dsc::bench
