#include "wal/format.h"

#include <gtest/gtest.h>

namespace dsc::wal {
namespace {

TEST(Crc32c, KnownVector) {
  // The standard check value of CRC-32C.
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(""), 0u);
}

TEST(EncodeRecord, RoundTrips) {
  std::string buf;
  EncodeRecord(42, 7, "hello", &buf);
  ASSERT_EQ(buf.size(), kHeaderSize + 5);
  Decoded d = DecodeRecord(buf);
  ASSERT_EQ(d.result, DecodeResult::kOk);
  EXPECT_EQ(d.record, (Record{42, 7, "hello"}));
  EXPECT_EQ(d.encoded_size, buf.size());
}

TEST(EncodeRecord, EmptyAndBinaryPayloads) {
  std::string buf;
  const std::string binary("\0\xff\x01\0", 4);
  EncodeRecord(1, 1, "", &buf);
  EncodeRecord(2, 255, binary, &buf);
  Decoded first = DecodeRecord(buf);
  ASSERT_EQ(first.result, DecodeResult::kOk);
  EXPECT_EQ(first.record.payload, "");
  Decoded second = DecodeRecord(std::string_view(buf).substr(first.encoded_size));
  ASSERT_EQ(second.result, DecodeResult::kOk);
  EXPECT_EQ(second.record, (Record{2, 255, binary}));
}

TEST(DecodeRecord, EveryShortPrefixIsTruncated) {
  std::string buf;
  EncodeRecord(9, 1, "payload bytes", &buf);
  for (size_t n = 0; n < buf.size(); ++n) {
    EXPECT_EQ(DecodeRecord(std::string_view(buf).substr(0, n)).result, DecodeResult::kTruncated)
        << "prefix of " << n << " bytes";
  }
}

TEST(DecodeRecord, EveryFlippedBitIsDetected) {
  std::string buf;
  EncodeRecord(9, 1, "payload bytes", &buf);
  for (size_t byte = 0; byte < buf.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = buf;
      damaged[byte] = static_cast<char>(damaged[byte] ^ (1 << bit));
      EXPECT_NE(DecodeRecord(damaged).result, DecodeResult::kOk)
          << "byte " << byte << " bit " << bit;
    }
  }
}

TEST(DecodeRecord, ImpossibleLengthIsRejectedBeforeReading) {
  std::string buf(kHeaderSize, '\0');
  buf[4] = '\xff';
  buf[5] = '\xff';
  buf[6] = '\xff';
  buf[7] = '\x7f';
  Decoded d = DecodeRecord(buf);
  EXPECT_EQ(d.result, DecodeResult::kBadLength);
  EXPECT_EQ(d.claimed_length, 0x7fffffffu);
}

TEST(DecodeRecord, ZeroFillIsNotARecord) {
  EXPECT_NE(DecodeRecord(std::string(64, '\0')).result, DecodeResult::kOk);
}

TEST(SegmentFileName, SortsAndParses) {
  EXPECT_EQ(SegmentFileName(1), "00000000000000000001.wal");
  EXPECT_LT(SegmentFileName(999), SegmentFileName(1000));
  EXPECT_EQ(ParseSegmentFileName(SegmentFileName(18446744073709551615ull)),
            std::optional<uint64_t>(18446744073709551615ull));
  EXPECT_EQ(ParseSegmentFileName("LOCK"), std::nullopt);
  EXPECT_EQ(ParseSegmentFileName("0000000000000000000x.wal"), std::nullopt);
  EXPECT_EQ(ParseSegmentFileName("99999999999999999999.wal"), std::nullopt);  // overflows
  EXPECT_EQ(ParseSegmentFileName("00000000000000000001.log"), std::nullopt);
}

}  // namespace
}  // namespace dsc::wal
