// The Prometheus endpoint of a real in-process ehcpd, scraped over HTTP.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/ascii.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "services/server.h"
#include "tests/services/journey_builder.h"

namespace ehcp::testing {
namespace {

using Labels = std::map<std::string, std::string>;

// Every sample of `name` in a scrape, by its labels (in any order).
std::map<Labels, double> Series(const std::string& scrape,
                                const std::string& name) {
  std::map<Labels, double> series;
  for (absl::string_view line : absl::StrSplit(scrape, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    const size_t end_of_name = line.find_first_of("{ ");
    if (end_of_name == absl::string_view::npos ||
        line.substr(0, end_of_name) != name) {
      continue;
    }
    Labels labels;
    absl::string_view rest = line.substr(end_of_name);
    if (rest[0] == '{') {
      const size_t close = rest.find('}');
      for (absl::string_view pair :
           absl::StrSplit(rest.substr(1, close - 1), ',', absl::SkipEmpty())) {
        const size_t eq = pair.find('=');
        labels[std::string(pair.substr(0, eq))] =
            std::string(pair.substr(eq + 2, pair.size() - eq - 3));
      }
      rest = rest.substr(close + 1);
    }
    double value = 0;
    EXPECT_TRUE(absl::SimpleAtod(absl::StripAsciiWhitespace(rest), &value))
        << line;
    series[labels] = value;
  }
  return series;
}

// The sample of `name` with exactly `labels`; -1 when there is none.
double Sample(const std::string& scrape, const std::string& name,
              const Labels& labels) {
  const std::map<Labels, double> series = Series(scrape, name);
  const auto it = series.find(labels);
  return it == series.end() ? -1 : it->second;
}

// Scrapes until `done(scrape)` holds (at most 20 s); returns the last.
template <typename Done>
std::string ScrapeUntil(int port, Done done) {
  std::string scrape = ScrapeMetrics(port);
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (!done(scrape) && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(50));
    scrape = ScrapeMetrics(port);
  }
  return scrape;
}

// Appends `events` to case `id`; fails the test unless it is acknowledged.
void Append(TestServer& server, const std::string& id,
            const std::vector<v1::ProposedEvent>& events) {
  grpc::ClientContext context;
  v1::AppendEventsResponse response;
  const grpc::Status status =
      server.stub().AppendEvents(&context, AppendRequest(id, events), &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

// An in-process server with metrics whose per-LA report figures refresh
// every 50 ms (30 s by default).
std::unique_ptr<TestServer> ServerWithFastReports(const std::string& dir) {
  return std::make_unique<TestServer>(
      dir, /*metrics=*/true, [](services::ServerOptions* options) {
        options->metrics_report_interval = absl::Milliseconds(50);
      });
}

constexpr char kMedway[] = "E06000035";
constexpr char kKent[] = "E10000016";

TEST(MetricsTest, TheEndpointShowsTheLogTheIndexAndTheChainVerification) {
  TempDir dir;
  TestServer server(dir.path(), /*metrics=*/true);
  ASSERT_GT(server.metrics_port(), 0);
  const std::string id = server.OpenCase("METRICS-1");
  grpc::ClientContext context;
  v1::AppendEventsResponse response;
  ASSERT_TRUE(server.stub()
                  .AppendEvents(&context,
                                AppendRequest(id, {Request("2024-01-08"),
                                                   DecideToAssess("2024-02-01")}),
                                &response)
                  .ok());
  std::string scrape = ScrapeMetrics(server.metrics_port());
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while ((MetricSample(scrape, "ehcp_clock_index_lag_events") != "0" ||
          MetricSample(scrape, "ehcp_log_chain_intact") != "1") &&
         absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(50));
    scrape = ScrapeMetrics(server.metrics_port());
  }
  EXPECT_EQ(MetricSample(scrape, "ehcp_log_head_position"), "3") << scrape;
  EXPECT_EQ(MetricSample(scrape, "ehcp_log_records_total"), "3") << scrape;
  EXPECT_EQ(MetricSample(scrape, "ehcp_log_appends_total"), "2") << scrape;
  EXPECT_EQ(MetricSample(scrape, "ehcp_log_writable"), "1") << scrape;
  EXPECT_EQ(MetricSample(scrape, "ehcp_log_chain_intact"), "1") << scrape;
  EXPECT_EQ(MetricSample(scrape, "ehcp_log_chain_first_bad_position"), "0")
      << scrape;
  EXPECT_EQ(MetricSample(scrape, "ehcp_clock_index_lag_events"), "0") << scrape;
  EXPECT_EQ(MetricSample(scrape, "ehcp_clock_index_checkpoint"), "3") << scrape;
  EXPECT_EQ(MetricSample(scrape, "ehcp_clock_index_healthy"), "1") << scrape;
  EXPECT_EQ(MetricSample(scrape, "ehcp_clock_index_cases"), "1") << scrape;
  EXPECT_NE(scrape.find("# TYPE ehcp_log_appends_total counter"),
            std::string::npos)
      << scrape;
}

// The data set, as of the test servers' today, 2026-11-23:
//  - Medway: two plans issued 2024-05-31 and never reviewed (annual_review
//    due 2025-05-30: OVERDUE, 542 days, in the 12-24 months bucket), and a
//    request of 2026-01-05 never decided (decision_to_assess due 2026-02-16
//    and final_plan_20w due 2026-05-25: both OVERDUE);
//  - Kent: one plan issued 2024-05-31, never reviewed, and a request of
//    2026-11-01 (nothing due yet).
// The standard journey's late advice and late final plan stopped late:
// BREACHED, not open, so not among the open breaches.
TEST(MetricsTest, PerLaGaugesShowOverdueReviewsOpenBreachesAndBacklogAsOfToday) {
  TempDir dir;
  std::unique_ptr<TestServer> server = ServerWithFastReports(dir.path());
  for (const char* ref : {"M-1", "M-2"}) {
    Append(*server, server->OpenCase(ref, kMedway), StandardJourney());
  }
  Append(*server, server->OpenCase("M-3", kMedway), {Request("2026-01-05")});
  Append(*server, server->OpenCase("K-1", kKent), StandardJourney());
  Append(*server, server->OpenCase("K-2", kKent), {Request("2026-11-01")});

  // Head: 5 cases opened, 3 x 6 + 2 x 1 events appended.
  const std::string scrape =
      ScrapeUntil(server->metrics_port(), [](const std::string& s) {
        return MetricSample(s, "ehcp_clock_reports_checkpoint") == "25";
      });
  ASSERT_EQ(MetricSample(scrape, "ehcp_clock_reports_checkpoint"), "25")
      << scrape;

  EXPECT_EQ(Series(scrape, "ehcp_overdue_annual_reviews"),
            (std::map<Labels, double>{{{{"la", kMedway}}, 2},
                                      {{{"la", kKent}}, 1}}))
      << scrape;
  EXPECT_EQ(
      Series(scrape, "ehcp_open_breaches"),
      (std::map<Labels, double>{
          {{{"la", kMedway}, {"clock", "annual_review"}}, 2},
          {{{"la", kMedway}, {"clock", "decision_to_assess"}}, 1},
          {{{"la", kMedway}, {"clock", "final_plan_20w"}}, 1},
          {{{"la", kKent}, {"clock", "annual_review"}}, 1}}))
      << scrape;
  std::map<Labels, double> backlog;
  for (const char* bucket : {"0-3", "3-6", "6-12", "12-24", ">24"}) {
    backlog[{{"la", kMedway}, {"clock", "annual_review"}, {"bucket", bucket}}] =
        0;
    backlog[{{"la", kKent}, {"clock", "annual_review"}, {"bucket", bucket}}] =
        0;
  }
  backlog[{{"la", kMedway}, {"clock", "annual_review"}, {"bucket", "12-24"}}] =
      2;
  backlog[{{"la", kKent}, {"clock", "annual_review"}, {"bucket", "12-24"}}] = 1;
  EXPECT_EQ(Series(scrape, "ehcp_review_backlog"), backlog) << scrape;

  const double as_of = static_cast<double>(absl::ToUnixSeconds(
      absl::FromCivil(absl::CivilDay(2026, 11, 23), absl::UTCTimeZone())));
  EXPECT_EQ(Sample(scrape, "ehcp_clock_reports_as_of_timestamp_seconds", {}),
            as_of)
      << scrape;
  const double age = Sample(scrape, "ehcp_clock_reports_age_seconds", {});
  EXPECT_GE(age, 0) << scrape;
  EXPECT_LT(age, 20) << scrape;
  EXPECT_EQ(Sample(scrape, "ehcp_clock_reports_failures_total", {}), 0)
      << scrape;
}

// A review recorded for one of Medway's plans takes it out of the overdue
// reviews at the next refresh; the series stays, at the lower count.
TEST(MetricsTest, PerLaGaugesFollowTheLogAtTheNextRefresh) {
  TempDir dir;
  std::unique_ptr<TestServer> server = ServerWithFastReports(dir.path());
  const std::string id = server->OpenCase("M-1", kMedway);
  Append(*server, id, StandardJourney());
  std::string scrape =
      ScrapeUntil(server->metrics_port(), [](const std::string& s) {
        return MetricSample(s, "ehcp_clock_reports_checkpoint") == "7";
      });
  EXPECT_EQ(Sample(scrape, "ehcp_overdue_annual_reviews", {{"la", kMedway}}), 1)
      << scrape;
  Append(*server, id, {Review("2026-11-02")});
  scrape = ScrapeUntil(server->metrics_port(), [](const std::string& s) {
    return MetricSample(s, "ehcp_clock_reports_checkpoint") == "8";
  });
  EXPECT_EQ(Sample(scrape, "ehcp_overdue_annual_reviews", {{"la", kMedway}}), 0)
      << scrape;
  EXPECT_EQ(Sample(scrape, "ehcp_open_breaches",
                   {{"la", kMedway}, {"clock", "annual_review"}}),
            0)
      << scrape;
}

TEST(MetricsTest, EventsAppendedAreCountedByKindAndAReplayIsNot) {
  TempDir dir;
  TestServer server(dir.path(), /*metrics=*/true);
  const std::string id = server.OpenCase("KINDS-1");
  Append(server, id, StandardJourney());
  // The same request again under one idempotency key: replayed, not counted.
  v1::AppendEventsRequest request =
      AppendRequest(id, {AskAdvice("2024-06-03", "E1")});
  request.set_idempotency_key("retry-1");
  for (int i = 0; i < 2; ++i) {
    grpc::ClientContext context;
    v1::AppendEventsResponse response;
    ASSERT_TRUE(server.stub().AppendEvents(&context, request, &response).ok());
    EXPECT_EQ(response.replayed(), i == 1);
  }
  // A refused append commits nothing.
  grpc::ClientContext context;
  v1::AppendEventsResponse response;
  ASSERT_FALSE(server.stub()
                   .AppendEvents(&context, AppendRequest(id, {Request("2024-07-01")}),
                                 &response)
                   .ok());

  const std::string scrape = ScrapeMetrics(server.metrics_port());
  const std::map<Labels, double> kinds =
      Series(scrape, "ehcp_events_appended_total");
  EXPECT_EQ(kinds.at({{"kind", "case_opened"}}), 1) << scrape;
  EXPECT_EQ(kinds.at({{"kind", "request_received"}}), 1) << scrape;
  EXPECT_EQ(kinds.at({{"kind", "assessment_decision"}}), 1) << scrape;
  EXPECT_EQ(kinds.at({{"kind", "advice_requested"}}), 2) << scrape;
  EXPECT_EQ(kinds.at({{"kind", "advice_received"}}), 1) << scrape;
  EXPECT_EQ(kinds.at({{"kind", "draft_plan_served"}}), 1) << scrape;
  EXPECT_EQ(kinds.at({{"kind", "final_plan_issued"}}), 1) << scrape;
  // Kinds that did not happen show, at 0.
  EXPECT_EQ(kinds.at({{"kind", "plan_ceased"}}), 0) << scrape;
  double total = 0;
  for (const auto& [labels, value] : kinds) total += value;
  EXPECT_EQ(total, 8) << scrape;
  EXPECT_EQ(MetricSample(scrape, "ehcp_log_records_total"), "8") << scrape;
}

TEST(MetricsTest, ARefusedCallIsCountedWithItsMethodCodeAndRule) {
  TempDir dir;
  TestServer server(dir.path(), /*metrics=*/true);
  const std::string id = server.OpenCase("REFUSED-1");
  // A final plan with no draft before it: refused by a domain rule.
  for (int i = 0; i < 2; ++i) {
    grpc::ClientContext context;
    v1::AppendEventsResponse response;
    const grpc::Status status = server.stub().AppendEvents(
        &context,
        AppendRequest(id, {Request("2024-01-08"), DecideToAssess("2024-02-16"),
                           Final("2024-05-31")}),
        &response);
    ASSERT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
        << status.error_message();
  }
  // An unknown case: refused with no rule.
  grpc::ClientContext context;
  v1::GetCaseStateRequest request;
  request.set_case_id("E06000035-0000000000000000");
  v1::GetCaseStateResponse response;
  ASSERT_EQ(server.stub().GetCaseState(&context, request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);

  const std::string scrape = ScrapeMetrics(server.metrics_port());
  EXPECT_EQ(Series(scrape, "ehcp_grpc_refusals_total"),
            (std::map<Labels, double>{
                {{{"method", "ehcp.v1.CaseService/AppendEvents"},
                  {"code", "FAILED_PRECONDITION"},
                  {"rule", "final_plan.requires_draft"}},
                 2},
                {{{"method", "ehcp.v1.CaseService/GetCaseState"},
                  {"code", "NOT_FOUND"},
                  {"rule", ""}},
                 1}}))
      << scrape;
}

TEST(MetricsTest, LatencyAndBatchHistogramsCountEveryAcknowledgedAppend) {
  TempDir dir;
  TestServer server(dir.path(), /*metrics=*/true);
  const std::string first = server.OpenCase("HISTOGRAM-1");
  const std::string second = server.OpenCase("HISTOGRAM-2");
  Append(server, first, {Request("2024-01-08")});
  Append(server, second, {Request("2024-01-08")});
  Append(server, second, {DecideToAssess("2024-02-16")});
  // Refused: in neither histogram.
  grpc::ClientContext context;
  v1::AppendEventsResponse response;
  ASSERT_FALSE(server.stub()
                   .AppendEvents(&context, AppendRequest(first, {Final("2024-05-31")}),
                                 &response)
                   .ok());

  const std::string scrape = ScrapeMetrics(server.metrics_port());
  const Labels append = {{"method", "ehcp.v1.CaseService/AppendEvents"}};
  const Labels open = {{"method", "ehcp.v1.CaseService/OpenCase"}};
  EXPECT_EQ(Sample(scrape, "ehcp_append_latency_seconds_count", append), 3)
      << scrape;
  EXPECT_EQ(Sample(scrape, "ehcp_append_latency_seconds_count", open), 2)
      << scrape;
  Labels inf = append;
  inf["le"] = "+Inf";
  EXPECT_EQ(Sample(scrape, "ehcp_append_latency_seconds_bucket", inf), 3)
      << scrape;
  EXPECT_GT(Sample(scrape, "ehcp_append_latency_seconds_sum", append), 0)
      << scrape;

  // One client, one call at a time: every batch wrote one append.
  EXPECT_EQ(Sample(scrape, "ehcp_log_batch_appends_count", {}), 5) << scrape;
  EXPECT_EQ(Sample(scrape, "ehcp_log_batch_appends_sum", {}), 5) << scrape;
  EXPECT_EQ(Sample(scrape, "ehcp_log_batch_appends_bucket", {{"le", "1"}}), 5)
      << scrape;
  EXPECT_EQ(Sample(scrape, "ehcp_log_batch_appends_bucket", {{"le", "+Inf"}}),
            5)
      << scrape;
  EXPECT_EQ(MetricSample(scrape, "ehcp_log_group_commits_total"), "5")
      << scrape;
  EXPECT_NE(scrape.find("# TYPE ehcp_log_batch_appends histogram"),
            std::string::npos)
      << scrape;
}

TEST(MetricsTest, AMetricsAddressInUseStopsTheServerFromStarting) {
  TempDir first_dir;
  TempDir second_dir;
  TestServer first(first_dir.path(), /*metrics=*/true);
  services::ServerOptions options;
  options.data_dir = second_dir.path();
  options.listen_address = "127.0.0.1:0";
  options.metrics_address = absl::StrCat("127.0.0.1:", first.metrics_port());
  absl::StatusOr<std::unique_ptr<services::EhcpServer>> second =
      services::EhcpServer::Start(options);
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(absl::IsUnavailable(second.status())) << second.status();
  EXPECT_NE(second.status().message().find("metrics"), std::string::npos)
      << second.status();
}

}  // namespace
}  // namespace ehcp::testing
