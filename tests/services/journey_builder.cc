#include "tests/services/journey_builder.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"

namespace ehcp::testing {
namespace {

v1::ProposedEvent On(const std::string& on) {
  v1::ProposedEvent e;
  e.set_occurred_on(on);
  return e;
}

}  // namespace

v1::ProposedEvent Request(const std::string& on) {
  v1::ProposedEvent e = On(on);
  e.mutable_payload()->mutable_request_received()->set_source(
      v1::REQUEST_SOURCE_PARENT);
  return e;
}

v1::ProposedEvent DecideToAssess(const std::string& on) {
  v1::ProposedEvent e = On(on);
  e.mutable_payload()->mutable_assessment_decision()->set_outcome(
      v1::ASSESSMENT_DECISION_OUTCOME_ASSESS);
  return e;
}

v1::ProposedEvent RefuseToAssess(const std::string& on) {
  v1::ProposedEvent e = On(on);
  e.mutable_payload()->mutable_assessment_decision()->set_outcome(
      v1::ASSESSMENT_DECISION_OUTCOME_NOT_ASSESS);
  return e;
}

v1::ProposedEvent AskAdvice(const std::string& on, const std::string& id) {
  v1::ProposedEvent e = On(on);
  auto* p = e.mutable_payload()->mutable_advice_requested();
  p->set_advice_id(id);
  p->set_body(v1::ADVICE_BODY_HEALTH);
  return e;
}

v1::ProposedEvent GetAdvice(const std::string& on, const std::string& id) {
  v1::ProposedEvent e = On(on);
  e.mutable_payload()->mutable_advice_received()->set_advice_id(id);
  return e;
}

v1::ProposedEvent Draft(const std::string& on) {
  v1::ProposedEvent e = On(on);
  e.mutable_payload()->mutable_draft_plan_served();
  return e;
}

v1::ProposedEvent Final(const std::string& on) {
  v1::ProposedEvent e = On(on);
  auto* p = e.mutable_payload()->mutable_final_plan_issued();
  p->set_placement("URN 118000");
  p->set_phase(v1::EDUCATION_PHASE_PRIMARY);
  return e;
}

v1::ProposedEvent Review(const std::string& on) {
  v1::ProposedEvent e = On(on);
  e.mutable_payload()->mutable_review_meeting_held();
  return e;
}

v1::ProposedEvent Maintain(const std::string& on) {
  v1::ProposedEvent e = On(on);
  e.mutable_payload()->mutable_review_decision()->set_outcome(
      v1::REVIEW_OUTCOME_MAINTAIN);
  return e;
}

v1::ProposedEvent Cease(const std::string& on) {
  v1::ProposedEvent e = On(on);
  e.mutable_payload()->mutable_plan_ceased()->set_reason(
      v1::CESSATION_REASON_NEEDS_MET);
  return e;
}

std::vector<v1::ProposedEvent> StandardJourney() {
  return {Request("2024-01-08"),        DecideToAssess("2024-02-16"),
          AskAdvice("2024-02-20", "H1"), GetAdvice("2024-04-15", "H1"),
          Draft("2024-05-10"),           Final("2024-05-31")};
}

std::map<std::string, v1::Clock> ClocksAsOf(v1::ClockService::Stub& clocks,
                                            const std::string& case_id,
                                            const std::string& as_of) {
  grpc::ClientContext context;
  v1::GetCaseClocksRequest request;
  request.set_case_id(case_id);
  request.set_as_of(as_of);
  v1::GetCaseClocksResponse response;
  grpc::Status status = clocks.GetCaseClocks(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  std::map<std::string, v1::Clock> by_name;
  for (const v1::Clock& c : response.clocks()) {
    by_name[c.clock_id() + ":" + c.instance()] = c;
  }
  return by_name;
}

v1::AppendEventsRequest AppendRequest(
    const std::string& case_id, const std::vector<v1::ProposedEvent>& events) {
  v1::AppendEventsRequest request;
  request.set_case_id(case_id);
  for (const v1::ProposedEvent& e : events) *request.add_events() = e;
  return request;
}

TempDir::TempDir() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "ehcp-test-XXXXXX").string();
  char* made = mkdtemp(pattern.data());
  EXPECT_NE(made, nullptr);
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

TestServer::TestServer(const std::string& data_dir, bool metrics)
    : TestServer(data_dir, metrics, [](services::ServerOptions*) {}) {}

TestServer::TestServer(
    const std::string& data_dir, bool metrics,
    const std::function<void(services::ServerOptions*)>& configure) {
  services::ServerOptions options;
  options.data_dir = data_dir;
  options.listen_address = "127.0.0.1:0";
  if (metrics) options.metrics_address = "127.0.0.1:0";
  // 2026-11-23 12:00 UTC when the server starts, moving on as time passes
  // (recording times must move on for as_known_at to tell them apart).
  const absl::Time started = absl::Now();
  options.now = [started] {
    return absl::FromCivil(absl::CivilSecond(2026, 11, 23, 12, 0, 0),
                           absl::UTCTimeZone()) +
           (absl::Now() - started);
  };
  configure(&options);
  auto server = services::EhcpServer::Start(options);
  EXPECT_TRUE(server.ok()) << server.status();
  server_ = *std::move(server);
  channel_ = grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(server_->port()),
      grpc::InsecureChannelCredentials());
  stub_ = v1::CaseService::NewStub(channel_);
}

TestServer::~TestServer() { server_->Shutdown(); }

std::string TestServer::OpenCase(const std::string& ref,
                                 const std::string& la) {
  grpc::ClientContext context;
  v1::OpenCaseRequest request;
  request.set_la_code(la);
  request.set_case_reference(ref);
  request.set_birth_month("2015-03");
  request.set_opened_on("2024-01-02");
  v1::OpenCaseResponse response;
  grpc::Status status = stub_->OpenCase(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.case_id();
}

grpc::Status RawUnaryCall(const std::shared_ptr<grpc::Channel>& channel,
                          const std::string& method,
                          const std::string& request, std::string* reply) {
  grpc::Slice slice(request);
  grpc::ByteBuffer request_bytes(&slice, 1);
  grpc::ByteBuffer reply_bytes;
  grpc::GenericStub generic(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  grpc::Status status;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  generic.UnaryCall(&context, method, grpc::StubOptions(), &request_bytes,
                    &reply_bytes, [&](grpc::Status s) {
                      std::lock_guard<std::mutex> lock(mu);
                      status = s;
                      done = true;
                      cv.notify_one();
                    });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });
  reply->clear();
  std::vector<grpc::Slice> slices;
  if (status.ok() && reply_bytes.Dump(&slices).ok()) {
    for (const grpc::Slice& s : slices) {
      reply->append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
  }
  return status;
}

int HealthOf(const std::shared_ptr<grpc::Channel>& channel,
             const std::string& service) {
  // HealthCheckRequest{service = 1}, written by hand: the health proto's
  // generated code is not in Debian's packages.
  std::string request;
  if (!service.empty()) {
    request.push_back('\x0a');
    request.push_back(static_cast<char>(service.size()));
    request += service;
  }
  std::string bytes;
  if (!RawUnaryCall(channel, "/grpc.health.v1.Health/Check", request, &bytes)
           .ok()) {
    return -1;
  }
  // HealthCheckResponse{status = 1}: absent is 0 (UNKNOWN).
  if (bytes.empty()) return 0;
  if (bytes.size() != 2 || bytes[0] != '\x08') return -1;
  return bytes[1];
}

// GET http://127.0.0.1:port/metrics: the body, or "" on failure.
std::string ScrapeMetrics(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) ==
      0) {
    const std::string request =
        "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (write(fd, request.data(), request.size()) ==
        static_cast<ssize_t>(request.size())) {
      char buffer[4096];
      for (ssize_t n; (n = read(fd, buffer, sizeof(buffer))) > 0;) {
        response.append(buffer, static_cast<size_t>(n));
      }
    }
  }
  close(fd);
  const size_t body = response.find("\r\n\r\n");
  return body == std::string::npos ? "" : response.substr(body + 4);
}

// The value of an unlabelled sample `name` in a scrape, or "" if absent.
std::string MetricSample(const std::string& scrape, const std::string& name) {
  const std::string key = "\n" + name + " ";
  const size_t at = ("\n" + scrape).find(key);
  if (at == std::string::npos) return "";
  const size_t from = at + key.size() - 1;
  return scrape.substr(from, scrape.find('\n', from) - from);
}

}  // namespace ehcp::testing
