// SimRandom: the simulator's single source of randomness. Everything a
// run does - delays, losses, crashes, partitions, proposals - is drawn
// from one seeded generator, so a seed replays exactly.
//
// Thread-safety: not thread-safe.
#pragma once

#include <cstdint>
#include <random>

namespace dsc::raft::sim {

class SimRandom {
 public:
  explicit SimRandom(uint64_t seed) : rng_(seed) {}

  // Uniform in [0, n); n > 0. Plain modulo, not a std distribution: those
  // differ between standard libraries, and a seed must replay anywhere.
  uint64_t Below(uint64_t n) { return rng_() % n; }
  // Uniform in [low, high].
  int64_t Between(int64_t low, int64_t high) {
    return low + static_cast<int64_t>(Below(static_cast<uint64_t>(high - low + 1)));
  }
  // True with probability p.
  bool Chance(double p) { return static_cast<double>(rng_() >> 11) * 0x1.0p-53 < p; }
  uint64_t Next() { return rng_(); }

 private:
  std::mt19937_64 rng_;
};

}  // namespace dsc::raft::sim
