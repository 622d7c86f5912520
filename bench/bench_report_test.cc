// Tests of wal_bench's report: medians and spreads over interleaved runs,
// the ratios (each the median of per-run ratios) and their targets. The
// measuring itself is exercised by the wal_bench_smoke ctest.
#include "bench/bench_report.h"

#include <gtest/gtest.h>

#include <sstream>

#include <nlohmann/json.hpp>

namespace dsc::bench {
namespace {

RowResult Row(const char* name, int threads, uint64_t appends, uint64_t syncs) {
  RowResult row;
  row.name = name;
  row.threads = threads;
  row.seconds = 1;
  row.appends = appends;
  row.syncs = syncs;
  row.p50_us = 1e6 / static_cast<double>(appends);
  row.p99_us = 2 * row.p50_us;
  return row;
}

// One run: raw, the Log with 1 and 64 appenders, RocksDB with 32 writers.
RunRows OneRun(uint64_t raw, uint64_t one, uint64_t many, uint64_t rocksdb) {
  return {Row(kRawRow, 1, raw, raw), Row(kLogRow, 1, one, one), Row(kLogRow, 64, many, many / 32),
          Row(kRocksDbRow, 32, rocksdb, rocksdb / 16)};
}

const Ratio& Find(const std::vector<Ratio>& ratios, const std::string& name) {
  for (const Ratio& ratio : ratios) {
    if (ratio.name == name) return ratio;
  }
  ADD_FAILURE() << "no ratio " << name;
  static const Ratio kNone;
  return kNone;
}

TEST(SpreadOf, MedianMinMax) {
  const Spread spread = SpreadOf({5, 1, 3});
  EXPECT_EQ(spread.median, 3);
  EXPECT_EQ(spread.min, 1);
  EXPECT_EQ(spread.max, 5);
  EXPECT_EQ(SpreadOf({}).median, 0);
}

TEST(SummarizeRows, MediansAndSpreadPerRowAcrossRuns) {
  const std::vector<RunRows> runs = {OneRun(1000, 900, 9000, 4000), OneRun(3000, 2000, 30000, 9000),
                                     OneRun(2000, 1000, 20000, 5000)};
  const std::vector<WalRowSummary> rows = SummarizeRows(runs);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].name, kRawRow);
  EXPECT_EQ(rows[0].appends_per_s, (std::vector<double>{1000, 3000, 2000}));
  EXPECT_EQ(rows[0].appends_per_s_spread.median, 2000);
  EXPECT_EQ(rows[0].appends_per_s_spread.min, 1000);
  EXPECT_EQ(rows[0].appends_per_s_spread.max, 3000);
  EXPECT_EQ(rows[0].p50_us, 500);  // 1e6 / 2000, the median run's
  EXPECT_EQ(rows[3].name, kRocksDbRow);
  EXPECT_EQ(rows[3].threads, 32);
  EXPECT_EQ(rows[3].appends_per_s_spread.median, 5000);
  EXPECT_NEAR(rows[3].appends_per_sync, 16, 0.1);  // 5000 / (5000 / 16), rounded down
}

TEST(ComputeRatios, MedianOfPerRunRatiosNotRatioOfMedians) {
  // 1 appender / raw per run: 0.9, 0.5, 1.3. The medians' quotient would
  // be 1000 / 2000 = 0.5; the per-run median is 0.9.
  const std::vector<RunRows> runs = {OneRun(1000, 900, 9000, 4000), OneRun(4000, 2000, 30000, 9000),
                                     OneRun(2000, 2600, 20000, 5000)};
  const std::vector<Ratio> ratios = ComputeRatios(runs);
  const Ratio& one_vs_raw = Find(ratios, "1 appender / raw");
  EXPECT_EQ(one_vs_raw.runs.size(), 3u);
  EXPECT_NEAR(one_vs_raw.spread().median, 0.9, 1e-9);
  EXPECT_NEAR(one_vs_raw.spread().min, 0.5, 1e-9);
  EXPECT_NEAR(one_vs_raw.spread().max, 1.3, 1e-9);
  EXPECT_EQ(one_vs_raw.target, kOneAppenderVsRawTarget);
  EXPECT_FALSE(one_vs_raw.met());
}

TEST(ComputeRatios, ManyAppendersAgainstRocksDbWithItsTarget) {
  // 9000 / 4000 = 2.25, 30000 / 9000 = 3.33, 20000 / 5000 = 4.
  const std::vector<RunRows> runs = {OneRun(1000, 900, 9000, 4000), OneRun(3000, 2000, 30000, 9000),
                                     OneRun(2000, 1000, 20000, 5000)};
  const std::vector<Ratio> ratios = ComputeRatios(runs);
  const Ratio& vs_rocksdb = Find(ratios, "64 appenders / RocksDB 32 threads");
  EXPECT_NEAR(vs_rocksdb.spread().median, 30000.0 / 9000, 1e-9);
  EXPECT_EQ(vs_rocksdb.target, kManyAppendersVsRocksDbTarget);
  EXPECT_TRUE(vs_rocksdb.met());
}

TEST(ComputeRatios, LeavesOutRatiosWhoseRowsWereNotMeasured) {
  // No 64-appender row: neither "64 / 1" nor "64 / RocksDB".
  const std::vector<RunRows> runs = {{Row(kRawRow, 1, 1000, 1000), Row(kLogRow, 1, 900, 900),
                                      Row(kLogRow, 4, 3000, 1000),
                                      Row(kRocksDbRow, 32, 4000, 250)}};
  const std::vector<Ratio> ratios = ComputeRatios(runs);
  ASSERT_EQ(ratios.size(), 2u);
  EXPECT_EQ(ratios[0].name, "1 appender / raw");
  EXPECT_EQ(ratios[1].name, "4 appenders / 1 appender");
  EXPECT_FALSE(ratios[1].target.has_value());
}

TEST(PrintTable, ShowsEveryRowAndEachTargetAsPassOrMiss) {
  const std::vector<RunRows> runs = {OneRun(1000, 900, 9000, 4000), OneRun(3000, 2000, 30000, 9000),
                                     OneRun(2000, 1000, 20000, 5000)};
  const BenchSetup setup{"/d", "ext4", false, 100, 3, 3};
  std::ostringstream out;
  PrintTable(out, setup, SummarizeRows(runs), ComputeRatios(runs));
  const std::string table = out.str();
  EXPECT_NE(table.find("RocksDB sync=true"), std::string::npos) << table;
  EXPECT_NE(table.find("1000..3000"), std::string::npos) << table;
  EXPECT_NE(table.find("MISS"), std::string::npos) << table;  // 1 appender / raw: 0.9 < 1.2
  EXPECT_NE(table.find("PASS"), std::string::npos) << table;  // 64 / RocksDB: 3.3 >= 1.5
}

TEST(PrintJsonLine, CarriesRunsSpreadsAndRatios) {
  const std::vector<RunRows> runs = {OneRun(1000, 900, 9000, 4000),
                                     OneRun(3000, 2000, 30000, 9000)};
  const BenchSetup setup{"/d", "ext4", false, 100, 3, 2};
  std::ostringstream out;
  PrintJsonLine(out, setup, SummarizeRows(runs), ComputeRatios(runs));
  const nlohmann::json json = nlohmann::json::parse(out.str());
  EXPECT_EQ(json["runs"], 2);
  EXPECT_EQ(json["rows"][3]["name"], kRocksDbRow);
  EXPECT_EQ(json["rows"][3]["appends_per_s"], 6500);  // the mean of the middle two
  EXPECT_EQ(json["rows"][3]["appends_per_s_runs"].size(), 2u);
  const nlohmann::json& last = json["ratios"].back();
  EXPECT_EQ(last["name"], "64 appenders / RocksDB 32 threads");
  EXPECT_EQ(last["target"], kManyAppendersVsRocksDbTarget);
  EXPECT_EQ(last["met"], true);
}

}  // namespace
}  // namespace dsc::bench
