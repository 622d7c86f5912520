// Little-endian integers and length-prefixed byte strings: the few
// building blocks of the Raft node's binary formats (kv_command.h, the
// state machine's records and snapshots, raft_storage.h's files).
//
//   std::string out;
//   PutU64(&out, 42);
//   PutBytes(&out, "key");          // u32 length, then the bytes
//   ByteReader in(out);
//   uint64_t n; std::string key;
//   if (!in.U64(&n) || !in.Bytes(&key) || !in.done()) { /* malformed */ }
//
// A ByteReader never reads past its input: a getter that would returns
// false, so decoders treat any such input as corrupt.
//
// Thread-safety: plain functions and values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dsc::raft {

inline void PutU8(std::string* out, uint8_t v) { out->push_back(static_cast<char>(v)); }

inline void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

inline void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

inline void PutBytes(std::string* out, std::string_view bytes) {
  PutU32(out, static_cast<uint32_t>(bytes.size()));
  out->append(bytes);
}

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}

  bool U8(uint8_t* v) {
    if (in_.empty()) return false;
    *v = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return true;
  }
  bool U32(uint32_t* v) {
    if (in_.size() < 4) return false;
    *v = 0;
    for (int i = 0; i < 4; ++i) *v |= uint32_t{static_cast<uint8_t>(in_[i])} << (8 * i);
    in_.remove_prefix(4);
    return true;
  }
  bool U64(uint64_t* v) {
    if (in_.size() < 8) return false;
    *v = 0;
    for (int i = 0; i < 8; ++i) *v |= uint64_t{static_cast<uint8_t>(in_[i])} << (8 * i);
    in_.remove_prefix(8);
    return true;
  }
  bool Bytes(std::string* v) {
    uint32_t n = 0;
    if (!U32(&n) || in_.size() < n) return false;
    v->assign(in_.substr(0, n));
    in_.remove_prefix(n);
    return true;
  }
  // The unread rest (for formats that end with a payload).
  std::string_view rest() const { return in_; }
  bool done() const { return in_.empty(); }

 private:
  std::string_view in_;
};

}  // namespace dsc::raft
