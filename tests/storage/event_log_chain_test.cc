// The hash chain and damaged storage: VerifyChain, corrupt records in reads,
// and what Open refuses.
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/env.h"
#include "storage/event_log.h"
#include "storage/hash.h"
#include "storage/internal/event_log_impl.h"
#include "storage/internal/format.h"
#include "storage/rocksdb_db.h"
#include "tests/storage/raw_db.h"
#include "tests/storage/test_util.h"

namespace ehcp::storage {
namespace {

using ::ehcp::storage::testing::MakeRequest;
using ::ehcp::storage::testing::OpenOrDie;
using ::ehcp::storage::testing::RawDb;
using ::ehcp::storage::testing::ScopedTempDir;
using ::testing::HasSubstr;

constexpr uint64_t kRecords = 10;

class ChainTest : public ::testing::Test {
 protected:
  // Writes kRecords records (positions 1..10: stream "s" versions 1..10,
  // data "s/r<i>/0") and closes the log.
  void SetUp() override {
    EventLog::Options options;
    options.sync = false;  // Durability is not under test here.
    std::unique_ptr<EventLog> log = OpenOrDie(dir_.path(), options);
    ASSERT_NE(log, nullptr);
    for (uint64_t i = 0; i < kRecords; ++i) {
      ASSERT_TRUE(log->Append(MakeRequest("s", ExpectedVersion::Exact(i), 1,
                                          "r" + std::to_string(i + 1)))
                      .ok());
    }
  }

  // Flips one bit of the byte at `offset` (negative: from the end) of the
  // stored value of `position`, behind the log's back.
  void FlipByte(uint64_t position, int offset) {
    RawDb raw(dir_.path());
    ASSERT_NE(raw.db(), nullptr);
    std::optional<std::string> value =
        raw.Get(format::kLogFamily, format::LogKey(position));
    ASSERT_TRUE(value.has_value());
    const size_t index = offset >= 0 ? offset : value->size() + offset;
    (*value)[index] ^= 0x01;
    raw.Put(format::kLogFamily, format::LogKey(position), *value);
  }

  // The offset of the last byte of the data "s/r<position>/0" in its value.
  int DataOffset(uint64_t position) {
    RawDb raw(dir_.path());
    std::string value = *raw.Get(format::kLogFamily, format::LogKey(position));
    const std::string data = "s/r" + std::to_string(position) + "/0";
    const size_t at = value.find(data);
    EXPECT_NE(at, std::string::npos);
    return static_cast<int>(at + data.size() - 1);
  }

  ScopedTempDir dir_;
};

TEST_F(ChainTest, IntactChainVerifiesWholeAndInRanges) {
  std::unique_ptr<EventLog> log = OpenOrDie(dir_.path());
  ASSERT_NE(log, nullptr);
  EXPECT_TRUE(log->VerifyChain(0, 0).ok());
  EXPECT_TRUE(log->VerifyChain(1, kRecords).ok());
  EXPECT_TRUE(log->VerifyChain(4, 6).ok());
  EXPECT_TRUE(log->VerifyChain(kRecords, 0).ok());
  EXPECT_TRUE(log->VerifyChain(kRecords + 5, 0).ok());  // Nothing to check.
}

TEST_F(ChainTest, EachRecordCarriesTheHashOfThePreviousStoredBytes) {
  RawDb raw(dir_.path());
  std::string prev_hash = format::ZeroHash();
  for (uint64_t position = 1; position <= kRecords; ++position) {
    std::string value = *raw.Get(format::kLogFamily, format::LogKey(position));
    absl::StatusOr<format::DecodedRecord> decoded =
        format::DecodeLogRecord(position, value);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(decoded->prev_hash, prev_hash) << "position " << position;
    prev_hash = Sha256(value);
  }
  absl::StatusOr<format::LogHead> head =
      format::DecodeLogHead(*raw.Get(format::kMetaFamily, format::kHeadKey));
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->position, kRecords);
  EXPECT_EQ(head->hash, prev_hash);
}

TEST_F(ChainTest, ChangedDataByteIsDataLossNamingItsPosition) {
  FlipByte(4, DataOffset(4));
  std::unique_ptr<EventLog> log = OpenOrDie(dir_.path());
  ASSERT_NE(log, nullptr);
  absl::Status status = log->VerifyChain(0, 0);
  ASSERT_TRUE(absl::IsDataLoss(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("hash chain broken at position 4:"));
  // A range ending at the changed record is checked against its successor.
  status = log->VerifyChain(2, 4);
  EXPECT_THAT(status.message(), HasSubstr("hash chain broken at position 4:"));
  EXPECT_TRUE(log->VerifyChain(1, 3).ok());
}

// A record whose bytes were rewritten with valid RocksDB checksums is never
// served: every read that would return it answers DATA_LOSS naming it (its
// successor's prev_hash, or the log head for the last record, witnesses
// its bytes); reads that do not reach it are served.
TEST_F(ChainTest, AReadOfARewrittenRecordIsDataLossNeverTheAlteredBytes) {
  FlipByte(4, DataOffset(4));
  std::unique_ptr<EventLog> log = OpenOrDie(dir_.path());
  ASSERT_NE(log, nullptr);
  for (const uint64_t from : {1, 3, 4}) {
    absl::StatusOr<std::vector<Record>> page = log->ReadAll(from, 100);
    ASSERT_TRUE(absl::IsDataLoss(page.status())) << from << ": " << page.status();
    EXPECT_THAT(page.status().message(), HasSubstr("position 4:"));
  }
  // A page ending just before it: record 3 is witnessed by record 4's
  // prev_hash, which is intact.
  absl::StatusOr<std::vector<Record>> before = log->ReadAll(1, 3);
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(before->size(), 3u);
  absl::StatusOr<std::vector<Record>> after = log->ReadAll(5, 100);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->size(), kRecords - 4);
  // By stream: the stream holding it, from any version up to 4.
  absl::StatusOr<std::vector<Record>> stream =
      log->ReadStream("s", 1, Direction::kForwards, 100);
  EXPECT_TRUE(absl::IsDataLoss(stream.status())) << stream.status();
  stream = log->ReadStream("s", 5, Direction::kForwards, 100);
  EXPECT_TRUE(stream.ok()) << stream.status();
}

TEST_F(ChainTest, TheLastRecordIsWitnessedByTheLogHeadInReads) {
  std::unique_ptr<EventLog> log = OpenOrDie(dir_.path());
  ASSERT_NE(log, nullptr);
  absl::StatusOr<std::vector<Record>> last = log->ReadAll(kRecords, 1);
  ASSERT_TRUE(last.ok()) << last.status();
  ASSERT_EQ(last->size(), 1u);
  absl::StatusOr<std::vector<Record>> by_stream =
      log->ReadStream("s", 0, Direction::kBackwards, 1);
  ASSERT_TRUE(by_stream.ok()) << by_stream.status();
  EXPECT_EQ(by_stream->front().position, kRecords);
}

TEST_F(ChainTest, ChangedPrevHashByteIsDataLossNamingItsPosition) {
  FlipByte(6, -1);  // prev_hash is the last field serialized.
  std::unique_ptr<EventLog> log = OpenOrDie(dir_.path());
  ASSERT_NE(log, nullptr);
  absl::Status status = log->VerifyChain(0, 0);
  ASSERT_TRUE(absl::IsDataLoss(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("hash chain broken at position 6:"));
}

// Every byte of one record, one at a time (of its 32-byte prev_hash, the
// first, a middle and the last). In memory (rocksdb::NewMemEnv), so that the
// many reopens cost no fsyncs.
TEST(ChainFlipTest, AnySingleFlippedByteIsFoundAtItsPosition) {
  std::unique_ptr<rocksdb::Env> env(
      rocksdb::NewMemEnv(rocksdb::Env::Default()));
  const std::string dir = "/in-memory/log";
  EventLog::Options options;
  options.sync = false;
  auto open = [&]() -> std::unique_ptr<EventLog> {
    absl::StatusOr<std::unique_ptr<EventLog>> log =
        EventLogImpl::OpenWithEnv(dir, options, env.get());
    EXPECT_TRUE(log.ok()) << log.status();
    return log.ok() ? *std::move(log) : nullptr;
  };
  {
    std::unique_ptr<EventLog> log = open();
    ASSERT_NE(log, nullptr);
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(log->Append(MakeRequest("s", ExpectedVersion::Any())).ok());
    }
  }
  std::string original;
  {
    RawDb raw(dir, false, {}, env.get());
    original = *raw.Get(format::kLogFamily, format::LogKey(3));
  }
  std::vector<size_t> offsets;
  const size_t hash_start = original.size() - format::kHashSize;
  for (size_t offset = 0; offset < hash_start; ++offset) {
    offsets.push_back(offset);
  }
  offsets.insert(offsets.end(),
                 {hash_start, hash_start + 16, original.size() - 1});
  for (size_t offset : offsets) {
    {
      RawDb raw(dir, false, {}, env.get());
      std::string damaged = original;
      damaged[offset] ^= 0x40;
      raw.Put(format::kLogFamily, format::LogKey(3), damaged);
    }
    std::unique_ptr<EventLog> log = open();
    ASSERT_NE(log, nullptr);
    absl::Status status = log->VerifyChain(0, 0);
    ASSERT_TRUE(absl::IsDataLoss(status)) << "offset " << offset;
    EXPECT_THAT(status.message(), HasSubstr("hash chain broken at position 3:"))
        << "offset " << offset << ": " << status;
  }
}

TEST_F(ChainTest, CorruptRecordIsDataLossInReads) {
  {
    RawDb raw(dir_.path());
    raw.Put(format::kLogFamily, format::LogKey(3), "\xff\xff\xff");
  }
  std::unique_ptr<EventLog> log = OpenOrDie(dir_.path());
  ASSERT_NE(log, nullptr);
  EXPECT_TRUE(absl::IsDataLoss(log->ReadAll(0, 0).status()));
  EXPECT_TRUE(absl::IsDataLoss(
      log->ReadStream("s", 0, Direction::kForwards, 0).status()));
  EXPECT_TRUE(log->ReadAll(4, 0).ok());
  absl::Status status = log->VerifyChain(0, 0);
  ASSERT_TRUE(absl::IsDataLoss(status));
  EXPECT_THAT(status.message(), HasSubstr("hash chain broken at position 3:"));
}

TEST_F(ChainTest, MissingRecordIsDataLoss) {
  {
    RawDb raw(dir_.path());
    ASSERT_TRUE(raw.db()
                    ->Delete(rocksdb::WriteOptions(),
                             raw.family(format::kLogFamily), format::LogKey(5))
                    .ok());
  }
  std::unique_ptr<EventLog> log = OpenOrDie(dir_.path());
  ASSERT_NE(log, nullptr);
  absl::Status status = log->VerifyChain(0, 0);
  EXPECT_THAT(status.message(), HasSubstr("hash chain broken at position 5:"));
  EXPECT_TRUE(absl::IsDataLoss(log->ReadAll(0, 0).status()));
  EXPECT_TRUE(absl::IsDataLoss(
      log->ReadStream("s", 5, Direction::kForwards, 1).status()));
}

TEST_F(ChainTest, OpenRefusesALogWhoseLastRecordChanged) {
  FlipByte(kRecords, DataOffset(kRecords));
  absl::StatusOr<std::unique_ptr<EventLog>> log =
      EventLog::Open(dir_.path(), {});
  ASSERT_TRUE(absl::IsDataLoss(log.status())) << log.status();
  EXPECT_THAT(log.status().message(), HasSubstr("position 10"));
}

TEST_F(ChainTest, OpenRefusesAnUnknownFormatVersion) {
  {
    RawDb raw(dir_.path());
    raw.Put(format::kMetaFamily, kFormatVersionKey,
            BigEndian64(format::kFormatVersion + 1));
  }
  absl::StatusOr<std::unique_ptr<EventLog>> log =
      EventLog::Open(dir_.path(), {});
  ASSERT_TRUE(absl::IsFailedPrecondition(log.status())) << log.status();
  EXPECT_THAT(log.status().message(), HasSubstr("format version 2"));
}

TEST(OpenTest, OpenRefusesADatabaseThatIsNotAnEventLog) {
  ScopedTempDir dir;
  {
    RawDb raw(dir.path(), /*create=*/true, {rocksdb::kDefaultColumnFamilyName});
    raw.Put(rocksdb::kDefaultColumnFamilyName, "some", "thing");
  }
  absl::StatusOr<std::unique_ptr<EventLog>> log =
      EventLog::Open(dir.path(), {});
  ASSERT_TRUE(absl::IsFailedPrecondition(log.status())) << log.status();
}

}  // namespace
}  // namespace ehcp::storage
