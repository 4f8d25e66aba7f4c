// Behaviour of single appends, expected versions, validation, reopen and
// close.
#include "storage/event_log.h"

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/storage/test_util.h"

namespace ehcp::storage {
namespace {

using ::ehcp::storage::testing::MakeRequest;
using ::ehcp::storage::testing::OpenOrDie;
using ::ehcp::storage::testing::ScopedTempDir;
using ::testing::HasSubstr;

class EventLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log_ = OpenOrDie(dir_.path());
    ASSERT_NE(log_, nullptr);
  }

  AppendResult AppendOk(AppendRequest request) {
    absl::StatusOr<AppendResult> result = log_->Append(std::move(request));
    EXPECT_TRUE(result.ok()) << result.status();
    return result.value_or(AppendResult{});
  }

  std::vector<Record> ReadAllOk() {
    absl::StatusOr<std::vector<Record>> records =
        log_->ReadAll(0, kMaxPageSize);
    EXPECT_TRUE(records.ok()) << records.status();
    return records.value_or(std::vector<Record>{});
  }

  ScopedTempDir dir_;
  std::unique_ptr<EventLog> log_;
};

TEST_F(EventLogTest, EmptyLogHasHeadZeroAndNoRecords) {
  EXPECT_EQ(log_->HeadPosition(), 0u);
  EXPECT_TRUE(ReadAllOk().empty());
  EXPECT_EQ(log_->StreamVersion("nobody").value(), 0u);
  EXPECT_TRUE(
      log_->ReadStream("nobody", 0, Direction::kForwards, 0).value().empty());
  EXPECT_TRUE(log_->VerifyChain(0, 0).ok());
}

TEST_F(EventLogTest, AppendsGetContiguousVersionsAndGapFreePositions) {
  const std::vector<std::string> order = {"a", "b", "a", "c", "a", "b"};
  for (const std::string& stream : order) {
    AppendOk(MakeRequest(stream, ExpectedVersion::Any()));
  }
  EXPECT_EQ(log_->HeadPosition(), order.size());
  std::vector<Record> all = ReadAllOk();
  ASSERT_EQ(all.size(), order.size());
  std::map<std::string, uint64_t> versions;
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].position, i + 1);
    EXPECT_EQ(all[i].stream_id, order[i]);
    EXPECT_EQ(all[i].version, ++versions[order[i]]);
  }
  EXPECT_EQ(log_->StreamVersion("a").value(), 3u);
  EXPECT_EQ(log_->StreamVersion("b").value(), 2u);
  EXPECT_EQ(log_->StreamVersion("c").value(), 1u);
}

TEST_F(EventLogTest, MultiRecordAppendIsContiguousAndReadsBackInOrder) {
  AppendOk(MakeRequest("other", ExpectedVersion::Any()));
  AppendResult result =
      AppendOk(MakeRequest("s", ExpectedVersion::NoStream(), 5, "batch"));
  EXPECT_EQ(result.first_version, 1u);
  EXPECT_EQ(result.last_version, 5u);
  EXPECT_EQ(result.first_position, 2u);
  EXPECT_EQ(result.last_position, 6u);
  EXPECT_FALSE(result.replayed);

  std::vector<Record> records =
      log_->ReadStream("s", 0, Direction::kForwards, 0).value();
  ASSERT_EQ(records.size(), 5u);
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].version, i + 1);
    EXPECT_EQ(records[i].position, i + 2);
    EXPECT_EQ(records[i].type, "t");
    EXPECT_EQ(records[i].data, "s/batch/" + std::to_string(i));
    EXPECT_EQ(records[i].recorded_at_micros, result.recorded_at_micros);
    EXPECT_EQ(records[i].hash.size(), 32u);
  }
}

TEST_F(EventLogTest, ExpectedVersionMismatchWritesNothingAndReportsActual) {
  AppendOk(MakeRequest("s", ExpectedVersion::Any(), 5));
  const uint64_t head = log_->HeadPosition();

  absl::StatusOr<AppendResult> result =
      log_->Append(MakeRequest("s", ExpectedVersion::Exact(3), 4));
  ASSERT_TRUE(absl::IsAborted(result.status())) << result.status();
  EXPECT_THAT(result.status().message(),
              HasSubstr("stream s: expected version 3, actual version 5"));
  EXPECT_EQ(log_->HeadPosition(), head);
  EXPECT_EQ(log_->StreamVersion("s").value(), 5u);
  EXPECT_EQ(ReadAllOk().size(), head);

  // The log goes on from where it was.
  AppendResult next = AppendOk(MakeRequest("s", ExpectedVersion::Exact(5)));
  EXPECT_EQ(next.first_version, 6u);
  EXPECT_EQ(next.first_position, head + 1);
}

TEST_F(EventLogTest, NoStreamSucceedsOnlyForANewStream) {
  AppendOk(MakeRequest("s", ExpectedVersion::NoStream()));
  absl::StatusOr<AppendResult> again =
      log_->Append(MakeRequest("s", ExpectedVersion::NoStream()));
  ASSERT_TRUE(absl::IsAborted(again.status())) << again.status();
  EXPECT_THAT(again.status().message(),
              HasSubstr("stream s: expected no stream, actual version 1"));
}

TEST_F(EventLogTest, ExactZeroIsTheSameAsNoStream) {
  AppendOk(MakeRequest("s", ExpectedVersion::Exact(0)));
  EXPECT_TRUE(absl::IsAborted(
      log_->Append(MakeRequest("s", ExpectedVersion::Exact(0))).status()));
}

TEST_F(EventLogTest, ExactVersionOnAMissingStreamIsAborted) {
  absl::StatusOr<AppendResult> result =
      log_->Append(MakeRequest("s", ExpectedVersion::Exact(2)));
  ASSERT_TRUE(absl::IsAborted(result.status()));
  EXPECT_THAT(result.status().message(), HasSubstr("actual version 0"));
  EXPECT_EQ(log_->HeadPosition(), 0u);
}

TEST_F(EventLogTest, MalformedRequestsAreInvalidArguments) {
  AppendRequest no_records = MakeRequest("s", ExpectedVersion::Any());
  no_records.records.clear();
  AppendRequest no_stream = MakeRequest("", ExpectedVersion::Any());
  AppendRequest nul_in_stream =
      MakeRequest(std::string("a\0b", 3), ExpectedVersion::Any());
  AppendRequest non_ascii_stream =
      MakeRequest("caf\xc3\xa9", ExpectedVersion::Any());
  AppendRequest long_stream = MakeRequest(
      std::string(kMaxStreamIdSize + 1, 'x'), ExpectedVersion::Any());
  AppendRequest bad_type = MakeRequest("s", ExpectedVersion::Any());
  bad_type.records[0].type = "\xff";
  AppendRequest long_key = MakeRequest("s", ExpectedVersion::Any());
  long_key.idempotency_key = std::string(kMaxKeySize + 1, 'k');

  for (AppendRequest* request :
       {&no_records, &no_stream, &nul_in_stream, &non_ascii_stream,
        &long_stream, &bad_type, &long_key}) {
    absl::StatusOr<AppendResult> result = log_->Append(std::move(*request));
    EXPECT_TRUE(absl::IsInvalidArgument(result.status())) << result.status();
  }
  EXPECT_EQ(log_->HeadPosition(), 0u);
  EXPECT_TRUE(absl::IsInvalidArgument(log_->StreamVersion("").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      log_->ReadStream("a\tb", 0, Direction::kForwards, 1).status()));
}

TEST_F(EventLogTest, RecordsKeepArbitraryBinaryData) {
  AppendRequest request = MakeRequest("s", ExpectedVersion::Any());
  request.records[0].data = std::string("\0\xff\x01zero", 7);
  request.records[0].type = "Ünïcode type";
  AppendOk(request);
  std::vector<Record> records = ReadAllOk();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].data, std::string("\0\xff\x01zero", 7));
  EXPECT_EQ(records[0].type, "Ünïcode type");
}

TEST(EventLogClockTest, RecordedAtNeverGoesBackwardsWhenTheClockDoes) {
  ScopedTempDir dir;
  std::atomic<int64_t> now{5'000'000};
  EventLog::Options options;
  options.now_micros = [&now] { return now.load(); };
  std::unique_ptr<EventLog> log = OpenOrDie(dir.path(), options);
  ASSERT_NE(log, nullptr);

  EXPECT_EQ(
      log->Append(MakeRequest("s", ExpectedVersion::Any()))->recorded_at_micros,
      5'000'000);
  now = 1'000'000;  // The clock steps back.
  EXPECT_EQ(
      log->Append(MakeRequest("s", ExpectedVersion::Any()))->recorded_at_micros,
      5'000'000);
  log.reset();

  // Also across a reopen: the head remembers the last commit time.
  log = OpenOrDie(dir.path(), options);
  EXPECT_EQ(
      log->Append(MakeRequest("s", ExpectedVersion::Any()))->recorded_at_micros,
      5'000'000);
  now = 7'000'000;
  EXPECT_EQ(
      log->Append(MakeRequest("s", ExpectedVersion::Any()))->recorded_at_micros,
      7'000'000);
}

TEST_F(EventLogTest, StateSurvivesCloseAndReopen) {
  AppendOk(MakeRequest("a", ExpectedVersion::Any(), 3));
  AppendOk(MakeRequest("b", ExpectedVersion::Any(), 2));
  log_.reset();

  log_ = OpenOrDie(dir_.path());
  ASSERT_NE(log_, nullptr);
  EXPECT_EQ(log_->HeadPosition(), 5u);
  EXPECT_EQ(log_->StreamVersion("a").value(), 3u);
  AppendResult next = AppendOk(MakeRequest("a", ExpectedVersion::Exact(3)));
  EXPECT_EQ(next.first_version, 4u);
  EXPECT_EQ(next.first_position, 6u);
  EXPECT_TRUE(log_->VerifyChain(0, 0).ok());
}

TEST_F(EventLogTest, OpenCreatesMissingParentDirectories) {
  std::unique_ptr<EventLog> nested = OpenOrDie(dir_.Sub("x/y/z"));
  ASSERT_NE(nested, nullptr);
  EXPECT_TRUE(nested->Append(MakeRequest("s", ExpectedVersion::Any())).ok());
}

TEST_F(EventLogTest, SecondOpenOfTheSameDirectoryIsUnavailable) {
  absl::StatusOr<std::unique_ptr<EventLog>> second =
      EventLog::Open(dir_.path(), {});
  EXPECT_TRUE(absl::IsUnavailable(second.status())) << second.status();
}

TEST_F(EventLogTest, AfterCloseEverythingIsUnavailableAndCloseIsIdempotent) {
  AppendOk(MakeRequest("s", ExpectedVersion::Any()));
  log_->Close();
  log_->Close();
  EXPECT_TRUE(absl::IsUnavailable(
      log_->Append(MakeRequest("s", ExpectedVersion::Any())).status()));
  EXPECT_TRUE(absl::IsUnavailable(log_->ReadAll(0, 0).status()));
  EXPECT_TRUE(absl::IsUnavailable(
      log_->ReadStream("s", 0, Direction::kForwards, 0).status()));
  EXPECT_TRUE(absl::IsUnavailable(log_->StreamVersion("s").status()));
  EXPECT_TRUE(absl::IsUnavailable(log_->VerifyChain(0, 0)));
  EXPECT_TRUE(
      absl::IsUnavailable(log_->LookupIdempotency("s", "k", "d").status()));
  EXPECT_EQ(log_->HeadPosition(), 1u);
  EXPECT_EQ(log_->GetStats().appends, 1u);
}

TEST_F(EventLogTest, LoneAppendRunsItsCallbackOnTheCallingThread) {
  const std::thread::id caller = std::this_thread::get_id();
  std::thread::id ran_on;
  bool called = false;
  log_->AppendAsync(MakeRequest("s", ExpectedVersion::Any()),
                    [&](absl::StatusOr<AppendResult> result) {
                      EXPECT_TRUE(result.ok());
                      ran_on = std::this_thread::get_id();
                      called = true;
                    });
  EXPECT_TRUE(called);  // Before AppendAsync returned.
  EXPECT_EQ(ran_on, caller);
}

TEST_F(EventLogTest, InvalidRequestCallbackRunsAtOnce) {
  bool called = false;
  log_->AppendAsync(MakeRequest("", ExpectedVersion::Any()),
                    [&](absl::StatusOr<AppendResult> result) {
                      EXPECT_TRUE(absl::IsInvalidArgument(result.status()));
                      called = true;
                    });
  EXPECT_TRUE(called);
}

TEST_F(EventLogTest, CloseFromInsideACallbackDoesNotDeadlock) {
  bool called = false;
  log_->AppendAsync(MakeRequest("s", ExpectedVersion::Any()),
                    [&](absl::StatusOr<AppendResult> result) {
                      EXPECT_TRUE(result.ok());
                      log_->Close();
                      called = true;
                    });
  EXPECT_TRUE(called);
  EXPECT_TRUE(absl::IsUnavailable(
      log_->Append(MakeRequest("s", ExpectedVersion::Any())).status()));
}

TEST_F(EventLogTest, StatsCountAppendsRecordsConflictsAndSyncs) {
  AppendOk(MakeRequest("s", ExpectedVersion::Any(), 3));
  AppendOk(MakeRequest("s", ExpectedVersion::Any(), 2));
  EXPECT_FALSE(
      log_->Append(MakeRequest("s", ExpectedVersion::NoStream())).ok());
  EventLog::Stats stats = log_->GetStats();
  EXPECT_EQ(stats.appends, 2u);
  EXPECT_EQ(stats.records, 5u);
  EXPECT_EQ(stats.batches, 2u);
  EXPECT_EQ(stats.syncs, 2u);
  EXPECT_EQ(stats.conflicts, 1u);
  EXPECT_EQ(stats.failed_writes, 0u);
}

TEST(EventLogNoSyncTest, WithoutSyncNothingIsSyncedButAllIsReadable) {
  ScopedTempDir dir;
  EventLog::Options options;
  options.sync = false;
  std::unique_ptr<EventLog> log = OpenOrDie(dir.path(), options);
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->Append(MakeRequest("s", ExpectedVersion::Any(), 4)).ok());
  EXPECT_EQ(log->GetStats().syncs, 0u);
  EXPECT_EQ(log->ReadAll(0, 0)->size(), 4u);
}

}  // namespace
}  // namespace ehcp::storage
