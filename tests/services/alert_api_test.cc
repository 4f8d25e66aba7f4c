// AlertService and AdminService against a real ehcpd on port 0 with a
// simulated date: days are moved on over the API, alerts arrive on a watch
// as the days pass, and a watcher that reconnects from its next sequence
// sees every alert once.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "ehcp/v1/alert_service.grpc.pb.h"
#include "ehcp/v1/clock_service.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/services/journey_builder.h"

namespace ehcp::testing {
namespace {

std::unique_ptr<grpc::ClientContext> WithDeadline(int seconds = 10) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(seconds));
  return context;
}

grpc::Status SetToday(v1::AdminService::Stub& admin, const std::string& day,
                      int advance = 0) {
  v1::SetTodayRequest request;
  request.set_today(day);
  request.set_advance_days(advance);
  v1::SetTodayResponse response;
  return admin.SetToday(WithDeadline().get(), request, &response);
}

// Reads one message of a watch; fails the test when the stream ends.
v1::WatchAlertsResponse Next(
    grpc::ClientReader<v1::WatchAlertsResponse>& reader) {
  v1::WatchAlertsResponse response;
  EXPECT_TRUE(reader.Read(&response)) << "the watch ended";
  return response;
}

class AlertApiTest : public ::testing::Test {
 protected:
  AlertApiTest()
      : server_(dir_.path(), /*metrics=*/false,
                [](services::ServerOptions* options) {
                  options->today = absl::CivilDay(2024, 1, 2);
                }),
        alerts_(v1::AlertService::NewStub(server_.channel())),
        admin_(v1::AdminService::NewStub(server_.channel())) {}

  TempDir dir_;
  TestServer server_;
  std::unique_ptr<v1::AlertService::Stub> alerts_;
  std::unique_ptr<v1::AdminService::Stub> admin_;
};

TEST_F(AlertApiTest,
       AWatcherSeesEachAlertOnceAsTheDaysPassAndAfterReconnecting) {
  const std::string case_id = server_.OpenCase("MED/ALERT/1");
  ASSERT_TRUE(SetToday(*admin_, "2024-01-08").ok());
  {
    grpc::ClientContext context;
    v1::AppendEventsResponse response;
    ASSERT_TRUE(
        server_.stub()
            .AppendEvents(&context,
                          AppendRequest(case_id, {Request("2024-01-08")}),
                          &response)
            .ok());
  }
  v1::WatchAlertsRequest watch;
  watch.mutable_filter()->add_clock_ids("decision_to_assess");
  auto context = WithDeadline(20);
  std::unique_ptr<grpc::ClientReader<v1::WatchAlertsResponse>> reader =
      alerts_->WatchAlerts(context.get(), watch);

  // The decision is due 2024-02-19; DUE_SOON 14 days before.
  ASSERT_TRUE(SetToday(*admin_, "", /*advance=*/28).ok());  // 2024-02-05
  v1::WatchAlertsResponse first = Next(*reader);
  ASSERT_EQ(first.alerts_size(), 1);
  EXPECT_EQ(first.alerts(0).kind(), v1::ALERT_KIND_DUE_SOON);
  EXPECT_EQ(first.alerts(0).day(), "2024-02-05");
  EXPECT_EQ(first.alerts(0).due(), "2024-02-19");
  EXPECT_EQ(first.alerts(0).days_remaining(), 14);
  EXPECT_EQ(first.alerts(0).case_id(), case_id);
  EXPECT_EQ(first.alerts(0).case_reference(), "MED/ALERT/1");
  EXPECT_EQ(first.alerts(0).la_code(), "E06000035");
  const uint64_t resume_from = first.next_sequence();
  context->TryCancel();
  reader->Finish();

  // While nobody watches, the day after due passes.
  ASSERT_TRUE(SetToday(*admin_, "2024-02-20").ok());
  watch.set_from_sequence(resume_from);
  auto again = WithDeadline(20);
  reader = alerts_->WatchAlerts(again.get(), watch);
  v1::WatchAlertsResponse second = Next(*reader);
  ASSERT_GE(second.alerts_size(), 1);
  EXPECT_EQ(second.alerts(0).kind(), v1::ALERT_KIND_BREACHED);
  EXPECT_EQ(second.alerts(0).day(), "2024-02-20");
  EXPECT_EQ(second.alerts(0).days_late(), 1);
  EXPECT_GT(second.alerts(0).sequence(), first.alerts(0).sequence());
  // The late decision resolves it, live.
  {
    grpc::ClientContext append_context;
    v1::AppendEventsRequest decide =
        AppendRequest(case_id, {DecideToAssess("2024-02-20")});
    v1::AppendEventsResponse response;
    grpc::Status status =
        server_.stub().AppendEvents(&append_context, decide, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  v1::WatchAlertsResponse third = Next(*reader);
  ASSERT_EQ(third.alerts_size(), 1);
  EXPECT_EQ(third.alerts(0).kind(), v1::ALERT_KIND_RESOLVED);
  again->TryCancel();
  reader->Finish();

  // ListAlerts pages over the same log: every decision alert once, in order.
  v1::ListAlertsRequest list;
  *list.mutable_filter() = watch.filter();
  list.set_page_size(1);
  std::vector<v1::AlertKind> kinds;
  for (uint64_t from = 1; kinds.size() < 10;) {
    list.set_from_sequence(from);
    v1::ListAlertsResponse page;
    ASSERT_TRUE(alerts_->ListAlerts(WithDeadline().get(), list, &page).ok());
    for (const v1::Alert& a : page.alerts()) kinds.push_back(a.kind());
    if (page.next_sequence() > page.last_sequence()) break;
    from = page.next_sequence();
  }
  EXPECT_EQ(kinds, (std::vector<v1::AlertKind>{v1::ALERT_KIND_DUE_SOON,
                                               v1::ALERT_KIND_BREACHED,
                                               v1::ALERT_KIND_RESOLVED}));
  v1::GetAlertStatusResponse status;
  ASSERT_TRUE(alerts_
                  ->GetAlertStatus(WithDeadline().get(),
                                   v1::GetAlertStatusRequest(), &status)
                  .ok());
  EXPECT_EQ(status.day(), "2024-02-20");
  EXPECT_EQ(status.first_day(), "2024-01-02");
  EXPECT_EQ(status.error(), "");
}

TEST_F(AlertApiTest, TheDateNeverMovesBackAndBadFiltersAreRefusedByName) {
  ASSERT_TRUE(SetToday(*admin_, "2024-03-01").ok());
  grpc::Status back = SetToday(*admin_, "2024-02-01");
  EXPECT_EQ(back.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(back.error_message().find("never moves back"), std::string::npos);
  EXPECT_EQ(SetToday(*admin_, "2024-02-30").error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(SetToday(*admin_, "", 0).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::GetTodayResponse today;
  ASSERT_TRUE(
      admin_->GetToday(WithDeadline().get(), v1::GetTodayRequest(), &today)
          .ok());
  EXPECT_EQ(today.today(), "2024-03-01");
  EXPECT_TRUE(today.simulated());

  v1::ListAlertsRequest list;
  list.mutable_filter()->add_kinds(v1::ALERT_KIND_UNSPECIFIED);
  v1::ListAlertsResponse page;
  grpc::Status refused = alerts_->ListAlerts(WithDeadline().get(), list, &page);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(refused.error_message().find("filter.kinds[0]"), std::string::npos);
  v1::WatchAlertsRequest watch;
  watch.mutable_filter()->set_la_code("Medway");
  auto context = WithDeadline();
  auto reader = alerts_->WatchAlerts(context.get(), watch);
  v1::WatchAlertsResponse response;
  EXPECT_FALSE(reader->Read(&response));
  grpc::Status finished = reader->Finish();
  EXPECT_EQ(finished.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(finished.error_message().find("filter.la_code"), std::string::npos);
}

// The simulated date is the server's one clock: what is recorded on a
// simulated day is stamped in that day, so that "as known at" follows it.
TEST_F(AlertApiTest, EventsRecordedOnASimulatedDayAreStampedInIt) {
  const std::string case_id = server_.OpenCase("MED/STAMP/1");
  ASSERT_TRUE(SetToday(*admin_, "2024-02-05").ok());
  grpc::ClientContext context;
  v1::AppendEventsResponse response;
  grpc::Status status = server_.stub().AppendEvents(
      &context, AppendRequest(case_id, {Request("2024-02-05")}), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const absl::Time recorded =
      absl::FromUnixSeconds(response.events(0).recorded_at().seconds());
  EXPECT_EQ(absl::FormatTime("%Y-%m-%d", recorded, absl::FixedTimeZone(0)),
            "2024-02-05");
  // As known on 2024-02-04, the case had no request: no assessment clocks.
  {
    auto clocks = v1::ClockService::NewStub(server_.channel());
    grpc::ClientContext clocks_context;
    v1::GetCaseClocksRequest request;
    request.set_case_id(case_id);
    request.set_as_of("2024-03-01");
    request.mutable_as_known_at()->set_seconds(
        absl::ToUnixSeconds(recorded - absl::Hours(24)));
    v1::GetCaseClocksResponse known;
    status = clocks->GetCaseClocks(&clocks_context, request, &known);
    ASSERT_TRUE(status.ok()) << status.error_message();
    for (const v1::Clock& c : known.clocks()) {
      EXPECT_NE(c.clock_id(), "decision_to_assess");
    }
  }
}

TEST(AlertApiRealDateTest, AServerOnTheRealDateRefusesToSetIt) {
  TempDir dir;
  TestServer server(dir.path());
  auto admin = v1::AdminService::NewStub(server.channel());
  grpc::Status refused = SetToday(*admin, "2099-01-01");
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(refused.error_message().find("--today"), std::string::npos);
}

}  // namespace
}  // namespace ehcp::testing
