#include "nodes/common/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace dsc::node {
namespace {

using ::testing::HasSubstr;

TEST(Metrics, RendersCounterWithHelpAndType) {
  Metrics m;
  m.GetCounter("dsc_requests_total", "Requests", {{"route", "/x"}, {"status", "200"}}).Increment();
  m.GetCounter("dsc_requests_total", "Requests", {{"route", "/x"}, {"status", "200"}}).Increment(2);
  std::string text = m.Render();
  EXPECT_THAT(text, HasSubstr("# HELP dsc_requests_total Requests\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE dsc_requests_total counter\n"));
  EXPECT_THAT(text, HasSubstr("dsc_requests_total{route=\"/x\",status=\"200\"} 3\n"));
}

TEST(Metrics, SameNameAndLabelsIsSameObject) {
  Metrics m;
  Gauge& a = m.GetGauge("g", "help", {{"k", "v"}});
  Gauge& b = m.GetGauge("g", "help", {{"k", "v"}});
  Gauge& c = m.GetGauge("g", "help", {{"k", "w"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &c);
}

TEST(Metrics, GaugeWithoutLabels) {
  Metrics m;
  m.GetGauge("dsc_last_lsn", "Last LSN").Set(42);
  EXPECT_THAT(m.Render(), HasSubstr("# TYPE dsc_last_lsn gauge\ndsc_last_lsn 42\n"));
}

TEST(Metrics, HistogramHasCumulativeBucketsSumAndCount) {
  Metrics m;
  const double bounds[] = {0.1, 1};
  Histogram& h = m.GetHistogram("lat_seconds", "Latency", bounds, {{"route", "/r"}});
  h.Observe(0.05);
  h.Observe(0.1);  // le is inclusive
  h.Observe(0.5);
  h.Observe(7);
  std::string text = m.Render();
  EXPECT_THAT(text, HasSubstr("# TYPE lat_seconds histogram\n"));
  EXPECT_THAT(text, HasSubstr("lat_seconds_bucket{route=\"/r\",le=\"0.1\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("lat_seconds_bucket{route=\"/r\",le=\"1\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("lat_seconds_bucket{route=\"/r\",le=\"+Inf\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("lat_seconds_sum{route=\"/r\"} 7.65\n"));
  EXPECT_THAT(text, HasSubstr("lat_seconds_count{route=\"/r\"} 4\n"));
}

TEST(Metrics, EscapesLabelValues) {
  EXPECT_EQ(RenderLabels({{"path", "a\"b\\c\nd"}}), R"(path="a\"b\\c\nd")");
}

TEST(Metrics, CollectorRunsOnRender) {
  Metrics m;
  int calls = 0;
  m.AddCollector([&calls](Metrics& metrics) {
    ++calls;
    metrics.GetCounter("dsc_wal_appends_total", "Appends").SetTotal(10 * calls);
  });
  EXPECT_THAT(m.Render(), HasSubstr("dsc_wal_appends_total 10\n"));
  EXPECT_THAT(m.Render(), HasSubstr("dsc_wal_appends_total 20\n"));
}

TEST(Metrics, ConcurrentIncrementsAreNotLost) {
  Metrics m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&m] {
      for (int i = 0; i < 1000; ++i) {
        m.GetCounter("c_total", "c", {{"t", "x"}}).Increment();
        m.GetHistogram("h", "h", Metrics::kLatencyBuckets).Observe(0.001);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(m.GetCounter("c_total", "c", {{"t", "x"}}).value(), 4000);
  EXPECT_EQ(m.GetHistogram("h", "h", Metrics::kLatencyBuckets).Read().count, 4000u);
}

TEST(Metrics, FamiliesAreSortedByName) {
  Metrics m;
  m.GetGauge("zz", "z").Set(1);
  m.GetGauge("aa", "a").Set(1);
  std::string text = m.Render();
  EXPECT_LT(text.find("# HELP aa"), text.find("# HELP zz"));
}

}  // namespace
}  // namespace dsc::node
