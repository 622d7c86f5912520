// Metrics: a small registry of counters, gauges and histograms, rendered in
// the Prometheus text exposition format for GET /metrics.
//
//   Metrics& m = server.metrics();
//   Counter& leases = m.GetCounter("dsc_queue_leases_total", "Tasks leased");
//   leases.Increment();
//   m.GetHistogram("dsc_http_request_duration_seconds", "Request latency",
//                  Metrics::kLatencyBuckets, {{"route", "/tasks"}}).Observe(0.004);
//
// A metric is identified by its name plus its labels; asking again for the
// same name and labels returns the same object, so hot paths may keep the
// reference (it lives as long as the registry). Values that live elsewhere
// (a log's stats) are copied in by a collector, run at every Render().
//
// Thread-safety: everything here is safe to use from many threads.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dsc::node {

// Label name/value pairs, rendered in the order given.
using Labels = std::vector<std::pair<std::string, std::string>>;

// A value that only goes up (requests served, bytes written).
class Counter {
 public:
  void Increment(double by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
  // For mirroring a total counted elsewhere (e.g. the WAL's own stats).
  void SetTotal(double total) { value_.store(total, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// A value that goes up and down (open connections, last LSN).
class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double by) { value_.fetch_add(by, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Counts observations into fixed buckets (upper bounds, ascending).
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);

  void Observe(double value);

  struct Snapshot {
    std::vector<double> upper_bounds;
    std::vector<uint64_t> cumulative_counts;  // one per bound, then +Inf
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot Read() const;

 private:
  const std::vector<double> upper_bounds_;
  mutable std::mutex mutex_;
  std::vector<uint64_t> counts_;  // GUARDED_BY(mutex_); per bucket, last is +Inf
  double sum_ = 0;                // GUARDED_BY(mutex_)
  uint64_t count_ = 0;            // GUARDED_BY(mutex_)
};

class Metrics {
 public:
  // Seconds; suits HTTP handlers and fsyncs alike (100 us .. 10 s).
  static constexpr double kLatencyBuckets[] = {0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                               0.025,  0.05,   0.1,   0.25,   0.5,   1,
                                               2.5,    5,      10};

  Metrics() = default;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // `name` must match [a-zA-Z_:][a-zA-Z0-9_:]* and keep one type; `help`
  // is taken from the first call for that name.
  Counter& GetCounter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& GetGauge(std::string_view name, std::string_view help, const Labels& labels = {});
  Histogram& GetHistogram(std::string_view name, std::string_view help,
                          std::span<const double> upper_bounds, const Labels& labels = {});

  // `collect` runs at the start of every Render(), without the registry's
  // lock held, so it may call GetGauge() and friends.
  void AddCollector(std::function<void(Metrics&)> collect);

  // Every metric, families sorted by name, in the text exposition format
  // (Content-Type: text/plain; version=0.0.4).
  std::string Render();

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Family {
    Type type = Type::kCounter;
    std::string help;
    // Keyed by the rendered label set, e.g. `route="/x",status="200"`.
    std::map<std::string, std::unique_ptr<Counter>> counters;
    std::map<std::string, std::unique_ptr<Gauge>> gauges;
    std::map<std::string, std::unique_ptr<Histogram>> histograms;
  };

  static const char* TypeName(Type type);
  Family& FamilyFor(std::string_view name, std::string_view help, Type type);  // mutex_ held

  std::mutex mutex_;
  std::map<std::string, Family, std::less<>> families_;        // GUARDED_BY(mutex_)
  std::vector<std::function<void(Metrics&)>> collectors_;      // GUARDED_BY(mutex_)
};

// `key="value",...` with Prometheus escaping; exposed for tests.
std::string RenderLabels(const Labels& labels);

}  // namespace dsc::node
