// Idempotent retries: same process, after reopen, in one group commit,
// concurrently, and with a different request digest.
#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/event_log.h"
#include "tests/storage/test_util.h"

namespace ehcp::storage {
namespace {

using ::ehcp::storage::testing::MakeKeyedRequest;
using ::ehcp::storage::testing::MakeRequest;
using ::ehcp::storage::testing::OpenOrDie;
using ::ehcp::storage::testing::ScopedTempDir;
using ::testing::HasSubstr;

class IdempotencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log_ = OpenOrDie(dir_.path());
    ASSERT_NE(log_, nullptr);
  }

  ScopedTempDir dir_;
  std::unique_ptr<EventLog> log_;
};

TEST_F(IdempotencyTest, RetryReplaysTheFirstResultAndWritesNothing) {
  absl::StatusOr<AppendResult> first = log_->Append(
      MakeKeyedRequest("s", ExpectedVersion::NoStream(), 2, "key-1", "d1"));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->replayed);

  absl::StatusOr<AppendResult> retry = log_->Append(
      MakeKeyedRequest("s", ExpectedVersion::NoStream(), 2, "key-1", "d1"));
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->replayed);
  AppendResult expected = *first;
  expected.replayed = true;
  EXPECT_EQ(*retry, expected);
  EXPECT_EQ(log_->HeadPosition(), 2u);
  EXPECT_EQ(log_->StreamVersion("s").value(), 2u);
  EXPECT_EQ(log_->GetStats().replays, 1u);
}

TEST_F(IdempotencyTest, KeyIsCheckedBeforeTheExpectedVersion) {
  ASSERT_TRUE(log_->Append(MakeKeyedRequest("s", ExpectedVersion::Exact(0), 1,
                                            "k", "d"))
                  .ok());
  ASSERT_TRUE(log_->Append(MakeRequest("s", ExpectedVersion::Any(), 3)).ok());
  // The stream has moved on; the retry still replays rather than aborting.
  absl::StatusOr<AppendResult> retry = log_->Append(
      MakeKeyedRequest("s", ExpectedVersion::Exact(0), 1, "k", "d"));
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->replayed);
  EXPECT_EQ(retry->last_position, 1u);
}

TEST_F(IdempotencyTest, RetryReplaysAfterCloseAndReopen) {
  absl::StatusOr<AppendResult> first =
      log_->Append(MakeKeyedRequest("s", ExpectedVersion::Any(), 3, "k", "d"));
  ASSERT_TRUE(first.ok());
  log_.reset();
  log_ = OpenOrDie(dir_.path());
  ASSERT_NE(log_, nullptr);

  absl::StatusOr<AppendResult> retry =
      log_->Append(MakeKeyedRequest("s", ExpectedVersion::Any(), 3, "k", "d"));
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->replayed);
  EXPECT_EQ(retry->first_position, first->first_position);
  EXPECT_EQ(retry->last_version, first->last_version);
  EXPECT_EQ(retry->recorded_at_micros, first->recorded_at_micros);
  EXPECT_EQ(log_->HeadPosition(), 3u);
}

TEST_F(IdempotencyTest, SameKeyWithADifferentDigestIsInvalidArgument) {
  ASSERT_TRUE(
      log_->Append(MakeKeyedRequest("s", ExpectedVersion::Any(), 1, "k", "d1"))
          .ok());
  absl::StatusOr<AppendResult> other =
      log_->Append(MakeKeyedRequest("s", ExpectedVersion::Any(), 1, "k", "d2"));
  ASSERT_TRUE(absl::IsInvalidArgument(other.status())) << other.status();
  EXPECT_THAT(other.status().message(),
              HasSubstr("was used for a different request"));
  EXPECT_EQ(log_->HeadPosition(), 1u);

  EXPECT_TRUE(absl::IsInvalidArgument(
      log_->LookupIdempotency("s", "k", "d2").status()));
}

TEST_F(IdempotencyTest, KeysAreScopedToTheirStream) {
  ASSERT_TRUE(
      log_->Append(MakeKeyedRequest("a", ExpectedVersion::Any(), 1, "k", "d"))
          .ok());
  absl::StatusOr<AppendResult> other_stream =
      log_->Append(MakeKeyedRequest("b", ExpectedVersion::Any(), 1, "k", "d"));
  ASSERT_TRUE(other_stream.ok());
  EXPECT_FALSE(other_stream->replayed);
  EXPECT_EQ(log_->HeadPosition(), 2u);
}

TEST_F(IdempotencyTest, FailedAppendDoesNotUseUpItsKey) {
  ASSERT_TRUE(log_->Append(MakeRequest("s", ExpectedVersion::Any())).ok());
  absl::StatusOr<AppendResult> conflict = log_->Append(
      MakeKeyedRequest("s", ExpectedVersion::NoStream(), 1, "k", "d"));
  ASSERT_TRUE(absl::IsAborted(conflict.status()));
  EXPECT_EQ(log_->LookupIdempotency("s", "k", "d").value(), std::nullopt);

  absl::StatusOr<AppendResult> corrected = log_->Append(
      MakeKeyedRequest("s", ExpectedVersion::Exact(1), 1, "k", "d"));
  ASSERT_TRUE(corrected.ok()) << corrected.status();
  EXPECT_FALSE(corrected->replayed);
}

TEST_F(IdempotencyTest, LookupFindsCommittedKeysWithoutWriting) {
  EXPECT_EQ(log_->LookupIdempotency("s", "k", "d").value(), std::nullopt);
  absl::StatusOr<AppendResult> first =
      log_->Append(MakeKeyedRequest("s", ExpectedVersion::Any(), 2, "k", "d"));
  ASSERT_TRUE(first.ok());
  absl::StatusOr<std::optional<AppendResult>> found =
      log_->LookupIdempotency("s", "k", "d");
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_TRUE((*found)->replayed);
  EXPECT_EQ((*found)->last_position, first->last_position);
  EXPECT_EQ(log_->HeadPosition(), 2u);
  EXPECT_TRUE(
      absl::IsInvalidArgument(log_->LookupIdempotency("s", "", "d").status()));
}

// A retry queued behind its original in one group commit replays the
// original's result, which is only acknowledged once the batch is written.
TEST(IdempotencyBatchTest, RetryInTheSameGroupCommitReplaysTheFirst) {
  ScopedTempDir dir;
  EventLog* log_ptr = nullptr;
  std::atomic<int> clock_calls{0};
  std::vector<absl::StatusOr<AppendResult>> results(2);
  EventLog::Options options;
  // The commit clock runs while a batch is being built: queue the original
  // and its retry then, so that the next group commit takes both.
  options.now_micros = [&]() -> int64_t {
    if (clock_calls++ == 0) {
      for (int i = 0; i < 2; ++i) {
        log_ptr->AppendAsync(
            MakeKeyedRequest("s", ExpectedVersion::NoStream(), 2, "k", "d"),
            [&results, i](absl::StatusOr<AppendResult> result) {
              results[i] = std::move(result);
            });
      }
    }
    return 1'000'000;
  };
  std::unique_ptr<EventLog> log = OpenOrDie(dir.path(), options);
  ASSERT_NE(log, nullptr);
  log_ptr = log.get();

  ASSERT_TRUE(log->Append(MakeRequest("other", ExpectedVersion::Any())).ok());
  ASSERT_TRUE(results[0].ok()) << results[0].status();
  ASSERT_TRUE(results[1].ok()) << results[1].status();
  EXPECT_FALSE(results[0]->replayed);
  EXPECT_TRUE(results[1]->replayed);
  EXPECT_EQ(results[1]->first_position, results[0]->first_position);
  EXPECT_EQ(results[1]->last_position, results[0]->last_position);
  EXPECT_EQ(log->HeadPosition(), 3u);
  EXPECT_EQ(log->StreamVersion("s").value(), 2u);
  EventLog::Stats stats = log->GetStats();
  EXPECT_EQ(stats.batches, 2u);
  EXPECT_EQ(stats.max_batch_appends, 2u);
  EXPECT_EQ(stats.replays, 1u);
}

TEST_F(IdempotencyTest, ConcurrentDuplicatesWriteExactlyOnce) {
  constexpr int kThreads = 16;
  std::vector<absl::StatusOr<AppendResult>> results(kThreads);
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      results[i] = log_->Append(
          MakeKeyedRequest("s", ExpectedVersion::NoStream(), 3, "k", "d"));
    });
  }
  go = true;
  for (std::thread& thread : threads) thread.join();

  int originals = 0;
  for (const absl::StatusOr<AppendResult>& result : results) {
    ASSERT_TRUE(result.ok()) << result.status();
    if (!result->replayed) ++originals;
    EXPECT_EQ(result->first_position, 1u);
    EXPECT_EQ(result->last_position, 3u);
  }
  EXPECT_EQ(originals, 1);
  EXPECT_EQ(log_->HeadPosition(), 3u);
  EXPECT_EQ(log_->StreamVersion("s").value(), 3u);
}

}  // namespace
}  // namespace ehcp::storage
