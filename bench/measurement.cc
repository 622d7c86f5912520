#include "bench/measurement.h"

#include <algorithm>
#include <cmath>

namespace dsc::bench {

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t middle = values.size() / 2;
  if (values.size() % 2 == 1) return values[middle];
  return (values[middle - 1] + values[middle]) / 2;
}

void LatencySamples::Merge(const LatencySamples& other) {
  nanos_.insert(nanos_.end(), other.nanos_.begin(), other.nanos_.end());
}

double LatencySamples::PercentileMicros(double q) {
  if (nanos_.empty()) return 0;
  // Nearest-rank: the smallest sample with at least q of all samples at
  // or below it.
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(nanos_.size())));
  size_t index = std::clamp<size_t>(rank, 1, nanos_.size()) - 1;
  std::nth_element(nanos_.begin(), nanos_.begin() + static_cast<std::ptrdiff_t>(index),
                   nanos_.end());
  return static_cast<double>(nanos_[index]) / 1000.0;
}

}  // namespace dsc::bench
