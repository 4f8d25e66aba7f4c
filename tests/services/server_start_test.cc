// Server start-up: what ehcpd refuses before it serves anything.
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "services/server.h"
#include "tests/services/journey_builder.h"

namespace ehcp::testing {
namespace {

TEST(ServerStartTest, ASecondServerOnAPortInUseFailsToStartNamingTheAddress) {
  TempDir first_dir;
  TempDir second_dir;
  TestServer first(first_dir.path());
  const std::string address = "127.0.0.1:" + std::to_string(first.port());

  services::ServerOptions options;
  options.data_dir = second_dir.path();
  options.listen_address = address;
  auto second = services::EhcpServer::Start(options);
  ASSERT_FALSE(second.ok()) << "a second ehcpd bound " << address;
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(second.status().message(), address))
      << second.status();

  // The first server still answers every call.
  EXPECT_FALSE(first.OpenCase("STILL-SERVING").empty());
}

}  // namespace
}  // namespace ehcp::testing
