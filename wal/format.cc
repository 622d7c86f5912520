#include "wal/format.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include <boost/crc.hpp>

namespace dsc::wal {

namespace {

// Castagnoli polynomial, reflected, init and final XOR all ones: CRC-32C.
using Crc32cEngine = boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true>;

void PutFixed32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void PutFixed64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
uint32_t GetFixed32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
uint64_t GetFixed64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// Header field offsets.
constexpr size_t kCrcOffset = 0;
constexpr size_t kLengthOffset = 4;
constexpr size_t kTypeOffset = 8;
constexpr size_t kLsnOffset = 9;

// The checksum covers the header after the crc field, then the payload.
uint32_t RecordChecksum(std::string_view header_after_crc, std::string_view payload) {
  Crc32cEngine crc;
  crc.process_bytes(header_after_crc.data(), header_after_crc.size());
  crc.process_bytes(payload.data(), payload.size());
  return crc.checksum();
}

}  // namespace

uint32_t Crc32c(std::string_view data) {
  Crc32cEngine crc;
  crc.process_bytes(data.data(), data.size());
  return crc.checksum();
}

void EncodeRecord(uint64_t lsn, uint8_t type, std::string_view payload, std::string* out) {
  const size_t start = out->size();
  PutFixed32(out, 0);  // crc placeholder, filled below
  PutFixed32(out, static_cast<uint32_t>(payload.size()));
  out->push_back(static_cast<char>(type));
  PutFixed64(out, lsn);
  const std::string_view header_after_crc(out->data() + start + kLengthOffset,
                                          kHeaderSize - kLengthOffset);
  const uint32_t crc = RecordChecksum(header_after_crc, payload);
  out->append(payload.data(), payload.size());
  for (int i = 0; i < 4; ++i) {
    (*out)[start + kCrcOffset + static_cast<size_t>(i)] =
        static_cast<char>((crc >> (8 * i)) & 0xFF);
  }
}

const char* DecodeResultName(DecodeResult r) {
  switch (r) {
    case DecodeResult::kOk: return "ok";
    case DecodeResult::kTruncated: return "truncated record";
    case DecodeResult::kBadLength: return "impossible length";
    case DecodeResult::kBadChecksum: return "checksum mismatch";
    case DecodeResult::kBadType: return "invalid record type";
  }
  return "unknown";
}

Decoded DecodeRecord(std::string_view input) {
  Decoded d;
  if (input.size() < kHeaderSize) {
    d.result = DecodeResult::kTruncated;
    return d;
  }
  const uint32_t length = GetFixed32(input.data() + kLengthOffset);
  d.claimed_length = length;
  if (length > kMaxPayloadBytes) {
    d.result = DecodeResult::kBadLength;
    return d;
  }
  if (input.size() - kHeaderSize < length) {
    d.result = DecodeResult::kTruncated;
    return d;
  }
  const std::string_view header_after_crc =
      input.substr(kLengthOffset, kHeaderSize - kLengthOffset);
  const std::string_view payload = input.substr(kHeaderSize, length);
  if (RecordChecksum(header_after_crc, payload) != GetFixed32(input.data() + kCrcOffset)) {
    d.result = DecodeResult::kBadChecksum;
    return d;
  }
  const auto type = static_cast<uint8_t>(input[kTypeOffset]);
  if (type == kInvalidType) {
    d.result = DecodeResult::kBadType;
    return d;
  }
  d.result = DecodeResult::kOk;
  d.record.lsn = GetFixed64(input.data() + kLsnOffset);
  d.record.type = type;
  d.record.payload.assign(payload.data(), payload.size());
  d.encoded_size = kHeaderSize + length;
  return d;
}

bool IsValidSystemTag(std::string_view tag) {
  if (tag.empty() || tag.size() > kSystemTagBytes) return false;
  for (const char c : tag) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string EncodeSegmentHeader(std::string_view system, uint64_t first_lsn) {
  std::string out(kSegmentMagic);
  PutFixed32(&out, kFormatVersion);
  out.append(system.substr(0, kSystemTagBytes));
  out.append(kSystemTagBytes - std::min(system.size(), kSystemTagBytes), '\0');
  PutFixed64(&out, first_lsn);
  PutFixed32(&out, Crc32c(out));
  return out;
}

DecodedHeader DecodeSegmentHeader(std::string_view input) {
  constexpr size_t kVersionOffset = kSegmentMagic.size();
  constexpr size_t kSystemOffset = kVersionOffset + 4;
  constexpr size_t kFirstLsnOffset = kSystemOffset + kSystemTagBytes;
  constexpr size_t kHeaderCrcOffset = kFirstLsnOffset + 8;
  DecodedHeader d;
  // The magic comes first so that a v1 segment (records from byte 0) is
  // told apart from a short file.
  if (!input.starts_with(kSegmentMagic.substr(0, std::min(input.size(), kSegmentMagic.size())))) {
    d.result = HeaderResult::kNoMagic;
    return d;
  }
  if (input.size() < kSegmentHeaderSize) {
    d.result = HeaderResult::kTooShort;
    return d;
  }
  d.header.version = GetFixed32(input.data() + kVersionOffset);
  if (d.header.version != kFormatVersion) {
    d.result = HeaderResult::kBadVersion;
    return d;
  }
  if (Crc32c(input.substr(0, kHeaderCrcOffset)) != GetFixed32(input.data() + kHeaderCrcOffset)) {
    d.result = HeaderResult::kBadChecksum;
    return d;
  }
  std::string_view tag = input.substr(kSystemOffset, kSystemTagBytes);
  tag = tag.substr(0, tag.find('\0'));
  if (!IsValidSystemTag(tag)) {
    d.result = HeaderResult::kBadSystem;
    return d;
  }
  d.header.system.assign(tag);
  d.header.first_lsn = GetFixed64(input.data() + kFirstLsnOffset);
  d.result = HeaderResult::kOk;
  return d;
}

std::string SegmentFileName(uint64_t first_lsn) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%020llu", static_cast<unsigned long long>(first_lsn));
  return std::string(buf) + std::string(kSegmentSuffix);
}

std::optional<uint64_t> ParseSegmentFileName(std::string_view name) {
  constexpr size_t kDigits = 20;
  if (name.size() != kDigits + kSegmentSuffix.size()) return std::nullopt;
  if (name.substr(kDigits) != kSegmentSuffix) return std::nullopt;
  uint64_t value = 0;
  for (size_t i = 0; i < kDigits; ++i) {
    const char c = name[i];
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

}  // namespace dsc::wal
