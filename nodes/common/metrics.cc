#include "nodes/common/metrics.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace dsc::node {
namespace {

[[maybe_unused]] bool IsValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string EscapeHelp(std::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatValue(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (std::isnan(value)) return "NaN";
  return fmt::format("{}", value);
}

// name{labels} or name{labels,extra} or name{extra} or name.
std::string SeriesName(std::string_view name, const std::string& labels,
                       const std::string& extra = "") {
  std::string joined = labels;
  if (!extra.empty()) joined += (joined.empty() ? "" : ",") + extra;
  if (joined.empty()) return std::string(name);
  return fmt::format("{}{{{}}}", name, joined);
}

}  // namespace

std::string RenderLabels(const Labels& labels) {
  std::string out;
  for (const auto& [key, value] : labels) {
    if (!out.empty()) out += ',';
    out += fmt::format("{}=\"{}\"", key, EscapeLabelValue(value));
  }
  return out;
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)), counts_(upper_bounds_.size() + 1, 0) {
  assert(std::is_sorted(upper_bounds_.begin(), upper_bounds_.end()));
}

void Histogram::Observe(double value) {
  // The first bucket whose bound is >= value ("le" means less or equal).
  size_t bucket = static_cast<size_t>(
      std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value) - upper_bounds_.begin());
  std::lock_guard<std::mutex> lock(mutex_);
  ++counts_[bucket];
  sum_ += value;
  ++count_;
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot snapshot;
  snapshot.upper_bounds = upper_bounds_;
  std::lock_guard<std::mutex> lock(mutex_);
  uint64_t running = 0;
  for (uint64_t c : counts_) {
    running += c;
    snapshot.cumulative_counts.push_back(running);
  }
  snapshot.sum = sum_;
  snapshot.count = count_;
  return snapshot;
}

const char* Metrics::TypeName(Type type) {
  switch (type) {
    case Type::kCounter:
      return "counter";
    case Type::kGauge:
      return "gauge";
    case Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

Metrics::Family& Metrics::FamilyFor(std::string_view name, std::string_view help, Type type) {
  assert(IsValidMetricName(name));
  auto it = families_.find(name);
  if (it == families_.end()) {
    Family family;
    family.type = type;
    family.help = std::string(help);
    it = families_.emplace(std::string(name), std::move(family)).first;
  } else if (it->second.type != type) {
    // A programming error; keep serving rather than crash a node over it.
    spdlog::error("metric {} registered with two different types", name);
    assert(false && "metric registered with two different types");
  }
  return it->second;
}

Counter& Metrics::GetCounter(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& slot = FamilyFor(name, help, Type::kCounter).counters[RenderLabels(labels)];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& Metrics::GetGauge(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& slot = FamilyFor(name, help, Type::kGauge).gauges[RenderLabels(labels)];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& Metrics::GetHistogram(std::string_view name, std::string_view help,
                                 std::span<const double> upper_bounds, const Labels& labels) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& slot = FamilyFor(name, help, Type::kHistogram).histograms[RenderLabels(labels)];
  if (!slot) {
    slot = std::make_unique<Histogram>(std::vector<double>(upper_bounds.begin(), upper_bounds.end()));
  }
  return *slot;
}

void Metrics::AddCollector(std::function<void(Metrics&)> collect) {
  std::lock_guard<std::mutex> lock(mutex_);
  collectors_.push_back(std::move(collect));
}

std::string Metrics::Render() {
  std::vector<std::function<void(Metrics&)>> collectors;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    collectors = collectors_;
  }
  for (auto& collect : collectors) collect(*this);

  std::string out;
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [name, family] : families_) {
    out += fmt::format("# HELP {} {}\n", name, EscapeHelp(family.help));
    out += fmt::format("# TYPE {} {}\n", name, TypeName(family.type));
    for (const auto& [labels, counter] : family.counters) {
      out += fmt::format("{} {}\n", SeriesName(name, labels), FormatValue(counter->value()));
    }
    for (const auto& [labels, gauge] : family.gauges) {
      out += fmt::format("{} {}\n", SeriesName(name, labels), FormatValue(gauge->value()));
    }
    for (const auto& [labels, histogram] : family.histograms) {
      Histogram::Snapshot s = histogram->Read();
      for (size_t i = 0; i < s.cumulative_counts.size(); ++i) {
        std::string le = i < s.upper_bounds.size() ? FormatValue(s.upper_bounds[i]) : "+Inf";
        out += fmt::format("{} {}\n", SeriesName(name + "_bucket", labels, "le=\"" + le + "\""),
                           s.cumulative_counts[i]);
      }
      out += fmt::format("{} {}\n", SeriesName(name + "_sum", labels), FormatValue(s.sum));
      out += fmt::format("{} {}\n", SeriesName(name + "_count", labels), s.count);
    }
  }
  return out;
}

}  // namespace dsc::node
