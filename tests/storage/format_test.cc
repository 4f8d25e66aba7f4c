// The documented on-disk layout (storage/FORMAT.md), key encodings, request
// validation and the notification registry.
#include "storage/internal/format.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/event_log.h"
#include "storage/hash.h"
#include "storage/internal/position_waiters.h"
#include "storage/internal/request_validation.h"
#include "storage/rocksdb_db.h"
#include "tests/storage/raw_db.h"
#include "tests/storage/test_util.h"

namespace ehcp::storage {
namespace {

using ::ehcp::storage::testing::MakeKeyedRequest;
using ::ehcp::storage::testing::OpenOrDie;
using ::ehcp::storage::testing::RawDb;
using ::ehcp::storage::testing::ScopedTempDir;
using ::testing::ElementsAre;
using ::testing::Pair;

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

TEST(FormatTest, BigEndianKeysSortNumerically) {
  EXPECT_EQ(format::LogKey(1), Bytes({0, 0, 0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(format::LogKey(0x0102030405060708),
            Bytes({1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_LT(format::LogKey(255), format::LogKey(256));
  EXPECT_EQ(DecodeBigEndian64(format::LogKey(987654321), "k").value(),
            987654321u);
  EXPECT_TRUE(absl::IsDataLoss(DecodeBigEndian64("short", "k").status()));
}

TEST(FormatTest, StreamKeysOfOneStreamAreContiguous) {
  EXPECT_EQ(format::StreamIndexKey("ab", 2),
            std::string("ab\0", 3) + format::LogKey(2));
  // "a" + 0x00 sorts before "a!" (0x21), the lowest printable successor.
  EXPECT_LT(format::StreamIndexKey("a", ~uint64_t{0}),
            format::StreamIndexKey("a!", 0));
  EXPECT_EQ(format::IdempotencyKey("s", "k"), std::string("s\0k", 3));
}

TEST(FormatTest, Sha256MatchesTheKnownDigestOfAbc) {
  EXPECT_EQ(
      Sha256("abc"),
      Bytes({0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
             0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
             0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad}));
}

TEST(FormatTest, AnAppendWritesTheDocumentedKeysInEveryFamily) {
  ScopedTempDir dir;
  {
    EventLog::Options options;
    options.now_micros = [] { return int64_t{1'700'000'000'000'000}; };
    std::unique_ptr<EventLog> log = OpenOrDie(dir.path(), options);
    ASSERT_NE(log, nullptr);
    ASSERT_TRUE(log->Append(MakeKeyedRequest("c1", ExpectedVersion::NoStream(),
                                             2, "k1", "d1"))
                    .ok());
  }
  RawDb raw(dir.path());
  const std::string c1 = std::string("c1\0", 3);
  EXPECT_THAT(raw.Dump(format::kLogFamily),
              ElementsAre(Pair(format::LogKey(1), ::testing::_),
                          Pair(format::LogKey(2), ::testing::_)));
  EXPECT_THAT(raw.Dump(format::kStreamsFamily),
              ElementsAre(Pair(c1 + format::LogKey(1), format::LogKey(1)),
                          Pair(c1 + format::LogKey(2), format::LogKey(2))));
  EXPECT_THAT(raw.Dump(format::kHeadsFamily),
              ElementsAre(Pair("c1", BigEndian64(2))));
  auto idempotency = raw.Dump(format::kIdempotencyFamily);
  ASSERT_EQ(idempotency.size(), 1u);
  EXPECT_EQ(idempotency.begin()->first, c1 + "k1");
  format::IdempotencyEntry entry =
      format::DecodeIdempotency(idempotency.begin()->second).value();
  EXPECT_EQ(entry.request_digest, "d1");
  EXPECT_EQ(entry.result.last_position, 2u);
  EXPECT_EQ(entry.result.recorded_at_micros, 1'700'000'000'000'000);
  auto meta = raw.Dump(format::kMetaFamily);
  EXPECT_EQ(meta.at(kFormatVersionKey), BigEndian64(1));
  format::LogHead head =
      format::DecodeLogHead(meta.at(format::kHeadKey)).value();
  EXPECT_EQ(head.position, 2u);
  EXPECT_EQ(head.hash, Sha256(*raw.Get(format::kLogFamily, format::LogKey(2))));
  EXPECT_TRUE(raw.Dump(rocksdb::kDefaultColumnFamilyName).empty());
}

TEST(ValidationTest, StreamIdsArePrintableAsciiWithinTheLimit) {
  EXPECT_TRUE(ValidateStreamId("LA-301/case 42~").ok());
  EXPECT_FALSE(ValidateStreamId("").ok());
  EXPECT_FALSE(ValidateStreamId(std::string("a\0", 2)).ok());
  EXPECT_FALSE(ValidateStreamId("tab\t").ok());
  EXPECT_FALSE(ValidateStreamId("\x7f").ok());
  EXPECT_TRUE(ValidateStreamId(std::string(kMaxStreamIdSize, 'x')).ok());
  EXPECT_FALSE(ValidateStreamId(std::string(kMaxStreamIdSize + 1, 'x')).ok());
}

TEST(ValidationTest, RecordTypesMustBeUtf8) {
  AppendRequest request;
  request.stream_id = "s";
  request.records.push_back({"caf\xc3\xa9", "data"});
  EXPECT_TRUE(ValidateAppendRequest(request).ok());
  request.records.push_back({"caf\xc0\xaf", "data"});  // Overlong.
  const absl::Status status = ValidateAppendRequest(request);
  EXPECT_TRUE(absl::IsInvalidArgument(status));
  EXPECT_EQ(status.message(), "records[1].type: not valid UTF-8");
}

TEST(PositionWaitersTest, TakesDueCallbacksInPositionOrder) {
  PositionWaiters waiters;
  std::vector<int> ran;
  waiters.Add(5, [&](bool) { ran.push_back(5); });
  const uint64_t cancelled = waiters.Add(1, [&](bool) { ran.push_back(-1); });
  waiters.Add(2, [&](bool) { ran.push_back(2); });
  waiters.Add(9, [&](bool) { ran.push_back(9); });
  EXPECT_TRUE(waiters.Remove(cancelled));
  EXPECT_FALSE(waiters.Remove(cancelled));

  for (auto& fn : waiters.TakeReached(6)) fn(false);  // Positions < 6.
  EXPECT_THAT(ran, ElementsAre(2, 5));
  EXPECT_TRUE(waiters.TakeReached(9).empty());
  for (auto& fn : waiters.TakeAll()) fn(true);
  EXPECT_THAT(ran, ElementsAre(2, 5, 9));
  EXPECT_TRUE(waiters.empty());
}

}  // namespace
}  // namespace ehcp::storage
