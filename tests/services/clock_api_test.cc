// The clock API over gRPC against a real ehcpd: the worked example of
// docs/law.md §4, reports that wait for their own writes, and the
// errors a caller can make.
#include <string>
#include <vector>

#include "ehcp/v1/clock_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/services/journey_builder.h"

namespace ehcp::testing {
namespace {

using ::testing::HasSubstr;

v1::ProposedEvent DecideToAmend(const std::string& on) {
  v1::ProposedEvent e;
  e.set_occurred_on(on);
  e.mutable_payload()->mutable_review_decision()->set_outcome(
      v1::REVIEW_OUTCOME_AMEND);
  return e;
}

v1::ProposedEvent ProposeAmendments(const std::string& on) {
  v1::ProposedEvent e;
  e.set_occurred_on(on);
  e.mutable_payload()->mutable_amendments_proposed();
  return e;
}

// §4: request 2024-01-08 … amendments proposed 2025-06-10.
std::vector<v1::ProposedEvent> WorkedExample() {
  std::vector<v1::ProposedEvent> events = StandardJourney();
  events.push_back(Review("2025-05-20"));
  events.push_back(DecideToAmend("2025-06-10"));
  events.push_back(ProposeAmendments("2025-06-10"));
  return events;
}

class ClockApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clocks_ = v1::ClockService::NewStub(server_.channel());
    case_id_ = server_.OpenCase("MED-0001");
    grpc::ClientContext context;
    ASSERT_TRUE(server_.stub()
                    .AppendEvents(&context, AppendRequest(case_id_, WorkedExample()),
                                  &appended_)
                    .ok());
  }

  std::map<std::string, v1::Clock> ClocksAsOf(const std::string& as_of) {
    return testing::ClocksAsOf(*clocks_, case_id_, as_of);
  }

  TempDir dir_;
  TestServer server_{dir_.path()};
  std::unique_ptr<v1::ClockService::Stub> clocks_;
  std::string case_id_;
  v1::AppendEventsResponse appended_;
};

TEST_F(ClockApiTest, CaseClocksReproduceTheWorkedExample) {
  std::map<std::string, v1::Clock> c = ClocksAsOf("2025-09-01");
  EXPECT_EQ(c["decision_to_assess:1"].status(), v1::CLOCK_STATUS_MET);
  EXPECT_EQ(c["decision_to_assess:1"].due_on(), "2024-02-19");
  EXPECT_EQ(c["advice:H1"].status(), v1::CLOCK_STATUS_BREACHED);
  EXPECT_EQ(c["advice:H1"].days_late(), 13);
  EXPECT_EQ(c["final_plan_20w:1"].status(), v1::CLOCK_STATUS_BREACHED);
  EXPECT_EQ(c["final_plan_20w:1"].due_on(), "2024-05-27");
  EXPECT_EQ(c["final_plan_20w:1"].days_late(), 4);
  EXPECT_EQ(c["decision_not_to_issue:1"].status(),
            v1::CLOCK_STATUS_NOT_APPLICABLE);
  EXPECT_EQ(c["annual_review:1"].status(), v1::CLOCK_STATUS_MET);
  EXPECT_EQ(c["annual_review:2"].due_on(), "2026-05-19");
  EXPECT_EQ(c["review_decision:1"].status(), v1::CLOCK_STATUS_MET);
  EXPECT_EQ(c["amendment:1"].status(), v1::CLOCK_STATUS_OVERDUE);
  EXPECT_EQ(c["amendment:1"].days_late(), 27);
  EXPECT_EQ(c["review_report:1"].status(), v1::CLOCK_STATUS_OVERDUE);
  EXPECT_EQ(c["review_report:1"].days_late(), 90);
  EXPECT_EQ(c["final_plan_20w:1"].la_code(), "E06000035");
}

TEST_F(ClockApiTest, AsKnownAtHidesEventsRecordedLater) {
  // Record the review report late; as known before that, it is overdue.
  const auto before = appended_.events(appended_.events_size() - 1).recorded_at();
  v1::ProposedEvent report;
  report.set_occurred_on("2025-05-30");
  report.mutable_payload()->mutable_review_report_sent();
  grpc::ClientContext context;
  v1::AppendEventsResponse response;
  ASSERT_TRUE(server_.stub()
                  .AppendEvents(&context, AppendRequest(case_id_, {report}),
                                &response)
                  .ok());
  EXPECT_EQ(ClocksAsOf("2025-09-01")["review_report:1"].status(),
            v1::CLOCK_STATUS_MET);
  grpc::ClientContext known_context;
  v1::GetCaseClocksRequest request;
  request.set_case_id(case_id_);
  request.set_as_of("2025-09-01");
  *request.mutable_as_known_at() = before;
  v1::GetCaseClocksResponse known;
  ASSERT_TRUE(clocks_->GetCaseClocks(&known_context, request, &known).ok());
  EXPECT_EQ(known.case_version(), appended_.case_version());
  bool seen = false;
  for (const v1::Clock& c : known.clocks()) {
    if (c.clock_id() == "review_report") {
      seen = true;
      EXPECT_EQ(c.status(), v1::CLOCK_STATUS_OVERDUE);
    }
  }
  EXPECT_TRUE(seen);
}

TEST_F(ClockApiTest, BreachesSeeTheirOwnWriteMostDaysLateFirst) {
  grpc::ClientContext context;
  v1::ListBreachesRequest request;
  request.set_la_code("E06000035");
  request.set_as_of("2025-09-01");
  request.set_min_position(appended_.global_position());
  v1::ListBreachesResponse response;
  grpc::Status status = clocks_->ListBreaches(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<std::string> names;
  for (const v1::Clock& c : response.clocks()) {
    names.push_back(c.clock_id() + ":" + std::to_string(c.days_late()));
  }
  EXPECT_THAT(names, ::testing::ElementsAre("review_report:90", "amendment:27",
                                            "advice:13", "final_plan_20w:4"));
}

TEST_F(ClockApiTest, BacklogAgesTheOpenAmendment) {
  grpc::ClientContext context;
  v1::GetReviewBacklogRequest request;
  request.set_la_code("E06000035");
  request.set_as_of("2025-09-01");
  request.set_min_position(appended_.global_position());
  v1::GetReviewBacklogResponse response;
  ASSERT_TRUE(clocks_->GetReviewBacklog(&context, request, &response).ok());
  int amendments = 0;
  for (const v1::ClockBacklog& clock : response.clocks()) {
    EXPECT_EQ(clock.buckets_size(), 5) << clock.clock_id();
    if (clock.clock_id() != "amendment") {
      EXPECT_EQ(clock.total(), 0) << clock.clock_id();
      continue;
    }
    amendments = clock.total();
    EXPECT_EQ(clock.buckets(0).bucket(), "0-3");
    ASSERT_EQ(clock.buckets(0).count(), 1);
    EXPECT_EQ(clock.buckets(0).entries(0).case_id(), case_id_);
    EXPECT_EQ(clock.buckets(0).entries(0).days_overdue(), 27);
  }
  EXPECT_EQ(amendments, 1);
}

TEST_F(ClockApiTest, TimelinessCountsThePlanIssuedInItsYear) {
  grpc::ClientContext context;
  v1::GetTimelinessRequest request;
  request.set_la_code("E06000035");
  request.set_year(2024);
  request.set_min_position(appended_.global_position());
  v1::GetTimelinessResponse response;
  grpc::Status status = clocks_->GetTimeliness(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.including_exceptions().denominator(), 1);
  EXPECT_EQ(response.including_exceptions().numerator(), 0);
  EXPECT_EQ(response.including_exceptions().percent(), "0.0");
  EXPECT_EQ(response.decisions_including_exceptions().numerator(), 1);
  EXPECT_EQ(response.mean_weeks(), "20.6");  // 144 days
}

TEST_F(ClockApiTest, RebuildGivesTheSameAnswers) {
  auto breaches = [&] {
    grpc::ClientContext context;
    v1::ListBreachesRequest request;
    request.set_as_of("2025-09-01");
    request.set_min_position(appended_.global_position());
    v1::ListBreachesResponse response;
    EXPECT_TRUE(clocks_->ListBreaches(&context, request, &response).ok());
    return response.SerializeAsString();
  };
  const std::string before = breaches();
  grpc::ClientContext context;
  v1::RebuildProjectionsResponse rebuilt;
  ASSERT_TRUE(clocks_
                  ->RebuildProjections(&context, v1::RebuildProjectionsRequest(),
                                       &rebuilt)
                  .ok());
  EXPECT_EQ(rebuilt.checkpoint(), appended_.global_position());
  EXPECT_EQ(rebuilt.indexed_cases(), 1);
  EXPECT_EQ(breaches(), before);
  grpc::ClientContext status_context;
  v1::GetProjectionStatusResponse status;
  ASSERT_TRUE(clocks_
                  ->GetProjectionStatus(&status_context,
                                        v1::GetProjectionStatusRequest(), &status)
                  .ok());
  EXPECT_EQ(status.lag(), 0);
  EXPECT_EQ(status.head_position(), appended_.global_position());
}

TEST_F(ClockApiTest, BadQueriesAreClearErrors) {
  auto list = [&](const v1::ListBreachesRequest& request) {
    grpc::ClientContext context;
    v1::ListBreachesResponse response;
    return clocks_->ListBreaches(&context, request, &response);
  };
  v1::ListBreachesRequest unknown_la;
  unknown_la.set_la_code("E10000016");  // Kent: no cases here
  grpc::Status status = list(unknown_la);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("E10000016"));

  v1::ListBreachesRequest bad_la;
  bad_la.set_la_code("Kent");
  EXPECT_EQ(list(bad_la).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  v1::ListBreachesRequest bad_date;
  bad_date.set_as_of("2025-02-30");
  status = list(bad_date);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("as_of"));

  v1::ListBreachesRequest too_early;
  too_early.set_as_of("2001-01-01");
  too_early.set_min_position(appended_.global_position());
  status = list(too_early);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("before any event"));

  // A token from one query is refused by another.
  v1::ListBreachesRequest first;
  first.set_as_of("2025-09-01");
  first.set_page_size(1);
  first.set_min_position(appended_.global_position());
  grpc::ClientContext context;
  v1::ListBreachesResponse page;
  ASSERT_TRUE(clocks_->ListBreaches(&context, first, &page).ok());
  ASSERT_FALSE(page.next_page_token().empty());
  v1::ListBreachesRequest other = first;
  other.set_as_of("2025-10-01");
  other.set_page_token(page.next_page_token());
  status = list(other);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("page_token"));

  grpc::ClientContext clocks_context;
  v1::GetCaseClocksRequest early;
  early.set_case_id(case_id_);
  early.set_as_of("2020-01-01");
  v1::GetCaseClocksResponse clocks;
  status = clocks_->GetCaseClocks(&clocks_context, early, &clocks);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("before any event"));
}

TEST_F(ClockApiTest, MinPositionPastTheLogIsRefused) {
  grpc::ClientContext context;
  v1::GetTimelinessRequest request;
  request.set_year(2024);
  request.set_min_position(appended_.global_position() + 100);
  v1::GetTimelinessResponse response;
  grpc::Status status = clocks_->GetTimeliness(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("min_position"));
}

}  // namespace
}  // namespace ehcp::testing
