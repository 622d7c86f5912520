#include "bench/load_window.h"

#include <sys/resource.h>

namespace dsc::bench {

LoadWindow LoadWindow::AfterWarmup(std::chrono::duration<double> warmup,
                                   std::chrono::duration<double> window) {
  LoadWindow w;
  w.start = Clock::now() + std::chrono::duration_cast<Clock::duration>(warmup);
  w.end = w.start + std::chrono::duration_cast<Clock::duration>(window);
  return w;
}

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

}  // namespace dsc::bench
