// Test helpers: build proposed events and requests tersely, and run a real
// ehcpd in process on port 0 over a temporary data directory.
#ifndef EHCP_TESTS_SERVICES_JOURNEY_BUILDER_H_
#define EHCP_TESTS_SERVICES_JOURNEY_BUILDER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ehcp/v1/case_service.grpc.pb.h"
#include "ehcp/v1/clock_service.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "services/server.h"

namespace ehcp::testing {

namespace v1 = ::ehcp::v1;

// Events of a journey, by occurred_on date.
v1::ProposedEvent Request(const std::string& on);
v1::ProposedEvent DecideToAssess(const std::string& on);
v1::ProposedEvent RefuseToAssess(const std::string& on);
v1::ProposedEvent AskAdvice(const std::string& on, const std::string& id);
v1::ProposedEvent GetAdvice(const std::string& on, const std::string& id);
v1::ProposedEvent Draft(const std::string& on);
v1::ProposedEvent Final(const std::string& on);
v1::ProposedEvent Review(const std::string& on);
v1::ProposedEvent Maintain(const std::string& on);
v1::ProposedEvent Cease(const std::string& on);

// The standard journey of these tests: request 2024-01-08 through a final
// plan on 2024-05-31 (6 events).
std::vector<v1::ProposedEvent> StandardJourney();

v1::AppendEventsRequest AppendRequest(
    const std::string& case_id, const std::vector<v1::ProposedEvent>& events);

// A case's clocks as of a date ("YYYY-MM-DD") over GetCaseClocks, keyed
// "<clock_id>:<instance>"; a failed call fails the test and returns none.
std::map<std::string, v1::Clock> ClocksAsOf(v1::ClockService::Stub& clocks,
                                            const std::string& case_id,
                                            const std::string& as_of);

// Calls unary `method` ("/package.Service/Method") with `request` as raw
// bytes (malformed on purpose, or a message without generated code);
// the status, and the reply's bytes in *reply when OK.
grpc::Status RawUnaryCall(const std::shared_ptr<grpc::Channel>& channel,
                          const std::string& method,
                          const std::string& request, std::string* reply);

// What grpc.health.v1.Health/Check answers for `service` ("" is the
// server as a whole): 1 SERVING, 2 NOT_SERVING; -1 when the call fails
// (e.g. NOT_FOUND for a service health is not reported for).
int HealthOf(const std::shared_ptr<grpc::Channel>& channel,
             const std::string& service);

// GET http://127.0.0.1:port/metrics: the body, or "" on failure.
std::string ScrapeMetrics(int port);

// The value of the unlabelled sample `name` in a scrape, or "" if absent.
std::string MetricSample(const std::string& scrape, const std::string& name);

// A fresh temporary directory, removed with the object.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// An in-process ehcpd on 127.0.0.1:0 with a stub connected to it. Its
// clock says 2026-11-23 12:00 UTC at the start, and moves on with real
// time, unless the test sets `now`. With
// `metrics`, it serves Prometheus metrics on another free port.
class TestServer {
 public:
  explicit TestServer(const std::string& data_dir, bool metrics = false);
  // The same, with `configure` adjusting the options before the start.
  TestServer(const std::string& data_dir, bool metrics,
             const std::function<void(services::ServerOptions*)>& configure);
  ~TestServer();

  v1::CaseService::Stub& stub() { return *stub_; }
  std::shared_ptr<grpc::Channel> channel() { return channel_; }
  int port() const { return server_->port(); }
  int metrics_port() const { return server_->metrics_port(); }
  void Stop() { server_->Shutdown(); }
  services::EhcpServer& server() { return *server_; }

  // Opens a case for reference `ref` in Medway; fails the test on error.
  std::string OpenCase(const std::string& ref,
                       const std::string& la = "E06000035");

 private:
  std::unique_ptr<services::EhcpServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::CaseService::Stub> stub_;
};

}  // namespace ehcp::testing

#endif  // EHCP_TESTS_SERVICES_JOURNEY_BUILDER_H_
