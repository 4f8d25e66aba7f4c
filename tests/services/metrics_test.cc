// The Prometheus endpoint of a real in-process ehcpd, scraped over HTTP.
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "services/server.h"
#include "tests/services/journey_builder.h"

namespace ehcp::testing {
namespace {

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
