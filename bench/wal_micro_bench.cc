// Micro benchmarks of the WAL's CPU work: checksum, encode, decode.
//
// These run with no IO, so they show what the log costs besides the disk:
// at 100-byte records a sync takes hundreds of microseconds and encoding a
// record well under one, which is why group commit, not a faster encoder,
// is what makes an `always` log fast.
//
//   wal_micro_bench --benchmark_filter=Crc32c
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#include "wal/format.h"

namespace dsc::wal {
namespace {

std::string MakePayload(int64_t bytes) {
  std::string payload(static_cast<size_t>(bytes), '\0');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 131 + 7);
  return payload;
}

void BM_Crc32c(benchmark::State& state) {
  const std::string data = MakePayload(state.range(0));
  for (auto _ : state) {
    benchmark::DoNotOptimize(Crc32c(data));
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Crc32c)->Arg(16)->Arg(100)->Arg(4096)->Arg(1 << 20);

void BM_EncodeRecord(benchmark::State& state) {
  const std::string payload = MakePayload(state.range(0));
  std::string out;
  uint64_t lsn = 1;
  for (auto _ : state) {
    out.clear();  // keeps its capacity, as a group-commit buffer would
    EncodeRecord(lsn++, /*type=*/1, payload, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(kHeaderSize + payload.size()));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeRecord)->Arg(16)->Arg(100)->Arg(4096)->Arg(1 << 20);

void BM_DecodeRecord(benchmark::State& state) {
  std::string encoded;
  EncodeRecord(/*lsn=*/42, /*type=*/1, MakePayload(state.range(0)), &encoded);
  for (auto _ : state) {
    Decoded decoded = DecodeRecord(encoded);
    if (decoded.result != DecodeResult::kOk) {
      state.SkipWithError("a freshly encoded record did not decode");
      break;
    }
    benchmark::DoNotOptimize(decoded.record.payload.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(encoded.size()));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeRecord)->Arg(16)->Arg(100)->Arg(4096)->Arg(1 << 20);

}  // namespace
}  // namespace dsc::wal

BENCHMARK_MAIN();
