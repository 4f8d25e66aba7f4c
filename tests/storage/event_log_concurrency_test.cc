// Many writers at once: nothing lost or duplicated, versions contiguous,
// positions gap-free, group commit batching, and Close during a commit.
#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/event_log.h"
#include "tests/storage/test_util.h"

namespace ehcp::storage {
namespace {

using ::ehcp::storage::testing::MakeRequest;
using ::ehcp::storage::testing::OpenOrDie;
using ::ehcp::storage::testing::ScopedTempDir;

// Reads the whole log and checks that positions run 1..head without a gap.
std::vector<Record> ReadWholeLog(const EventLog& log) {
  std::vector<Record> all;
  while (true) {
    absl::StatusOr<std::vector<Record>> page =
        log.ReadAll(all.size() + 1, kMaxPageSize);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok() || page->empty()) break;
    for (Record& record : *page) {
      EXPECT_EQ(record.position, all.size() + 1);
      all.push_back(std::move(record));
    }
  }
  EXPECT_EQ(all.size(), log.HeadPosition());
  return all;
}

// Runs fn(i) on `threads` threads started together.
template <typename Fn>
void RunConcurrently(int threads, Fn fn) {
  std::atomic<bool> go{false};
  std::vector<std::thread> workers;
  for (int i = 0; i < threads; ++i) {
    workers.emplace_back([&go, &fn, i] {
      while (!go.load()) std::this_thread::yield();
      fn(i);
    });
  }
  go = true;
  for (std::thread& worker : workers) worker.join();
}

class ConcurrencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log_ = OpenOrDie(dir_.path());
    ASSERT_NE(log_, nullptr);
  }

  ScopedTempDir dir_;
  std::unique_ptr<EventLog> log_;
};

TEST_F(ConcurrencyTest, WritersOnOneStreamWithExactVersionsLoseNothing) {
  constexpr int kThreads = 16;
  constexpr int kAppendsEach = 12;
  std::atomic<int> conflicts{0};
  RunConcurrently(kThreads, [&](int thread) {
    for (int i = 0; i < kAppendsEach;) {
      const uint64_t version = log_->StreamVersion("shared").value();
      AppendRequest request =
          MakeRequest("shared", ExpectedVersion::Exact(version));
      request.records[0].data = absl::StrCat(thread, "/", i);
      absl::StatusOr<AppendResult> result = log_->Append(std::move(request));
      if (absl::IsAborted(result.status())) {
        ++conflicts;
        continue;  // Re-read the version and try again.
      }
      ASSERT_TRUE(result.ok()) << result.status();
      EXPECT_EQ(result->first_version, version + 1);
      ++i;
    }
  });

  const uint64_t total = kThreads * kAppendsEach;
  EXPECT_EQ(log_->StreamVersion("shared").value(), total);
  std::vector<Record> all = ReadWholeLog(*log_);
  ASSERT_EQ(all.size(), total);
  std::set<std::string> seen;
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].version, i + 1);
    EXPECT_TRUE(seen.insert(all[i].data).second) << "duplicate " << all[i].data;
  }
  EXPECT_EQ(log_->GetStats().conflicts,
            static_cast<uint64_t>(conflicts.load()));
  EXPECT_TRUE(log_->VerifyChain(0, 0).ok());
}

TEST_F(ConcurrencyTest, WritersOnDifferentStreamsLoseAndDuplicateNothing) {
  constexpr int kThreads = 16;
  constexpr int kAppendsEach = 15;
  constexpr int kRecordsPerAppend = 3;
  RunConcurrently(kThreads, [&](int thread) {
    const std::string stream = absl::StrCat("stream-", thread);
    for (int i = 0; i < kAppendsEach; ++i) {
      absl::StatusOr<AppendResult> result = log_->Append(
          MakeRequest(stream, ExpectedVersion::Exact(i * kRecordsPerAppend),
                      kRecordsPerAppend, absl::StrCat(i)));
      ASSERT_TRUE(result.ok()) << result.status();
      EXPECT_EQ(result->last_position - result->first_position,
                kRecordsPerAppend - 1u);
    }
  });

  std::vector<Record> all = ReadWholeLog(*log_);
  ASSERT_EQ(all.size(), size_t{kThreads} * kAppendsEach * kRecordsPerAppend);
  std::map<std::string, uint64_t> last_version;
  for (const Record& record : all) {
    // Versions of each stream appear in order, each once.
    EXPECT_EQ(record.version, ++last_version[record.stream_id]);
    const uint64_t append = (record.version - 1) / kRecordsPerAppend;
    const uint64_t index = (record.version - 1) % kRecordsPerAppend;
    EXPECT_EQ(record.data,
              absl::StrCat(record.stream_id, "/", append, "/", index));
  }
  for (int thread = 0; thread < kThreads; ++thread) {
    std::vector<Record> stream =
        log_->ReadStream(absl::StrCat("stream-", thread), 0,
                         Direction::kForwards, 0)
            .value();
    ASSERT_EQ(stream.size(), size_t{kAppendsEach} * kRecordsPerAppend);
    // An append's records are adjacent in the log.
    for (size_t i = 0; i < stream.size(); i += kRecordsPerAppend) {
      EXPECT_EQ(stream[i + kRecordsPerAppend - 1].position,
                stream[i].position + kRecordsPerAppend - 1);
    }
  }
}

TEST_F(ConcurrencyTest, GroupCommitSharesBatchesUnderConcurrency) {
  constexpr int kThreads = 32;
  constexpr int kAppendsEach = 10;
  RunConcurrently(kThreads, [&](int thread) {
    for (int i = 0; i < kAppendsEach; ++i) {
      ASSERT_TRUE(log_->Append(MakeRequest(absl::StrCat("s", thread),
                                           ExpectedVersion::Any()))
                      .ok());
    }
  });
  EventLog::Stats stats = log_->GetStats();
  EXPECT_EQ(stats.appends, uint64_t{kThreads} * kAppendsEach);
  EXPECT_LT(stats.batches, stats.appends);
  EXPECT_EQ(stats.syncs, stats.batches);
  EXPECT_GT(stats.max_batch_appends, 1u);
  // Every batch is in the histogram, and some in a bucket above one append.
  uint64_t histogram_batches = 0;
  for (uint64_t count : stats.batch_appends) histogram_batches += count;
  EXPECT_EQ(histogram_batches, stats.batches);
  EXPECT_LT(stats.batch_appends[0], stats.batches);
}

TEST_F(ConcurrencyTest, ReadersNeverSeeAGapWhileWritersAppend) {
  std::atomic<bool> done{false};
  std::atomic<int> reads{0};
  std::thread reader([&] {
    while (!done.load()) {
      const uint64_t head_before = log_->HeadPosition();
      absl::StatusOr<std::vector<Record>> page = log_->ReadAll(1, kMaxPageSize);
      ASSERT_TRUE(page.ok()) << page.status();
      ASSERT_GE(page->size(), head_before);
      for (size_t i = 0; i < page->size(); ++i) {
        ASSERT_EQ((*page)[i].position, i + 1);
      }
      ++reads;
    }
  });
  RunConcurrently(8, [&](int thread) {
    for (int i = 0; i < 25; ++i) {
      ASSERT_TRUE(log_->Append(MakeRequest(absl::StrCat("s", thread % 3),
                                           ExpectedVersion::Any(), 1 + i % 3))
                      .ok());
    }
  });
  done = true;
  reader.join();
  EXPECT_GT(reads.load(), 0);
}

// A catch-up reader that sleeps in NotifyAfter whenever it reaches the head.
TEST_F(ConcurrencyTest, TailerWithNotifyAfterSeesEveryRecordOnceInOrder) {
  constexpr int kWriters = 8;
  constexpr int kAppendsEach = 20;
  constexpr uint64_t kTotal = uint64_t{kWriters} * kAppendsEach * 2;
  std::vector<Record> seen;
  std::thread tailer([&] {
    while (seen.size() < kTotal) {
      absl::StatusOr<std::vector<Record>> page =
          log_->ReadAll(seen.size() + 1, 7);
      ASSERT_TRUE(page.ok()) << page.status();
      for (Record& record : *page) seen.push_back(std::move(record));
      if (!page->empty()) continue;
      absl::Notification more;
      log_->NotifyAfter(seen.size(), [&more](bool closed) {
        EXPECT_FALSE(closed);
        more.Notify();
      });
      ASSERT_TRUE(more.WaitForNotificationWithTimeout(absl::Seconds(10)));
    }
  });
  RunConcurrently(kWriters, [&](int thread) {
    for (int i = 0; i < kAppendsEach; ++i) {
      ASSERT_TRUE(log_->Append(MakeRequest(absl::StrCat("w", thread),
                                           ExpectedVersion::Any(), 2))
                      .ok());
    }
  });
  tailer.join();
  ASSERT_EQ(seen.size(), kTotal);
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i].position, i + 1);
}

TEST_F(ConcurrencyTest, WaitForPositionReturnsWhenAnotherThreadAppends) {
  std::thread writer([&] {
    absl::SleepFor(absl::Milliseconds(20));
    ASSERT_TRUE(log_->Append(MakeRequest("s", ExpectedVersion::Any(), 2)).ok());
  });
  EXPECT_TRUE(log_->WaitForPosition(2, absl::Now() + absl::Seconds(10)));
  writer.join();
  EXPECT_TRUE(log_->WaitForPosition(0, absl::InfinitePast()));
}

TEST_F(ConcurrencyTest, WaitForPositionTimesOutAtItsDeadline) {
  const absl::Time start = absl::Now();
  EXPECT_FALSE(log_->WaitForPosition(1, start + absl::Milliseconds(30)));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(29));
}

TEST_F(ConcurrencyTest, WaitForPositionReturnsFalseWhenTheLogCloses) {
  std::thread closer([&] {
    absl::SleepFor(absl::Milliseconds(20));
    log_->Close();
  });
  EXPECT_FALSE(log_->WaitForPosition(1, absl::Now() + absl::Seconds(10)));
  closer.join();
}

TEST_F(ConcurrencyTest, NotifyAfterRunsAtOnceWhenThePositionIsPassed) {
  ASSERT_TRUE(log_->Append(MakeRequest("s", ExpectedVersion::Any())).ok());
  bool called = false;
  EXPECT_EQ(log_->NotifyAfter(0,
                              [&](bool closed) {
                                EXPECT_FALSE(closed);
                                called = true;
                              }),
            0u);
  EXPECT_TRUE(called);
  EXPECT_FALSE(log_->CancelNotify(0));
}

TEST_F(ConcurrencyTest, CancelledNotificationNeverRuns) {
  bool called = false;
  const uint64_t token = log_->NotifyAfter(0, [&](bool) { called = true; });
  ASSERT_NE(token, 0u);
  EXPECT_TRUE(log_->CancelNotify(token));
  EXPECT_FALSE(log_->CancelNotify(token));
  ASSERT_TRUE(log_->Append(MakeRequest("s", ExpectedVersion::Any())).ok());
  log_->Close();
  EXPECT_FALSE(called);
}

TEST_F(ConcurrencyTest, CloseRunsPendingNotificationsWithClosed) {
  int closed_calls = 0;
  log_->NotifyAfter(5, [&](bool closed) { closed_calls += closed ? 1 : 0; });
  log_->Close();
  EXPECT_EQ(closed_calls, 1);
  // Registered after close: runs at once, closed.
  log_->NotifyAfter(5, [&](bool closed) { closed_calls += closed ? 1 : 0; });
  EXPECT_EQ(closed_calls, 2);
}

// Requests queued while a batch commits form the next batch together.
TEST(GroupCommitTest, AppendsInOneBatchSeeEachOtherAndAConflictHarmsNoOther) {
  ScopedTempDir dir;
  EventLog* log_ptr = nullptr;
  int clock_calls = 0;
  std::vector<absl::StatusOr<AppendResult>> results(
      4, absl::UnknownError("not called"));
  EventLog::Options options;
  options.now_micros = [&]() -> int64_t {
    if (clock_calls++ == 0) {
      const std::vector<AppendRequest> requests = {
          MakeRequest("s", ExpectedVersion::NoStream()),  // ok: version 1
          MakeRequest("s", ExpectedVersion::NoStream()),  // sees the first
          MakeRequest("s", ExpectedVersion::Exact(1)),    // ok: version 2
          MakeRequest("t", ExpectedVersion::Exact(5)),    // conflict
      };
      for (size_t i = 0; i < requests.size(); ++i) {
        log_ptr->AppendAsync(
            requests[i], [&results, i](absl::StatusOr<AppendResult> result) {
              results[i] = std::move(result);
            });
      }
    }
    return 1'000'000;
  };
  std::unique_ptr<EventLog> log = OpenOrDie(dir.path(), options);
  ASSERT_NE(log, nullptr);
  log_ptr = log.get();
  ASSERT_TRUE(log->Append(MakeRequest("x", ExpectedVersion::Any())).ok());

  ASSERT_TRUE(results[0].ok()) << results[0].status();
  EXPECT_EQ(results[0]->first_version, 1u);
  EXPECT_EQ(results[0]->first_position, 2u);
  EXPECT_TRUE(absl::IsAborted(results[1].status()));
  EXPECT_THAT(results[1].status().message(),
              ::testing::HasSubstr("expected no stream, actual version 1"));
  ASSERT_TRUE(results[2].ok()) << results[2].status();
  EXPECT_EQ(results[2]->first_version, 2u);
  EXPECT_EQ(results[2]->first_position, 3u);
  EXPECT_TRUE(absl::IsAborted(results[3].status()));
  EXPECT_EQ(log->HeadPosition(), 3u);
  EventLog::Stats stats = log->GetStats();
  EXPECT_EQ(stats.batches, 2u);
  EXPECT_EQ(stats.max_batch_appends, 4u);
  EXPECT_EQ(stats.conflicts, 2u);
  // The histogram of appends written per batch: "x" alone, then the two of
  // the four queued requests that were written (the conflicts write none).
  EventLog::Stats::BatchAppendCounts expected_histogram = {};
  expected_histogram[0] = 1;  // 1 append
  expected_histogram[1] = 1;  // 2 appends
  EXPECT_EQ(stats.batch_appends, expected_histogram);
  EXPECT_EQ(ReadWholeLog(*log).size(), 3u);
}

// Close waits for the group commit in flight, whose caller succeeds, and
// fails the appends still queued behind it.
TEST(CloseTest, CloseLetsTheBatchInFlightFinishAndFailsQueuedAppends) {
  ScopedTempDir dir;
  EventLog* log_ptr = nullptr;
  std::atomic<int> clock_calls{0};
  absl::StatusOr<AppendResult> queued = absl::UnknownError("not called");
  std::thread closer;
  EventLog::Options options;
  options.now_micros = [&]() -> int64_t {
    if (clock_calls++ == 0) {
      // Mid-commit: queue an append, then have another thread close the
      // log and wait until it has begun to.
      log_ptr->AppendAsync(MakeRequest("queued", ExpectedVersion::Any()),
                           [&queued](absl::StatusOr<AppendResult> result) {
                             queued = std::move(result);
                           });
      closer = std::thread([log_ptr] { log_ptr->Close(); });
      const absl::Time deadline = absl::Now() + absl::Seconds(10);
      bool closing = false;
      while (!closing && absl::Now() < deadline) {
        // NotifyAfter runs fn(true) at once only when the log is closed.
        const uint64_t token = log_ptr->NotifyAfter(
            1'000'000, [&](bool closed) { closing = closed; });
        if (token != 0) log_ptr->CancelNotify(token);
        absl::SleepFor(absl::Milliseconds(1));
      }
      EXPECT_TRUE(closing);
    }
    return absl::ToUnixMicros(absl::Now());
  };
  std::unique_ptr<EventLog> log = OpenOrDie(dir.path(), options);
  ASSERT_NE(log, nullptr);
  log_ptr = log.get();

  absl::StatusOr<AppendResult> in_flight =
      log->Append(MakeRequest("in-flight", ExpectedVersion::Any()));
  closer.join();
  EXPECT_TRUE(in_flight.ok()) << in_flight.status();
  EXPECT_TRUE(absl::IsUnavailable(queued.status())) << queued.status();
  log.reset();

  log = OpenOrDie(dir.path());
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->HeadPosition(), 1u);
  EXPECT_EQ(log->StreamVersion("queued").value(), 0u);
}

}  // namespace
}  // namespace ehcp::storage
