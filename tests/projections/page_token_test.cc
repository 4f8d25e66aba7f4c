// Page tokens: the sort key survives the round trip; anything else is
// refused.
#include "projections/internal/page_token.h"

#include <string>

#include "gtest/gtest.h"

namespace ehcp::projections {
namespace {

const std::string kFingerprint = "\x01\x02\x03\x04\x05\x06\x07\x08";

TEST(PageTokenCodecTest, RoundTripsTheSortKey) {
  for (const BreachSortKey& key :
       {BreachSortKey{0, "E06000035-1", 0, "1", 0},
        BreachSortKey{-3, "case with spaces", 16, "T1:draft", 2},
        BreachSortKey{36500, std::string(300, 'x'), 3, "", 0}}) {
    const std::string token = EncodePageToken(kFingerprint, key);
    absl::StatusOr<BreachSortKey> decoded =
        DecodePageToken(token, kFingerprint);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(*decoded, key);
    // Tokens are URL-safe text.
    for (char c : token) {
      EXPECT_TRUE(isalnum(static_cast<unsigned char>(c)) || c == '-' ||
                  c == '_')
          << token;
    }
  }
}

TEST(PageTokenCodecTest, AnotherFingerprintIsAnotherQuery) {
  const std::string token = EncodePageToken(kFingerprint, {5, "c", 1, "1", 0});
  absl::StatusOr<BreachSortKey> decoded = DecodePageToken(token, "abcdefgh");
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(decoded.status().message(),
            "page_token: was issued for a different query");
}

TEST(PageTokenCodecTest, EveryChangedCharacterIsMalformed) {
  const std::string token =
      EncodePageToken(kFingerprint, {5, "E06000035-7", 3, "12", 0});
  for (size_t i = 0; i < token.size(); ++i) {
    std::string garbled = token;
    garbled[i] = garbled[i] == 'A' ? 'B' : 'A';
    absl::StatusOr<BreachSortKey> decoded =
        DecodePageToken(garbled, kFingerprint);
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument) << i;
  }
  EXPECT_FALSE(DecodePageToken("", kFingerprint).ok());
  EXPECT_FALSE(DecodePageToken("!!!", kFingerprint).ok());
}

TEST(PageTokenCodecTest, OrderIsDaysLateDescendingThenCaseClockInstance) {
  auto less = [](BreachSortKey a, BreachSortKey b) {
    return BreachSortLess(a, b);
  };
  EXPECT_TRUE(less({10, "b", 5, "1", 0}, {9, "a", 0, "1", 0}));
  EXPECT_TRUE(less({9, "a", 5, "1", 0}, {9, "b", 0, "1", 0}));
  EXPECT_TRUE(less({9, "a", 0, "9", 0}, {9, "a", 1, "1", 0}));
  EXPECT_TRUE(less({9, "a", 1, "2", 0}, {9, "a", 1, "10", 0}));
  EXPECT_TRUE(less({9, "a", 1, "EP1", 0}, {9, "a", 1, "EP2", 0}));
  EXPECT_TRUE(less({9, "a", 1, "1", 0}, {9, "a", 1, "1", 1}));
  EXPECT_FALSE(less({9, "a", 1, "1", 0}, {9, "a", 1, "1", 0}));
  EXPECT_TRUE(InstanceLess("9", "10"));
  EXPECT_TRUE(InstanceLess("10", "9x"));
}

}  // namespace
}  // namespace ehcp::projections
