#include "common/big_endian.h"

#include <string>

#include "gtest/gtest.h"

namespace ehcp {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

TEST(BigEndianTest, EightBytesMostSignificantFirst) {
  EXPECT_EQ(BigEndian64(1), Bytes({0, 0, 0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(BigEndian64(0x0102030405060708), Bytes({1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(BigEndian64(UINT64_MAX), std::string(8, '\xff'));
  std::string out = "k";
  PutBigEndian64(&out, 0x0a0b);
  EXPECT_EQ(out, Bytes({'k', 0, 0, 0, 0, 0, 0, 0x0a, 0x0b}));
}

TEST(BigEndianTest, EncodingsSortAsTheNumbers) {
  EXPECT_LT(BigEndian64(255), BigEndian64(256));
  EXPECT_LT(BigEndian64(0x00ffffffffffffff), BigEndian64(0x0100000000000000));
}

TEST(BigEndianTest, OtherWidthsRoundTrip) {
  std::string out;
  PutBigEndian(&out, 0x010203, 3);
  EXPECT_EQ(out, Bytes({1, 2, 3}));
  PutBigEndian(&out, 0xff01, 1);  // Only the low byte.
  EXPECT_EQ(out, Bytes({1, 2, 3, 1}));
  EXPECT_EQ(ReadBigEndian(Bytes({1, 2, 3})), 0x010203u);
  EXPECT_EQ(ReadBigEndian(""), 0u);
}

TEST(BigEndianTest, DecodingTakesExactlyEightBytes) {
  EXPECT_EQ(DecodeBigEndian64(BigEndian64(987654321), "k").value(), 987654321u);
  const absl::Status status =
      DecodeBigEndian64("short", "meta checkpoint").status();
  EXPECT_TRUE(absl::IsDataLoss(status));
  EXPECT_EQ(status.message(), "meta checkpoint: expected 8 bytes, found 5");
  EXPECT_FALSE(DecodeBigEndian64(std::string(9, 'x'), "k").ok());
}

}  // namespace
}  // namespace ehcp
