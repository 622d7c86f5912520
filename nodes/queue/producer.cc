#include "nodes/queue/producer.h"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "nodes/queue/queue_client.h"

namespace dsc::queue {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr int kRetriesWithKey = 5;

std::string Substitute(const std::string& text, uint64_t n) {
  std::string out;
  const std::string number = std::to_string(n);
  for (size_t i = 0; i < text.size();) {
    if (text.compare(i, 3, "{n}") == 0) {
      out += number;
      i += 3;
    } else {
      out += text[i++];
    }
  }
  return out;
}

struct Tally {
  std::atomic<uint64_t> next{0};  // the next task number to send
  std::atomic<uint64_t> sent{0};
  std::atomic<uint64_t> created{0};  // 201
  std::atomic<uint64_t> repeats{0};  // 200: the key's task already existed
  std::atomic<uint64_t> errors{0};
};

// Sends task number `n`; retries only when a key makes that safe.
void SendOne(const ProducerOptions& options, QueueClient& client, uint64_t n, Tally& tally) {
  const std::string payload = Substitute(options.payload, n);
  std::optional<std::string> key;
  if (!options.idempotency_prefix.empty()) key = options.idempotency_prefix + std::to_string(n);
  const int attempts = key ? 1 + kRetriesWithKey : 1;
  QueueClient::Reply reply;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(milliseconds(200 << (attempt - 1)));
    reply = client.Enqueue(payload, key, options.max_retries);
    const bool unanswered = reply.status == 0 || reply.status == 503;
    if (!unanswered) break;
  }
  ++tally.sent;
  if (reply.status == 201) {
    ++tally.created;
  } else if (reply.status == 200) {
    ++tally.repeats;
  } else {
    if (tally.errors++ < 5) {  // the first few, so a bad payload is visible
      fmt::print(
          stderr, "produce: task {}: {}\n", n,
          reply.status == 0 ? reply.error : fmt::format("{} {}", reply.status, reply.body.dump()));
    }
  }
}

int Usage(const std::string& reason) {
  fmt::print(stderr, "dsc queue produce: {}\n", reason);
  return 2;
}

}  // namespace

int RunProducer(const ProducerOptions& options) {
  if (options.concurrency < 1 || options.concurrency > 256)
    return Usage("--concurrency must be 1..256");
  if (!(options.rate >= 0)) return Usage("--rate must be >= 0");
  if (nlohmann::json::parse(Substitute(options.payload, 0), nullptr, false).is_discarded()) {
    return Usage("--payload is not JSON once {n} is replaced: " + Substitute(options.payload, 0));
  }
  if (!QueueClient(options.server).valid()) return Usage("bad --server \"" + options.server + "\"");

  Tally tally;
  const auto started = steady_clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < options.concurrency; ++i) {
    threads.emplace_back([&] {
      QueueClient client(options.server);
      for (uint64_t n = tally.next++; n < options.count; n = tally.next++) {
        if (options.rate > 0) {  // task n leaves no earlier than n / rate seconds in
          std::this_thread::sleep_until(
              started + std::chrono::duration_cast<steady_clock::duration>(
                            std::chrono::duration<double>(static_cast<double>(n) / options.rate)));
        }
        SendOne(options, client, n, tally);
      }
    });
  }
  // Progress once a second until every thread is done.
  std::atomic<bool> finished{false};
  std::thread progress([&] {
    while (!finished) {
      for (int i = 0; i < 50 && !finished; ++i) std::this_thread::sleep_for(milliseconds(20));
      if (finished) break;
      fmt::print("produce: {}/{} sent, {} accepted, {} errors\n", tally.sent.load(), options.count,
                 tally.created + tally.repeats, tally.errors.load());
      std::fflush(stdout);
    }
  });
  for (std::thread& t : threads) t.join();
  finished = true;
  progress.join();

  const double seconds = std::chrono::duration<double>(steady_clock::now() - started).count();
  fmt::print(
      "produce: sent {}, created {} (201), repeats {} (200), errors {} in {:.2f} s ({:.0f} "
      "tasks/s)\n",
      tally.sent.load(), tally.created.load(), tally.repeats.load(), tally.errors.load(), seconds,
      seconds > 0 ? static_cast<double>(tally.sent) / seconds : 0.0);
  std::fflush(stdout);
  return tally.errors == 0 ? 0 : 1;
}

}  // namespace dsc::queue
