// Many writers at once over gRPC: nothing lost, nothing duplicated,
// versions contiguous, positions gap-free, subscriptions in order.
#include <atomic>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "tests/services/journey_builder.h"

namespace ehcp::testing {
namespace {

constexpr int kWriters = 16;
constexpr int kAppendsPerWriter = 25;

std::vector<v1::Event> ReadWholeLog(v1::CaseService::Stub& stub) {
  std::vector<v1::Event> all;
  v1::ReadLogRequest request;
  request.set_max_count(1000);
  while (true) {
    grpc::ClientContext context;
    v1::ReadLogResponse page;
    EXPECT_TRUE(stub.ReadLog(&context, request, &page).ok());
    if (page.events().empty()) break;
    all.insert(all.end(), page.events().begin(), page.events().end());
    request.set_from_position(page.next_position());
  }
  return all;
}

void ExpectGapFree(const std::vector<v1::Event>& log) {
  for (size_t i = 0; i < log.size(); ++i) {
    ASSERT_EQ(log[i].global_position(), static_cast<int64_t>(i + 1));
  }
}

// Advice requests with distinct ids are admissible in any order once an
// assessment is under way, so they make a good concurrent workload.
std::string StartAssessment(TestServer& server, const std::string& ref) {
  const std::string id = server.OpenCase(ref);
  grpc::ClientContext context;
  v1::AppendEventsResponse response;
  EXPECT_TRUE(server.stub()
                  .AppendEvents(&context,
                                AppendRequest(id, {Request("2024-01-08"),
                                                   DecideToAssess("2024-02-01")}),
                                &response)
                  .ok());
  return id;
}

TEST(ConcurrencyTest, SixteenWritersOnOneCaseLoseAndDuplicateNothing) {
  TempDir dir;
  TestServer server(dir.path());
  const std::string id = StartAssessment(server, "SAME");
  std::atomic<int> aborted{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      auto stub = v1::CaseService::NewStub(server.channel());
      for (int i = 0; i < kAppendsPerWriter; ++i) {
        v1::AppendEventsRequest request = AppendRequest(
            id, {AskAdvice("2024-02-10", absl::StrCat("W", w, "-", i))});
        // Half the writers use optimistic concurrency: read the version,
        // append at exactly it, and retry on ABORTED.
        const bool exact = w % 2 == 0;
        while (true) {
          if (exact) {
            grpc::ClientContext read_context;
            v1::GetCaseStateRequest get;
            get.set_case_id(id);
            v1::GetCaseStateResponse state;
            ASSERT_TRUE(stub->GetCaseState(&read_context, get, &state).ok());
            request.set_expected_version(state.state().case_version());
          }
          grpc::ClientContext context;
          v1::AppendEventsResponse response;
          grpc::Status status = stub->AppendEvents(&context, request, &response);
          if (status.error_code() == grpc::StatusCode::ABORTED && exact) {
            ++aborted;
            continue;
          }
          ASSERT_TRUE(status.ok()) << status.error_message();
          break;
        }
      }
    });
  }
  for (std::thread& t : writers) t.join();

  const std::vector<v1::Event> log = ReadWholeLog(server.stub());
  ExpectGapFree(log);
  ASSERT_EQ(log.size(), 3u + kWriters * kAppendsPerWriter);
  std::set<std::string> advice_ids;
  for (size_t i = 0; i < log.size(); ++i) {
    EXPECT_EQ(log[i].case_version(), static_cast<int64_t>(i + 1));
    if (log[i].payload().has_advice_requested()) {
      EXPECT_TRUE(
          advice_ids.insert(log[i].payload().advice_requested().advice_id())
              .second)
          << "duplicate " << log[i].payload().advice_requested().advice_id();
    }
  }
  EXPECT_EQ(advice_ids.size(), static_cast<size_t>(kWriters * kAppendsPerWriter));
}

TEST(ConcurrencyTest, SixteenWritersOnDifferentCasesKeepVersionsContiguous) {
  TempDir dir;
  TestServer server(dir.path());
  std::vector<std::string> ids;
  for (int w = 0; w < kWriters; ++w) {
    ids.push_back(StartAssessment(server, absl::StrCat("CASE-", w)));
  }
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      auto stub = v1::CaseService::NewStub(server.channel());
      for (int i = 0; i < kAppendsPerWriter; ++i) {
        grpc::ClientContext context;
        v1::AppendEventsRequest request =
            AppendRequest(ids[w], {AskAdvice("2024-02-10", absl::StrCat("A", i))});
        request.set_expected_version(3 + i);
        v1::AppendEventsResponse response;
        grpc::Status status = stub->AppendEvents(&context, request, &response);
        ASSERT_TRUE(status.ok()) << status.error_message();
        ASSERT_EQ(response.case_version(), 4 + i);
      }
    });
  }
  for (std::thread& t : writers) t.join();
  const std::vector<v1::Event> log = ReadWholeLog(server.stub());
  ExpectGapFree(log);
  ASSERT_EQ(log.size(), static_cast<size_t>(kWriters * (3 + kAppendsPerWriter)));
  std::map<std::string, int64_t> last_version;
  for (const v1::Event& e : log) {
    EXPECT_EQ(e.case_version(), last_version[e.case_id()] + 1) << e.case_id();
    last_version[e.case_id()] = e.case_version();
  }
}

TEST(ConcurrencyTest, SubscriptionDeliversEveryEventOnceInOrderUnderConcurrentWrites) {
  TempDir dir;
  TestServer server(dir.path());
  std::vector<std::string> ids;
  for (int w = 0; w < 8; ++w) {
    ids.push_back(StartAssessment(server, absl::StrCat("SUB-", w)));
  }
  const int64_t expected_total = 8 * 3 + 8 * kAppendsPerWriter;

  // Subscribe from the start: history first, then live events.
  grpc::ClientContext subscribe_context;
  // A lost event must fail the test, not hang it.
  subscribe_context.set_deadline(
      std::chrono::system_clock::now() + std::chrono::seconds(60));
  auto stub = v1::CaseService::NewStub(server.channel());
  v1::SubscribeRequest subscribe;
  auto reader = stub->Subscribe(&subscribe_context, subscribe);
  std::vector<int64_t> seen;
  std::thread subscriber([&] {
    v1::SubscribeResponse message;
    while (static_cast<int64_t>(seen.size()) < expected_total &&
           reader->Read(&message)) {
      seen.push_back(message.event().global_position());
    }
  });

  std::vector<std::thread> writers;
  for (int w = 0; w < 8; ++w) {
    writers.emplace_back([&, w] {
      auto writer_stub = v1::CaseService::NewStub(server.channel());
      for (int i = 0; i < kAppendsPerWriter; ++i) {
        grpc::ClientContext context;
        v1::AppendEventsResponse response;
        ASSERT_TRUE(writer_stub
                        ->AppendEvents(&context,
                                       AppendRequest(ids[w], {AskAdvice(
                                                                 "2024-02-10",
                                                                 absl::StrCat("S", i))}),
                                       &response)
                        .ok());
      }
    });
  }
  for (std::thread& t : writers) t.join();
  subscriber.join();
  subscribe_context.TryCancel();
  ASSERT_EQ(static_cast<int64_t>(seen.size()), expected_total);
  for (size_t i = 0; i < seen.size(); ++i) {
    ASSERT_EQ(seen[i], static_cast<int64_t>(i + 1));
  }
}

TEST(ConcurrencyTest, SubscriptionEndsWithUnavailableWhenServerStops) {
  TempDir dir;
  auto server = std::make_unique<TestServer>(dir.path());
  server->OpenCase("STOP");
  grpc::ClientContext context;
  auto stub = v1::CaseService::NewStub(server->channel());
  auto reader = stub->Subscribe(&context, v1::SubscribeRequest());
  v1::SubscribeResponse message;
  ASSERT_TRUE(reader->Read(&message));  // the CaseOpened event
  std::thread stopper([&] { server->Stop(); });
  EXPECT_FALSE(reader->Read(&message));  // the stream ends, not hangs
  grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  stopper.join();
}

}  // namespace
}  // namespace ehcp::testing

namespace ehcp::testing {
namespace {

TEST(ConcurrencyTest, ConcurrentRetriesOfOneAppendWriteItOnceAndAllSeeTheSameResult) {
  TempDir dir;
  TestServer server(dir.path());
  const std::string id = StartAssessment(server, "RETRY");
  v1::AppendEventsRequest request =
      AppendRequest(id, {AskAdvice("2024-02-10", "EP1")});
  request.set_idempotency_key("frontend-call-7");
  std::vector<v1::AppendEventsResponse> responses(8);
  std::vector<std::thread> retries;
  for (int i = 0; i < 8; ++i) {
    retries.emplace_back([&, i] {
      auto stub = v1::CaseService::NewStub(server.channel());
      grpc::ClientContext context;
      grpc::Status status = stub->AppendEvents(&context, request, &responses[i]);
      ASSERT_TRUE(status.ok()) << status.error_message();
    });
  }
  for (std::thread& t : retries) t.join();
  int written = 0;
  for (const v1::AppendEventsResponse& r : responses) {
    if (!r.replayed()) ++written;
    ASSERT_EQ(r.events_size(), 1);
    EXPECT_EQ(r.events(0).event_id(), responses[0].events(0).event_id());
    EXPECT_EQ(r.global_position(), responses[0].global_position());
  }
  EXPECT_EQ(written, 1);
  EXPECT_EQ(ReadWholeLog(server.stub()).size(), 4u);
}

// More appends to one case at once than may wait for their turn: the
// surplus is refused with RESOURCE_EXHAUSTED naming the case, and every
// accepted append is written exactly once.
TEST(ConcurrencyTest, AppendsBeyondACasesQueueAreRefusedAndTheRestWritten) {
  TempDir dir;
  TestServer server(dir.path());
  const std::string id = StartAssessment(server, "FLOOD");
  constexpr int kCalls = 400;
  struct Call {
    grpc::ClientContext context;
    v1::AppendEventsResponse response;
    grpc::Status status;
  };
  std::vector<std::unique_ptr<Call>> calls;
  absl::Mutex mu;
  int finished = 0;
  for (int i = 0; i < kCalls; ++i) {
    calls.push_back(std::make_unique<Call>());
    Call* call = calls.back().get();
    v1::AppendEventsRequest request =
        AppendRequest(id, {AskAdvice("2024-02-02", absl::StrCat("F", i))});
    request.set_any_version(true);  // they take turns
    server.stub().async()->AppendEvents(
        &call->context, &request, &call->response,
        [&, call](grpc::Status status) {
          absl::MutexLock lock(&mu);
          call->status = std::move(status);
          ++finished;
        });
  }
  {
    absl::MutexLock lock(&mu);
    ASSERT_TRUE(mu.AwaitWithTimeout(
        absl::Condition(
            +[](int* n) { return *n == kCalls; }, &finished),
        absl::Seconds(120)));
  }
  int ok = 0, exhausted = 0;
  for (const auto& call : calls) {
    if (call->status.ok()) {
      ++ok;
    } else {
      ASSERT_EQ(call->status.error_code(),
                grpc::StatusCode::RESOURCE_EXHAUSTED)
          << call->status.error_message();
      EXPECT_NE(call->status.error_message().find(id), std::string::npos);
      ++exhausted;
    }
  }
  EXPECT_EQ(ok + exhausted, kCalls);
  EXPECT_GT(exhausted, 0) << "the queue never filled";
  // Opened, request, decision, then each accepted append once.
  grpc::ClientContext context;
  v1::GetCaseStateRequest request;
  request.set_case_id(id);
  v1::GetCaseStateResponse state;
  ASSERT_TRUE(server.stub().GetCaseState(&context, request, &state).ok());
  EXPECT_EQ(state.state().case_version(), 3 + ok);
}

}  // namespace
}  // namespace ehcp::testing
