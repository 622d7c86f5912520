#include "tests/crash/crash_payload.h"

#include <charconv>

namespace dsc::crash {
namespace {

// SplitMix64: a tiny, well-mixed generator; the filler only needs to be a
// deterministic function of the id that a stray byte change would break.
uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::string Filler(const PayloadId& id, uint64_t spread) {
  uint64_t state = (uint64_t{id.run} << 48) ^ (uint64_t{id.thread} << 40) ^ id.seq;
  const size_t length = 16 + SplitMix64(state) % spread;
  std::string filler(length, '\0');
  for (char& c : filler) c = static_cast<char>('a' + SplitMix64(state) % 26);
  return filler;
}

// Parses one unsigned decimal field after `prefix` and before `end`
// (or the end of `text`), advancing `text` past it.
template <typename Int>
bool ParseField(std::string_view& text, char prefix, char end, Int* value) {
  if (text.empty() || text.front() != prefix) return false;
  text.remove_prefix(1);
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  if (ec != std::errc() || ptr == text.data()) return false;
  text.remove_prefix(static_cast<size_t>(ptr - text.data()));
  if (text.empty() || text.front() != end) return false;
  text.remove_prefix(1);
  return true;
}

}  // namespace

std::string PayloadId::ToString() const {
  return "r" + std::to_string(run) + ".t" + std::to_string(thread) + ".s" + std::to_string(seq);
}

std::string MakePayload(const PayloadId& id, uint64_t filler_spread) {
  return id.ToString() + " " + Filler(id, filler_spread);
}

std::optional<PayloadId> ParsePayload(std::string_view payload, uint64_t filler_spread) {
  PayloadId id;
  std::string_view rest = payload;
  if (!ParseField(rest, 'r', '.', &id.run) || !ParseField(rest, 't', '.', &id.thread) ||
      !ParseField(rest, 's', ' ', &id.seq)) {
    return std::nullopt;
  }
  if (payload != MakePayload(id, filler_spread)) return std::nullopt;
  return id;
}

}  // namespace dsc::crash
