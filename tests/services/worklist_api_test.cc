// The worklists over gRPC against a real ehcpd on port 0: a case found by
// its council's reference, an LA's cases by stage, and the open deadlines
// due in a window — each reading its own write through min_position — and
// the errors a frontend can make, naming the field.
#include <string>
#include <vector>

#include "ehcp/v1/clock_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/services/journey_builder.h"

namespace ehcp::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

v1::ProposedEvent Event(const std::string& on,
                        void (*fill)(v1::EventPayload*)) {
  v1::ProposedEvent e;
  e.set_occurred_on(on);
  fill(e.mutable_payload());
  return e;
}

class WorklistApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clocks_ = v1::ClockService::NewStub(server_.channel());
    // MED-0001: the standard journey, then a review, a decision to amend and
    // proposals (plan maintained, amendment open).
    plan_ = server_.OpenCase("MED-0001");
    std::vector<v1::ProposedEvent> events = StandardJourney();
    events.push_back(Review("2025-05-20"));
    events.push_back(Event("2025-06-10", [](v1::EventPayload* p) {
      p->mutable_review_decision()->set_outcome(v1::REVIEW_OUTCOME_AMEND);
    }));
    events.push_back(Event("2025-06-10", [](v1::EventPayload* p) {
      p->mutable_amendments_proposed();
    }));
    Append(plan_, events);
    // MED-0002: a request awaiting the decision whether to assess.
    waiting_ = server_.OpenCase("MED-0002");
    Append(waiting_, {Event("2026-11-16", [](v1::EventPayload* p) {
             p->mutable_request_received()->set_source(
                 v1::REQUEST_SOURCE_PARENT);
           })});
    // Kent's case, with a reference that Medway also uses.
    kent_ = server_.OpenCase("MED-0001", "E10000016");
    position_ = Append(kent_, {Event("2026-11-02", [](v1::EventPayload* p) {
                         p->mutable_request_received()->set_source(
                             v1::REQUEST_SOURCE_EDUCATION_SETTING);
                       })});
  }

  int64_t Append(const std::string& case_id,
                 const std::vector<v1::ProposedEvent>& events) {
    grpc::ClientContext context;
    v1::AppendEventsResponse response;
    grpc::Status status = server_.stub().AppendEvents(
        &context, AppendRequest(case_id, events), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.global_position();
  }

  grpc::Status Find(const std::string& la, const std::string& ref,
                    v1::FindCaseResponse* response) {
    grpc::ClientContext context;
    v1::FindCaseRequest request;
    request.set_la_code(la);
    request.set_case_reference(ref);
    request.set_min_position(position_);
    return clocks_->FindCase(&context, request, response);
  }

  grpc::Status Cases(v1::ListCasesRequest request,
                     v1::ListCasesResponse* response) {
    grpc::ClientContext context;
    request.set_min_position(position_);
    return clocks_->ListCases(&context, request, response);
  }

  grpc::Status Deadlines(v1::ListDeadlinesRequest request,
                         v1::ListDeadlinesResponse* response) {
    grpc::ClientContext context;
    request.set_min_position(position_);
    return clocks_->ListDeadlines(&context, request, response);
  }

  TempDir dir_;
  TestServer server_{dir_.path()};
  std::unique_ptr<v1::ClockService::Stub> clocks_;
  std::string plan_, waiting_, kent_;
  int64_t position_ = 0;
};

TEST_F(WorklistApiTest, FindCaseReachesACaseByItsCouncilsReference) {
  v1::FindCaseResponse found;
  grpc::Status status = Find("E06000035", "MED-0001", &found);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(found.cases_size(), 1);
  EXPECT_EQ(found.cases(0).case_id(), plan_);
  EXPECT_EQ(found.cases(0).la_code(), "E06000035");
  EXPECT_EQ(found.cases(0).case_reference(), "MED-0001");
  EXPECT_EQ(found.cases(0).stage(), v1::CASE_STAGE_PLAN_MAINTAINED);

  // The same reference in another council is another case.
  ASSERT_TRUE(Find("E10000016", "MED-0001", &found).ok());
  ASSERT_EQ(found.cases_size(), 1);
  EXPECT_EQ(found.cases(0).case_id(), kent_);
  EXPECT_EQ(found.cases(0).stage(), v1::CASE_STAGE_AWAITING_DECISION);

  status = Find("E06000035", "MED-9999", &found);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(),
              HasSubstr("no case with reference \"MED-9999\" in LA E06000035"));
  status = Find("", "MED-0001", &found);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("la_code"));
  status = Find("Medway", "MED-0001", &found);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("la_code"));
  status = Find("E06000035", "", &found);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("case_reference"));
}

TEST_F(WorklistApiTest, ListCasesByStageInPages) {
  v1::ListCasesRequest request;
  request.set_la_code("E06000035");
  v1::ListCasesResponse response;
  ASSERT_TRUE(Cases(request, &response).ok());
  ASSERT_EQ(response.cases_size(), 2);
  // By stage: awaiting decision (2) before plan maintained (7).
  EXPECT_EQ(response.cases(0).case_id(), waiting_);
  EXPECT_EQ(response.cases(0).case_reference(), "MED-0002");
  EXPECT_EQ(response.cases(1).case_id(), plan_);
  EXPECT_TRUE(response.next_page_token().empty());

  request.add_stages(v1::CASE_STAGE_AWAITING_DECISION);
  request.clear_la_code();
  ASSERT_TRUE(Cases(request, &response).ok());
  std::vector<std::string> ids;
  for (const v1::CaseSummary& c : response.cases()) ids.push_back(c.case_id());
  std::vector<std::string> expected = {waiting_, kent_};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(ids, expected);

  // One at a time, with tokens.
  v1::ListCasesRequest paged;
  paged.set_page_size(1);
  ids.clear();
  for (int n = 0; n < 5; ++n) {
    v1::ListCasesResponse page;
    grpc::Status status = Cases(paged, &page);
    ASSERT_TRUE(status.ok()) << status.error_message();
    for (const v1::CaseSummary& c : page.cases()) ids.push_back(c.case_id());
    if (page.next_page_token().empty()) break;
    paged.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(ids.size(), 3u);

  v1::ListCasesRequest bad;
  bad.add_stages(v1::CASE_STAGE_UNSPECIFIED);
  grpc::Status status = Cases(bad, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("stages[0]"));
  bad.clear_stages();
  bad.set_page_size(1001);
  EXPECT_THAT(Cases(bad, &response).error_message(), HasSubstr("page_size"));
  bad.set_page_size(0);
  bad.set_page_token("AAAA");
  EXPECT_THAT(Cases(bad, &response).error_message(), HasSubstr("page_token"));
  bad.set_page_token("");
  bad.set_la_code("E06000001");
  EXPECT_EQ(Cases(bad, &response).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(WorklistApiTest, ListDeadlinesShowsWhatIsDueInTheWindow) {
  v1::ListDeadlinesRequest request;
  request.set_la_code("E06000035");
  request.set_as_of("2025-09-01");
  request.set_due_from("2025-06-01");
  request.set_due_to("2026-06-01");
  v1::ListDeadlinesResponse response;
  grpc::Status status = Deadlines(request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<std::string> rows;
  for (const v1::Clock& c : response.clocks()) {
    rows.push_back(c.clock_id() + " " + c.due_on() + " " +
                   v1::ClockStatus_Name(c.status()));
    EXPECT_EQ(c.case_reference(), "MED-0001");
    EXPECT_EQ(c.case_id(), plan_);
  }
  EXPECT_THAT(rows,
              ElementsAre("review_report 2025-06-03 CLOCK_STATUS_OVERDUE",
                          "amendment 2025-08-05 CLOCK_STATUS_OVERDUE",
                          "annual_review 2026-05-19 CLOCK_STATUS_PENDING"));
  EXPECT_EQ(response.as_of(), "2025-09-01");

  // By default: today (the test server's 2026-11-23) and the 14 days after.
  v1::ListDeadlinesRequest fortnight;
  ASSERT_TRUE(Deadlines(fortnight, &response).ok());
  EXPECT_EQ(response.as_of(), "2026-11-23");
  EXPECT_EQ(response.due_from(), "2026-11-23");
  EXPECT_EQ(response.due_to(), "2026-12-07");
  rows.clear();
  for (const v1::Clock& c : response.clocks()) {
    rows.push_back(c.case_reference() + " " + c.clock_id() + " " + c.due_on());
  }
  // Kent's request of 2026-11-02 is due a decision by 2026-12-14 (later);
  // Medway's of 2026-11-16 by 2026-12-28. Neither is in the fortnight.
  EXPECT_TRUE(rows.empty()) << rows[0];
  fortnight.set_due_to("2026-12-31");
  ASSERT_TRUE(Deadlines(fortnight, &response).ok());
  rows.clear();
  for (const v1::Clock& c : response.clocks()) {
    rows.push_back(c.la_code() + " " + c.case_reference() + " " +
                   c.clock_id() + " " + c.due_on());
  }
  EXPECT_THAT(rows,
              ElementsAre("E10000016 MED-0001 decision_to_assess 2026-12-14",
                          "E06000035 MED-0002 decision_to_assess 2026-12-28"));

  v1::ListDeadlinesRequest bad;
  bad.set_due_from("2026-12-01");
  bad.set_due_to("2026-11-30");
  status = Deadlines(bad, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("due_from"));
  bad.set_due_to("2026-13-01");
  EXPECT_THAT(Deadlines(bad, &response).error_message(), HasSubstr("due_to"));
  bad.set_due_to("");
  bad.set_page_size(-1);
  EXPECT_THAT(Deadlines(bad, &response).error_message(),
              HasSubstr("page_size"));
}

TEST_F(WorklistApiTest, BreachesAndBacklogCarryTheReference) {
  grpc::ClientContext context;
  v1::ListBreachesRequest request;
  request.set_la_code("E06000035");
  request.set_as_of("2025-09-01");
  request.set_min_position(position_);
  v1::ListBreachesResponse response;
  ASSERT_TRUE(clocks_->ListBreaches(&context, request, &response).ok());
  ASSERT_GT(response.clocks_size(), 0);
  for (const v1::Clock& c : response.clocks()) {
    EXPECT_EQ(c.case_reference(), "MED-0001");
  }
  grpc::ClientContext backlog_context;
  v1::GetReviewBacklogRequest backlog_request;
  backlog_request.set_la_code("E06000035");
  backlog_request.set_as_of("2025-09-01");
  backlog_request.set_min_position(position_);
  v1::GetReviewBacklogResponse backlog;
  ASSERT_TRUE(
      clocks_->GetReviewBacklog(&backlog_context, backlog_request, &backlog)
          .ok());
  int entries = 0;
  for (const v1::ClockBacklog& clock : backlog.clocks()) {
    for (const v1::BacklogBucket& bucket : clock.buckets()) {
      for (const v1::BacklogEntry& e : bucket.entries()) {
        EXPECT_EQ(e.case_reference(), "MED-0001");
        ++entries;
      }
    }
  }
  EXPECT_EQ(entries, 1);
}

}  // namespace
}  // namespace ehcp::testing
