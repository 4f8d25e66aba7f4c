// The server's executor and index waits, one layer at a time: a bounded
// queue that refuses rather than grows, and waits for the clock index that
// end by notification, by deadline or by shutdown, exactly once.
#include "services/internal/executor.h"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "cases/event_codec.h"
#include "gtest/gtest.h"
#include "projections/clock_index.h"
#include "services/internal/index_waits.h"
#include "storage/event_log.h"
#include "tests/services/journey_builder.h"

namespace ehcp::services {
namespace {

TEST(ExecutorTest, RunsEveryAcceptedTaskAndRefusesBeyondItsBound) {
  Executor executor("test", 1, 2);
  absl::Notification release;
  absl::Notification started;
  std::atomic<int> ran{0};
  ASSERT_TRUE(executor.Submit([&] {
    started.Notify();
    release.WaitForNotification();
    ++ran;
  }));
  started.WaitForNotification();
  EXPECT_TRUE(executor.Submit([&] { ++ran; }));
  EXPECT_TRUE(executor.Submit([&] { ++ran; }));
  EXPECT_FALSE(executor.Submit([&] { ++ran; }));  // two already wait
  EXPECT_EQ(executor.BusyStatus().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(executor.queued(), 2u);
  release.Notify();
  executor.Shutdown();  // runs what was queued
  EXPECT_EQ(ran.load(), 3);
  EXPECT_FALSE(executor.Submit([&] { ++ran; }));
}

class IndexWaitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto log = storage::EventLog::Open(dir_.path() + "/log", {});
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = *std::move(log);
    projections::ClockIndex::Options options;
    options.start_tailer = false;  // the test moves the index
    auto index =
        projections::ClockIndex::Open(dir_.path() + "/index", log_.get(),
                                      options);
    ASSERT_TRUE(index.ok()) << index.status();
    index_ = *std::move(index);
  }

  // Opens a case in the log.
  void AppendOne(const std::string& case_id) {
    v1::Event e;
    e.set_event_id("e1");
    e.set_case_id(case_id);
    e.set_occurred_on("2024-01-08");
    e.mutable_payload()->mutable_case_opened()->set_la_code("E06000035");
    storage::AppendRequest request;
    request.stream_id = case_id;
    request.records.push_back(cases::EncodeEvent(e));
    ASSERT_TRUE(log_->Append(std::move(request)).ok());
  }

  testing::TempDir dir_;
  std::unique_ptr<storage::EventLog> log_;
  std::unique_ptr<projections::ClockIndex> index_;
};

// The result of one wait, set once.
struct Outcome {
  absl::Notification done;
  absl::Status status;
  std::atomic<int> calls{0};
};

TEST_F(IndexWaitsTest, AWaitEndsWhenTheIndexReachesThePosition) {
  AppendOne("s");
  IndexWaits waits(index_.get());
  Outcome outcome;
  waits.Wait(1, absl::Now() + absl::Seconds(30), [&](absl::Status s) {
    outcome.status = s;
    ++outcome.calls;
    outcome.done.Notify();
  });
  EXPECT_FALSE(outcome.done.HasBeenNotified());
  ASSERT_TRUE(index_->CatchUp().ok());  // publishes position 1
  ASSERT_TRUE(outcome.done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_TRUE(outcome.status.ok()) << outcome.status;
  waits.Shutdown();
  EXPECT_EQ(outcome.calls.load(), 1);
}

TEST_F(IndexWaitsTest, AWaitAlreadyReachedEndsAtOnce) {
  AppendOne("s");
  ASSERT_TRUE(index_->CatchUp().ok());
  IndexWaits waits(index_.get());
  Outcome outcome;
  waits.Wait(1, absl::Now() + absl::Seconds(30), [&](absl::Status s) {
    outcome.status = s;
    outcome.done.Notify();
  });
  EXPECT_TRUE(outcome.done.HasBeenNotified());
  EXPECT_TRUE(outcome.status.ok());
}

TEST_F(IndexWaitsTest, AWaitPastItsDeadlineIsDeadlineExceededOnce) {
  AppendOne("s");
  IndexWaits waits(index_.get());
  Outcome outcome;
  waits.Wait(1, absl::Now() + absl::Milliseconds(50), [&](absl::Status s) {
    outcome.status = s;
    ++outcome.calls;
    outcome.done.Notify();
  });
  ASSERT_TRUE(outcome.done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(outcome.status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_NE(outcome.status.message().find("min_position 1"),
            std::string::npos)
      << outcome.status;
  ASSERT_TRUE(index_->CatchUp().ok());  // too late: not called again
  waits.Shutdown();
  EXPECT_EQ(outcome.calls.load(), 1);
}

TEST_F(IndexWaitsTest, ShutdownEndsEveryWaitAsUnavailable) {
  AppendOne("s");
  IndexWaits waits(index_.get());
  std::vector<std::unique_ptr<Outcome>> outcomes;
  for (int i = 0; i < 5; ++i) {
    outcomes.push_back(std::make_unique<Outcome>());
    Outcome* o = outcomes.back().get();
    waits.Wait(1, absl::Now() + absl::Seconds(30), [o](absl::Status s) {
      o->status = s;
      o->done.Notify();
    });
  }
  waits.Shutdown();
  for (const auto& o : outcomes) {
    ASSERT_TRUE(o->done.HasBeenNotified());
    EXPECT_EQ(o->status.code(), absl::StatusCode::kUnavailable);
  }
}

}  // namespace
}  // namespace ehcp::services
