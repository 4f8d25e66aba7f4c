// The case API over gRPC against a real ehcpd and a real RocksDB.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/services/journey_builder.h"

namespace ehcp::testing {
namespace {

using ::testing::HasSubstr;

class CaseApiTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::unique_ptr<TestServer> server_ = std::make_unique<TestServer>(dir_.path());

  grpc::Status Append(const v1::AppendEventsRequest& request,
                      v1::AppendEventsResponse* response) {
    grpc::ClientContext context;
    return server_->stub().AppendEvents(&context, request, response);
  }

  std::vector<v1::Event> ReadAllOfCase(const std::string& case_id) {
    grpc::ClientContext context;
    v1::ReadCaseRequest request;
    request.set_case_id(case_id);
    request.set_max_count(1000);
    v1::ReadCaseResponse response;
    EXPECT_TRUE(server_->stub().ReadCase(&context, request, &response).ok());
    return {response.events().begin(), response.events().end()};
  }

  int64_t HeadPosition() {
    grpc::ClientContext context;
    v1::ReadLogResponse response;
    EXPECT_TRUE(server_->stub()
                    .ReadLog(&context, v1::ReadLogRequest(), &response)
                    .ok());
    return response.head_position();
  }
};

TEST_F(CaseApiTest, OpenCaseReturnsIdDerivedFromCouncilAndReference) {
  const std::string id = server_->OpenCase("MED-0001");
  EXPECT_THAT(id, ::testing::StartsWith("E06000035-"));
  EXPECT_EQ(id.size(), std::string("E06000035-").size() + 16);
  std::vector<v1::Event> events = ReadAllOfCase(id);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0].payload().has_case_opened());
  EXPECT_EQ(events[0].case_version(), 1);
  EXPECT_EQ(events[0].global_position(), 1);
  EXPECT_EQ(events[0].payload().case_opened().case_reference(), "MED-0001");
}

TEST_F(CaseApiTest, OpeningTheSameReferenceTwiceIsAlreadyExists) {
  const std::string id = server_->OpenCase("MED-0001");
  grpc::ClientContext context;
  v1::OpenCaseRequest request;
  request.set_la_code("E06000035");
  request.set_case_reference("MED-0001");
  v1::OpenCaseResponse response;
  grpc::Status status = server_->stub().OpenCase(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(status.error_message(), HasSubstr(id));
}

TEST_F(CaseApiTest, OpenCaseWithUnknownCouncilCodeIsInvalidArgument) {
  grpc::ClientContext context;
  v1::OpenCaseRequest request;
  request.set_la_code("W06000001");  // a Welsh code: not an English LA
  request.set_case_reference("X-1");
  v1::OpenCaseResponse response;
  grpc::Status status = server_->stub().OpenCase(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("la_code"));
  EXPECT_EQ(HeadPosition(), 0);
}

TEST_F(CaseApiTest, AppendedJourneyIsReadBackWithStampedEnvelopes) {
  const std::string id = server_->OpenCase("MED-0001");
  v1::AppendEventsResponse response;
  ASSERT_TRUE(Append(AppendRequest(id, StandardJourney()), &response).ok());
  EXPECT_EQ(response.case_version(), 7);
  EXPECT_EQ(response.global_position(), 7);
  ASSERT_EQ(response.events_size(), 6);
  std::vector<v1::Event> events = ReadAllOfCase(id);
  ASSERT_EQ(events.size(), 7u);
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].case_version(), static_cast<int64_t>(i + 1));
    EXPECT_EQ(events[i].case_id(), id);
    EXPECT_EQ(events[i].event_id().size(), 32u);
    EXPECT_GT(events[i].recorded_at().seconds(), 0);
  }
  EXPECT_EQ(events[6].event_id(), response.events(5).event_id());
  EXPECT_TRUE(events[6].payload().has_final_plan_issued());
}

TEST_F(CaseApiTest, WrongExpectedVersionIsAbortedWithActualVersionAndWritesNothing) {
  const std::string id = server_->OpenCase("MED-0001");
  v1::AppendEventsRequest request = AppendRequest(id, {Request("2024-01-08")});
  request.set_expected_version(3);
  v1::AppendEventsResponse response;
  grpc::Status status = Append(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_THAT(status.error_message(), HasSubstr("actual version 1"));
  EXPECT_EQ(ReadAllOfCase(id).size(), 1u);
  request.set_expected_version(1);
  EXPECT_TRUE(Append(request, &response).ok());
  EXPECT_EQ(response.case_version(), 2);
}

TEST_F(CaseApiTest, ImpossibleJourneyIsFailedPreconditionAndWritesNothing) {
  const std::string id = server_->OpenCase("MED-0001");
  v1::AppendEventsResponse response;
  // A final plan with no request, assessment or draft.
  grpc::Status status =
      Append(AppendRequest(id, {Request("2024-01-08"), Final("2024-02-01")}),
             &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("rule"));
  EXPECT_EQ(ReadAllOfCase(id).size(), 1u);
  EXPECT_EQ(HeadPosition(), 1);
}

TEST_F(CaseApiTest, MalformedEventIsInvalidArgumentNamingTheField) {
  const std::string id = server_->OpenCase("MED-0001");
  v1::AppendEventsResponse response;
  grpc::Status status = Append(
      AppendRequest(id, {Request("2024-01-08"), DecideToAssess("2023-02-29")}),
      &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("events[1].occurred_on"));

  v1::ProposedEvent unknown_enum = Request("2024-01-08");
  unknown_enum.mutable_payload()->mutable_request_received()->set_source(
      static_cast<v1::RequestSource>(99));
  status = Append(AppendRequest(id, {unknown_enum}), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("source"));
  EXPECT_EQ(ReadAllOfCase(id).size(), 1u);
}

TEST_F(CaseApiTest, FutureDatedEventIsRefused) {
  const std::string id = server_->OpenCase("MED-0001");
  v1::AppendEventsResponse response;
  // The test server's today is 2026-11-23.
  grpc::Status status = Append(AppendRequest(id, {Request("2026-11-24")}),
                               &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(Append(AppendRequest(id, {Request("2026-11-23")}), &response).ok());
}

TEST_F(CaseApiTest, AppendToUnknownCaseIsNotFound) {
  v1::AppendEventsResponse response;
  grpc::Status status = Append(
      AppendRequest("E06000035-0000000000000000", {Request("2024-01-08")}),
      &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(HeadPosition(), 0);
}

TEST_F(CaseApiTest, RetriedIdempotencyKeyReturnsFirstResultAndWritesNothing) {
  const std::string id = server_->OpenCase("MED-0001");
  v1::AppendEventsRequest request = AppendRequest(id, StandardJourney());
  request.set_idempotency_key("import-42");
  v1::AppendEventsResponse first, again;
  ASSERT_TRUE(Append(request, &first).ok());
  ASSERT_TRUE(Append(request, &again).ok());
  EXPECT_FALSE(first.replayed());
  EXPECT_TRUE(again.replayed());
  EXPECT_EQ(again.global_position(), first.global_position());
  ASSERT_EQ(again.events_size(), first.events_size());
  for (int i = 0; i < first.events_size(); ++i) {
    EXPECT_EQ(again.events(i).event_id(), first.events(i).event_id());
  }
  EXPECT_EQ(HeadPosition(), 7);
}

TEST_F(CaseApiTest, IdempotencyKeyReusedForDifferentEventsIsInvalidArgument) {
  const std::string id = server_->OpenCase("MED-0001");
  v1::AppendEventsRequest request = AppendRequest(id, {Request("2024-01-08")});
  request.set_idempotency_key("k1");
  v1::AppendEventsResponse response;
  ASSERT_TRUE(Append(request, &response).ok());
  request = AppendRequest(id, {DecideToAssess("2024-02-01")});
  request.set_idempotency_key("k1");
  grpc::Status status = Append(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("idempotency"));
  EXPECT_EQ(HeadPosition(), 2);
}

TEST_F(CaseApiTest, IdempotentRetrySurvivesServerRestart) {
  const std::string id = server_->OpenCase("MED-0001");
  v1::AppendEventsRequest request = AppendRequest(id, StandardJourney());
  request.set_idempotency_key("import-42");
  v1::AppendEventsResponse first, again;
  ASSERT_TRUE(Append(request, &first).ok());
  server_.reset();
  server_ = std::make_unique<TestServer>(dir_.path());
  ASSERT_TRUE(Append(request, &again).ok());
  EXPECT_TRUE(again.replayed());
  EXPECT_EQ(again.events(0).event_id(), first.events(0).event_id());
  EXPECT_EQ(ReadAllOfCase(id).size(), 7u);
}

TEST_F(CaseApiTest, ReadCasePagesBackwardsAndForwards) {
  const std::string id = server_->OpenCase("MED-0001");
  v1::AppendEventsResponse appended;
  ASSERT_TRUE(Append(AppendRequest(id, StandardJourney()), &appended).ok());
  v1::ReadCaseRequest request;
  request.set_case_id(id);
  request.set_direction(v1::READ_DIRECTION_BACKWARDS);
  request.set_max_count(3);
  std::vector<int64_t> versions;
  do {
    grpc::ClientContext context;
    v1::ReadCaseResponse page;
    ASSERT_TRUE(server_->stub().ReadCase(&context, request, &page).ok());
    for (const v1::Event& e : page.events()) versions.push_back(e.case_version());
    request.set_from_version(page.next_version());
  } while (request.from_version() != 0);
  EXPECT_EQ(versions, (std::vector<int64_t>{7, 6, 5, 4, 3, 2, 1}));

  request.set_direction(v1::READ_DIRECTION_FORWARDS);
  request.set_from_version(5);
  grpc::ClientContext context;
  v1::ReadCaseResponse page;
  ASSERT_TRUE(server_->stub().ReadCase(&context, request, &page).ok());
  ASSERT_EQ(page.events_size(), 3);
  EXPECT_EQ(page.events(0).case_version(), 5);
  EXPECT_EQ(page.case_version(), 7);
}

TEST_F(CaseApiTest, ReadLogPagesInGlobalOrderAcrossCases) {
  const std::string a = server_->OpenCase("MED-A");
  const std::string b = server_->OpenCase("KNT-B", "E10000016");
  v1::AppendEventsResponse response;
  ASSERT_TRUE(Append(AppendRequest(a, {Request("2024-01-08")}), &response).ok());
  ASSERT_TRUE(Append(AppendRequest(b, {Request("2024-01-09")}), &response).ok());
  std::vector<int64_t> positions;
  v1::ReadLogRequest request;
  request.set_max_count(3);
  while (true) {
    grpc::ClientContext context;
    v1::ReadLogResponse page;
    ASSERT_TRUE(server_->stub().ReadLog(&context, request, &page).ok());
    if (page.events().empty()) break;
    for (const v1::Event& e : page.events()) positions.push_back(e.global_position());
    request.set_from_position(page.next_position());
  }
  EXPECT_EQ(positions, (std::vector<int64_t>{1, 2, 3, 4}));
}

TEST_F(CaseApiTest, CaseStateShowsStageAndKeyDates) {
  const std::string id = server_->OpenCase("MED-0001");
  v1::AppendEventsResponse response;
  ASSERT_TRUE(Append(AppendRequest(id, StandardJourney()), &response).ok());
  grpc::ClientContext context;
  v1::GetCaseStateRequest request;
  request.set_case_id(id);
  v1::GetCaseStateResponse state;
  ASSERT_TRUE(server_->stub().GetCaseState(&context, request, &state).ok());
  EXPECT_EQ(state.state().stage(), v1::CASE_STAGE_PLAN_MAINTAINED);
  EXPECT_TRUE(state.state().plan_in_force());
  EXPECT_EQ(state.state().plan_issued_on(), "2024-05-31");
  EXPECT_EQ(state.state().latest_request_on(), "2024-01-08");
  EXPECT_EQ(state.state().la_code(), "E06000035");
  EXPECT_EQ(state.state().case_version(), 7);
}

TEST_F(CaseApiTest, LateRecordedEventIsAcceptedInItsOccurredOnPlace) {
  const std::string id = server_->OpenCase("MED-0001");
  v1::AppendEventsResponse response;
  ASSERT_TRUE(Append(AppendRequest(id, {Request("2024-01-08"),
                                        DecideToAssess("2024-02-16"),
                                        AskAdvice("2024-03-01", "EP1")}),
                     &response)
                  .ok());
  // Advice asked for earlier, recorded only now.
  EXPECT_TRUE(Append(AppendRequest(id, {AskAdvice("2024-02-20", "H1")}),
                     &response)
                  .ok());
  // But a decision can't be recorded before the request it decides.
  grpc::Status status =
      Append(AppendRequest(id, {RefuseToAssess("2024-01-01")}), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(CaseApiTest, OversizedMessageIsRefusedAndWritesNothing) {
  const std::string id = server_->OpenCase("MED-0001");
  v1::ProposedEvent big = Request("2024-01-08");
  big.set_correlation_id(std::string(5 << 20, 'x'));
  v1::AppendEventsResponse response;
  grpc::Status status = Append(AppendRequest(id, {big}), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(HeadPosition(), 1);
}

TEST_F(CaseApiTest, HealthIsServingForTheServerAndEachService) {
  EXPECT_EQ(HealthOf(server_->channel(), ""), 1);
  EXPECT_EQ(HealthOf(server_->channel(), "ehcp.v1.CaseService"), 1);
  EXPECT_EQ(HealthOf(server_->channel(), "ehcp.v1.ClockService"), 1);
  EXPECT_EQ(HealthOf(server_->channel(), "ehcp.v1.NoSuchService"), -1);
}

// Bytes that are not the request message change nothing and are
// INVALID_ARGUMENT, whichever call they are sent to (services/internal/
// call_observer.h).
TEST_F(CaseApiTest, AnUnparseableRequestIsRefusedAndWritesNothing) {
  const std::string case_id = server_->OpenCase("MED/RAW/1");
  const std::string garbage("\xff\xff\xff\xff\x0f garbage", 10);
  for (const char* method :
       {"/ehcp.v1.CaseService/AppendEvents", "/ehcp.v1.CaseService/OpenCase",
        "/ehcp.v1.ClockService/ListBreaches"}) {
    std::string reply;
    grpc::Status status =
        RawUnaryCall(server_->channel(), method, garbage, &reply);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << method << ": " << status.error_message();
    EXPECT_NE(status.error_message().find("do not parse"), std::string::npos)
        << status.error_message();
  }
  EXPECT_EQ(ReadAllOfCase(case_id).size(), 1u);
}

}  // namespace
}  // namespace ehcp::testing
