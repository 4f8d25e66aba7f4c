// Paging through one stream (forwards and backwards) and through the whole
// log.
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "storage/event_log.h"
#include "tests/storage/test_util.h"

namespace ehcp::storage {
namespace {

using ::ehcp::storage::testing::MakeRequest;
using ::ehcp::storage::testing::OpenOrDie;
using ::ehcp::storage::testing::ScopedTempDir;

std::vector<uint64_t> Versions(const std::vector<Record>& records) {
  std::vector<uint64_t> out;
  for (const Record& record : records) out.push_back(record.version);
  return out;
}

std::vector<uint64_t> Range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> out;
  if (first <= last) {
    for (uint64_t v = first; v <= last; ++v) out.push_back(v);
  } else {
    for (uint64_t v = first; v >= last; --v) out.push_back(v);
  }
  return out;
}

class ReadTest : public ::testing::Test {
 protected:
  // Stream "s" gets versions 1..25, interleaved with stream "s!" (whose keys
  // sort right after "s"'s) and "r" (right before).
  void SetUp() override {
    EventLog::Options options;
    options.sync = false;  // Durability is not under test here.
    log_ = OpenOrDie(dir_.path(), options);
    ASSERT_NE(log_, nullptr);
    for (int i = 0; i < 25; ++i) {
      ASSERT_TRUE(log_->Append(MakeRequest("r", ExpectedVersion::Any())).ok());
      ASSERT_TRUE(log_->Append(MakeRequest("s", ExpectedVersion::Any())).ok());
      ASSERT_TRUE(log_->Append(MakeRequest("s!", ExpectedVersion::Any())).ok());
    }
  }

  std::vector<uint64_t> Page(uint64_t from, Direction direction, size_t count) {
    absl::StatusOr<std::vector<Record>> records =
        log_->ReadStream("s", from, direction, count);
    EXPECT_TRUE(records.ok()) << records.status();
    for (const Record& record : records.value_or(std::vector<Record>{})) {
      EXPECT_EQ(record.stream_id, "s");
    }
    return Versions(records.value_or(std::vector<Record>{}));
  }

  ScopedTempDir dir_;
  std::unique_ptr<EventLog> log_;
};

TEST_F(ReadTest, StreamPagesForwardsFromTheStart) {
  EXPECT_EQ(Page(0, Direction::kForwards, 10), Range(1, 10));
  EXPECT_EQ(Page(1, Direction::kForwards, 10), Range(1, 10));
  EXPECT_EQ(Page(11, Direction::kForwards, 10), Range(11, 20));
  EXPECT_EQ(Page(21, Direction::kForwards, 10), Range(21, 25));
  EXPECT_TRUE(Page(26, Direction::kForwards, 10).empty());
}

TEST_F(ReadTest, StreamPagesBackwardsFromTheEnd) {
  EXPECT_EQ(Page(0, Direction::kBackwards, 10), Range(25, 16));
  EXPECT_EQ(Page(15, Direction::kBackwards, 10), Range(15, 6));
  EXPECT_EQ(Page(5, Direction::kBackwards, 10), Range(5, 1));
  // A from_version past the end starts at the last record.
  EXPECT_EQ(Page(99, Direction::kBackwards, 2), Range(25, 24));
}

TEST_F(ReadTest, StreamRecordsCarryTheirPositions) {
  std::vector<Record> records =
      log_->ReadStream("s", 0, Direction::kForwards, 3).value();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].position, 2u);
  EXPECT_EQ(records[1].position, 5u);
  EXPECT_EQ(records[2].position, 8u);
}

TEST_F(ReadTest, UnknownStreamReadsEmpty) {
  EXPECT_TRUE(log_->ReadStream("q", 0, Direction::kForwards, 0)->empty());
  EXPECT_TRUE(log_->ReadStream("q", 0, Direction::kBackwards, 0)->empty());
  EXPECT_TRUE(log_->ReadStream("s!!", 0, Direction::kBackwards, 0)->empty());
}

TEST_F(ReadTest, ReadAllPagesThroughTheWholeLog) {
  std::vector<uint64_t> positions;
  for (uint64_t from = 1;;) {
    std::vector<Record> page = log_->ReadAll(from, 7).value();
    if (page.empty()) break;
    EXPECT_LE(page.size(), 7u);
    for (const Record& record : page) positions.push_back(record.position);
    from = page.back().position + 1;
  }
  EXPECT_EQ(positions, Range(1, 75));
  EXPECT_EQ(log_->ReadAll(0, 1)->front().position, 1u);
  EXPECT_TRUE(log_->ReadAll(76, 10)->empty());
}

TEST_F(ReadTest, ZeroCountMeansTheDefaultPageSize) {
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(log_->Append(MakeRequest("s", ExpectedVersion::Any())).ok());
  }
  EXPECT_EQ(log_->ReadAll(0, 0)->size(), kDefaultPageSize);
  EXPECT_EQ(log_->ReadStream("s", 0, Direction::kForwards, 0)->size(), 65u);
}

TEST(ReadLimitTest, PagesAreCappedAtTheMaximumPageSize) {
  ScopedTempDir dir;
  EventLog::Options options;
  options.sync = false;
  std::unique_ptr<EventLog> log = OpenOrDie(dir.path(), options);
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->Append(MakeRequest("s", ExpectedVersion::Any(),
                                      kMaxRecordsPerAppend))
                  .ok());
  ASSERT_TRUE(log->Append(MakeRequest("s", ExpectedVersion::Any(), 5)).ok());
  EXPECT_EQ(log->ReadAll(1, kMaxPageSize + 5)->size(), kMaxPageSize);
  EXPECT_EQ(
      log->ReadStream("s", 0, Direction::kBackwards, kMaxPageSize + 5)->size(),
      kMaxPageSize);
  EXPECT_TRUE(absl::IsInvalidArgument(
      log->Append(
             MakeRequest("s", ExpectedVersion::Any(), kMaxRecordsPerAppend + 1))
          .status()));
}

}  // namespace
}  // namespace ehcp::storage
