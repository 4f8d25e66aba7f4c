// The auditor's replay over gRPC against a real server and RocksDB
// (ClockService.ReplayCase): the header, the entries in the order the facts
// happened with their recording lags and clocks, corrections beside what
// they take out, "as known at" and "as of", and refusals of bad requests.
#include <memory>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "domain/dates.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/services/journey_builder.h"

namespace ehcp::testing {
namespace {

using ::testing::HasSubstr;

class ReplayApiTest : public ::testing::Test {
 protected:
  TempDir dir_;
  TestServer server_{dir_.path()};
  std::unique_ptr<v1::ClockService::Stub> clocks_ =
      v1::ClockService::NewStub(server_.channel());

  v1::AppendEventsResponse Append(const std::string& id,
                                  const std::vector<v1::ProposedEvent>& events) {
    grpc::ClientContext context;
    v1::AppendEventsResponse response;
    grpc::Status status =
        server_.stub().AppendEvents(&context, AppendRequest(id, events), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  // The whole replay: its messages and the stream's status.
  grpc::Status Replay(const v1::ReplayCaseRequest& request,
                      std::vector<v1::ReplayCaseResponse>* messages) {
    grpc::ClientContext context;
    auto reader = clocks_->ReplayCase(&context, request);
    v1::ReplayCaseResponse m;
    while (reader->Read(&m)) messages->push_back(m);
    return reader->Finish();
  }

  v1::ReplayCaseRequest ReplayOf(const std::string& id, const std::string& as_of) {
    v1::ReplayCaseRequest request;
    request.set_case_id(id);
    request.set_as_of(as_of);
    return request;
  }
};

v1::ProposedEvent VoidOf(const std::string& on, const std::string& target) {
  v1::ProposedEvent e;
  e.set_occurred_on(on);
  e.mutable_payload()->mutable_event_voided()->set_target_event_id(target);
  e.mutable_payload()->mutable_event_voided()->set_reason("wrong case");
  return e;
}

TEST_F(ReplayApiTest, StreamsAHeaderThenEveryEventInTheOrderItHappened) {
  const std::string id = server_.OpenCase("R-1");
  Append(id, StandardJourney());
  // Advice requested on 2024-02-21, recorded after the final plan.
  Append(id, {AskAdvice("2024-02-21", "EP1")});
  std::vector<v1::ReplayCaseResponse> messages;
  ASSERT_TRUE(Replay(ReplayOf(id, "2025-01-01"), &messages).ok());
  ASSERT_FALSE(messages.empty());
  ASSERT_TRUE(messages[0].has_header());
  const v1::ReplayHeader& header = messages[0].header();
  EXPECT_EQ(header.case_id(), id);
  EXPECT_EQ(header.la_code(), "E06000035");
  EXPECT_EQ(header.as_of(), "2025-01-01");
  EXPECT_EQ(header.case_version(), 8);
  EXPECT_EQ(header.recorded_later(), 0);
  EXPECT_EQ(header.after_as_of(), 0);
  ASSERT_EQ(header.entries(), static_cast<int64_t>(messages.size()) - 1);
  ASSERT_EQ(header.entries(), 8);
  // The header's clocks are GetCaseClocks' for the same date.
  grpc::ClientContext context;
  v1::GetCaseClocksRequest clocks_request;
  clocks_request.set_case_id(id);
  clocks_request.set_as_of("2025-01-01");
  v1::GetCaseClocksResponse clocks;
  ASSERT_TRUE(clocks_->GetCaseClocks(&context, clocks_request, &clocks).ok());
  ASSERT_EQ(header.clocks_size(), clocks.clocks_size());
  for (int i = 0; i < clocks.clocks_size(); ++i) {
    EXPECT_EQ(header.clocks(i).SerializeAsString(),
              clocks.clocks(i).SerializeAsString());
  }
  // Entries: opened, request, decision, H1 asked, EP1 asked (recorded
  // last, listed in its place), H1 received, draft, final.
  std::vector<std::string> order;
  for (size_t i = 1; i < messages.size(); ++i) {
    const v1::ReplayEntry& e = messages[i].entry();
    EXPECT_EQ(e.step(), static_cast<int64_t>(i));
    order.push_back(e.event().occurred_on());
    if (i >= 2) {
      EXPECT_EQ(e.kind(), v1::REPLAY_ENTRY_KIND_FACT);
    }
  }
  EXPECT_EQ(messages[1].entry().kind(), v1::REPLAY_ENTRY_KIND_OPENED);
  EXPECT_THAT(order, ::testing::ElementsAre("2024-01-02", "2024-01-08",
                                            "2024-02-16", "2024-02-20",
                                            "2024-02-21", "2024-04-15",
                                            "2024-05-10", "2024-05-31"));
  const v1::ReplayEntry& late = messages[5].entry();
  EXPECT_EQ(late.event().case_version(), 8);
  // Recorded today: its lag is the days from 2024-02-21 to the London date
  // of its recorded_at.
  const absl::Time recorded =
      absl::FromUnixSeconds(late.event().recorded_at().seconds());
  EXPECT_EQ(late.recording_lag_days(),
            domain::LondonDate(recorded) - absl::CivilDay(2024, 2, 21));
  EXPECT_GT(late.recording_lag_days(), 1000);
  // After the final plan, on its day, the 20-week clock has stopped, 4
  // days late: the clocks of the last entry are those of its date.
  bool final_seen = false;
  for (const v1::Clock& c : messages.back().entry().clocks()) {
    if (c.clock_id() == "final_plan_20w") {
      final_seen = true;
      EXPECT_EQ(c.status(), v1::CLOCK_STATUS_BREACHED);
      EXPECT_EQ(c.days_late(), 4);
      EXPECT_EQ(c.stop_on(), "2024-05-31");
    }
  }
  EXPECT_TRUE(final_seen);
  // After the request, the decision clock is pending with 42 days left.
  bool decision_seen = false;
  for (const v1::Clock& c : messages[2].entry().clocks()) {
    if (c.clock_id() == "decision_to_assess") {
      decision_seen = true;
      EXPECT_EQ(c.status(), v1::CLOCK_STATUS_PENDING);
      EXPECT_EQ(c.days_remaining(), 42);
    }
  }
  EXPECT_TRUE(decision_seen);
}

TEST_F(ReplayApiTest, AsKnownAtLeavesOutLaterRecordingsAndSaysHowMany) {
  const std::string id = server_.OpenCase("R-2");
  const v1::AppendEventsResponse first =
      Append(id, {Request("2024-01-08"), DecideToAssess("2024-02-16")});
  Append(id, {AskAdvice("2024-02-20", "H1"), GetAdvice("2024-04-15", "H1")});
  v1::ReplayCaseRequest request = ReplayOf(id, "2025-01-01");
  *request.mutable_as_known_at() =
      first.events(first.events_size() - 1).recorded_at();
  std::vector<v1::ReplayCaseResponse> messages;
  ASSERT_TRUE(Replay(request, &messages).ok());
  const v1::ReplayHeader& header = messages[0].header();
  EXPECT_EQ(header.recorded_later(), 2);
  EXPECT_EQ(header.case_version(), 3);
  EXPECT_EQ(header.entries(), 3);
  EXPECT_EQ(header.as_known_at().seconds(), request.as_known_at().seconds());
  ASSERT_EQ(messages.size(), 4u);
}

TEST_F(ReplayApiTest, AVoidShowsTheEventItTookOutBesideIt) {
  const std::string id = server_.OpenCase("R-3");
  const v1::AppendEventsResponse asked =
      Append(id, {Request("2024-01-08"), DecideToAssess("2024-02-16"),
                  AskAdvice("2024-02-20", "H1")});
  const std::string target = asked.events(2).event_id();
  Append(id, {VoidOf("2024-03-01", target)});
  // As of a date after the void: the void carries its target.
  std::vector<v1::ReplayCaseResponse> messages;
  ASSERT_TRUE(Replay(ReplayOf(id, "2024-06-01"), &messages).ok());
  ASSERT_EQ(messages[0].header().entries(), 4);  // opened, request, decision, void
  const v1::ReplayEntry& v = messages.back().entry();
  EXPECT_EQ(v.kind(), v1::REPLAY_ENTRY_KIND_VOID);
  EXPECT_EQ(v.corrects().event_id(), target);
  for (const v1::Clock& c : v.clocks()) EXPECT_NE(c.clock_id(), "advice");
  // As of a date before the void: the target is listed, marked removed.
  messages.clear();
  ASSERT_TRUE(Replay(ReplayOf(id, "2024-02-25"), &messages).ok());
  EXPECT_EQ(messages[0].header().after_as_of(), 1);
  const v1::ReplayEntry& removed = messages.back().entry();
  EXPECT_EQ(removed.kind(), v1::REPLAY_ENTRY_KIND_REMOVED);
  EXPECT_EQ(removed.event().event_id(), target);
  EXPECT_FALSE(removed.removed_by_event_id().empty());
}

TEST_F(ReplayApiTest, ALongCaseStreamsInBatchesWithEveryEntry) {
  const std::string id = server_.OpenCase("R-4");
  Append(id, {Request("2024-01-08"), DecideToAssess("2024-02-01")});
  std::vector<v1::ProposedEvent> advice;
  for (int i = 0; i < 150; ++i) {
    advice.push_back(AskAdvice("2024-02-10", "A" + std::to_string(i)));
  }
  Append(id, advice);
  std::vector<v1::ReplayCaseResponse> messages;
  ASSERT_TRUE(Replay(ReplayOf(id, "2024-12-31"), &messages).ok());
  ASSERT_EQ(messages.size(), 1u + 153u);
  EXPECT_EQ(messages.back().entry().step(), 153);
  // Each advice request adds its own clock.
  EXPECT_EQ(messages.back().entry().clocks_size(),
            messages[3].entry().clocks_size() + 150);
}

TEST_F(ReplayApiTest, BadRequestsAreRefusedNamingTheField) {
  const std::string id = server_.OpenCase("R-5");
  std::vector<v1::ReplayCaseResponse> messages;
  grpc::Status status = Replay(ReplayOf("", ""), &messages);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("case_id"));
  status = Replay(ReplayOf(id, "2024-02-30"), &messages);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("as_of"));
  status = Replay(ReplayOf(id, "2023-01-01"), &messages);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("before any event"));
  v1::ReplayCaseRequest bad_instant = ReplayOf(id, "");
  bad_instant.mutable_as_known_at()->set_nanos(-1);
  status = Replay(bad_instant, &messages);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("as_known_at.nanos"));
  status = Replay(ReplayOf("E06000035-00000000deadbeef", ""),
                  &messages);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(messages.empty());
}

}  // namespace
}  // namespace ehcp::testing
