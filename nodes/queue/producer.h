// RunProducer: a demo producer for the queue node (`dsc queue produce`).
//
// Sends `count` tasks, from `concurrency` threads, at `rate` tasks per
// second overall (0: as fast as the node answers). Each payload is the
// `payload` template with every "{n}" replaced by the task's number
// (0, 1, 2...). Prints progress every second and a summary:
//
//   produce: 1200/5000 sent, 1200 accepted, 0 errors
//   produce: sent 5000, created 5000 (201), repeats 0 (200), errors 0 in 3.2 s (1562 tasks/s)
//
// With `idempotency_prefix` each task carries the key PREFIX + n, and a
// request that got no answer (the node restarting, say) is retried up to
// 5 times: safe, because the node turns a repeat into a 200 for the same
// task instead of a second task. Without a key nothing is retried (a
// retry could enqueue the task twice) and the request counts as an error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace dsc::queue {

struct ProducerOptions {
  std::string server = "http://127.0.0.1:7000";
  uint64_t count = 100;
  double rate = 0;                       // tasks per second; 0: no limit
  std::string payload = R"({"n":{n}})";  // JSON once {n} is replaced
  int concurrency = 1;
  std::string idempotency_prefix;  // "" for no keys
  std::optional<int> max_retries;  // per task; default: the node's
};

// Returns the exit code: 0 when every task was accepted (201 or 200), 1
// when some failed, 2 for bad options (one line on stderr).
int RunProducer(const ProducerOptions& options);

}  // namespace dsc::queue
