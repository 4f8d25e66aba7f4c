// The alert webhook against a real ehcpd on port 0 with a simulated date and
// a local HTTP receiver (a tiny blocking HTTP/1.1 server on a loopback
// socket) that fails requests to a plan: answers 500, drops the connection
// without answering, or never answers. Alerts are raised by appending
// events and moving the date over gRPC; what the receiver gets is compared
// with ListAlerts.
#include "services/internal/alert_webhook.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "ehcp/v1/alert_service.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/services/journey_builder.h"

namespace ehcp::testing {
namespace {

using services::AlertWebhookStatus;

// A local HTTP/1.1 receiver: one request per connection, answered (or not)
// as its plan says for the request's index (0, 1, 2, … in arrival order).
class Receiver {
 public:
  enum class Answer { kOk, kFail500, kDrop, kStall };
  struct Request {
    std::string request_line;
    std::map<std::string, std::string> headers;  // Names lower-cased.
    std::string body;
    uint64_t sequence = 0;  // The body's "sequence".
    Answer answer = Answer::kOk;
  };

  // Listens on 127.0.0.1:`port` (0: a free port). A stalled request holds
  // the receiver (which serves one connection at a time) for `stall`, or
  // until it is destroyed.
  explicit Receiver(std::function<Answer(int index)> plan, int port = 0,
                    absl::Duration stall = absl::Seconds(30))
      : plan_(std::move(plan)), stall_(stall) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)),
              0);
    EXPECT_EQ(listen(fd_, 16), 0);
    socklen_t length = sizeof(address);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }

  ~Receiver() {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
    }
    thread_.join();
    close(fd_);
  }

  std::string url() const {
    return absl::StrCat("http://127.0.0.1:", port_, "/ehcp/alerts");
  }

  std::vector<Request> requests() const {
    absl::MutexLock lock(&mu_);
    return requests_;
  }

 private:
  void Serve() {
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        if (stop_) return;
      }
      pollfd ready{fd_, POLLIN, 0};
      if (poll(&ready, 1, 20) <= 0) continue;
      const int connection = accept(fd_, nullptr, nullptr);
      if (connection < 0) continue;
      timeval timeout{2, 0};
      setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout,
                 sizeof(timeout));
      Handle(connection);
      close(connection);
    }
  }

  void Handle(int connection) {
    std::string data;
    char buffer[4096];
    size_t header_end;
    while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
      const ssize_t n = recv(connection, buffer, sizeof(buffer), 0);
      if (n <= 0) return;
      data.append(buffer, static_cast<size_t>(n));
    }
    Request request;
    std::istringstream head(data.substr(0, header_end));
    std::string line;
    std::getline(head, line);
    request.request_line =
        std::string(absl::StripTrailingAsciiWhitespace(line));
    while (std::getline(head, line)) {
      const size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      request.headers[absl::AsciiStrToLower(line.substr(0, colon))] =
          std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
    }
    size_t length = 0;
    if (auto it = request.headers.find("content-length");
        it != request.headers.end()) {
      EXPECT_TRUE(absl::SimpleAtoi(it->second, &length));
    }
    while (data.size() < header_end + 4 + length) {
      const ssize_t n = recv(connection, buffer, sizeof(buffer), 0);
      if (n <= 0) return;
      data.append(buffer, static_cast<size_t>(n));
    }
    request.body = data.substr(header_end + 4, length);
    const std::string key = "\"sequence\":";
    const size_t at = request.body.find(key);
    if (at != std::string::npos) {
      const size_t from = at + key.size();
      const size_t to = request.body.find_first_not_of("0123456789", from);
      EXPECT_TRUE(absl::SimpleAtoi(request.body.substr(from, to - from),
                                   &request.sequence));
    }
    Answer answer;
    {
      absl::MutexLock lock(&mu_);
      answer = plan_(static_cast<int>(requests_.size()));
      request.answer = answer;
      requests_.push_back(request);
    }
    auto send_all = [connection](const std::string& text) {
      send(connection, text.data(), text.size(), MSG_NOSIGNAL);
    };
    switch (answer) {
      case Answer::kOk:
        send_all(
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n"
            "\r\nok");
        return;
      case Answer::kFail500:
        send_all(
            "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n"
            "Connection: close\r\n\r\n");
        return;
      case Answer::kDrop:
        return;  // Closed without an answer.
      case Answer::kStall: {
        absl::MutexLock lock(&mu_);
        mu_.AwaitWithTimeout(absl::Condition(&stop_), stall_);
        return;
      }
    }
  }

  const std::function<Answer(int)> plan_;
  const absl::Duration stall_;
  int fd_ = -1;
  int port_ = 0;
  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<Request> requests_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

Receiver::Answer AlwaysOk(int) { return Receiver::Answer::kOk; }

// A loopback port nobody listens on (until a Receiver is started on it).
int UnusedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

bool WaitFor(const std::function<bool()>& condition,
             absl::Duration timeout = absl::Seconds(10)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

std::unique_ptr<grpc::ClientContext> WithDeadline() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(10));
  return context;
}

void Append(TestServer& server, const std::string& case_id,
            const v1::ProposedEvent& event) {
  grpc::ClientContext context;
  v1::AppendEventsResponse response;
  const grpc::Status status = server.stub().AppendEvents(
      &context, AppendRequest(case_id, {event}), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
}

void SetToday(TestServer& server, const std::string& day) {
  auto admin = v1::AdminService::NewStub(server.channel());
  v1::SetTodayRequest request;
  request.set_today(day);
  v1::SetTodayResponse response;
  const grpc::Status status =
      admin->SetToday(WithDeadline().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
}

// The whole alert log over gRPC, in sequence order; waits first for the
// scheduler to reach `day` (SetToday hands it over asynchronously).
std::vector<v1::Alert> AllAlerts(TestServer& server, const std::string& day) {
  auto alerts = v1::AlertService::NewStub(server.channel());
  EXPECT_TRUE(WaitFor([&] {
    v1::GetAlertStatusResponse status;
    return alerts
               ->GetAlertStatus(WithDeadline().get(),
                                v1::GetAlertStatusRequest(), &status)
               .ok() &&
           status.day() == day && status.checkpoint() == status.head();
  }));
  std::vector<v1::Alert> out;
  v1::ListAlertsRequest list;
  for (uint64_t from = 1;;) {
    list.set_from_sequence(from);
    v1::ListAlertsResponse page;
    EXPECT_TRUE(alerts->ListAlerts(WithDeadline().get(), list, &page).ok());
    for (const v1::Alert& alert : page.alerts()) out.push_back(alert);
    if (page.alerts().empty() || page.next_sequence() > page.last_sequence()) {
      break;
    }
    from = page.next_sequence();
  }
  return out;
}

std::vector<uint64_t> Sequences(const std::vector<v1::Alert>& alerts) {
  std::vector<uint64_t> out;
  for (const v1::Alert& alert : alerts) out.push_back(alert.sequence());
  return out;
}

AlertWebhookStatus StatusOf(TestServer& server) {
  const services::AlertWebhook* webhook = server.server().alert_webhook();
  EXPECT_NE(webhook, nullptr);
  return webhook == nullptr ? AlertWebhookStatus() : webhook->Status();
}

// Waits until the webhook's cursor is `sequence`.
bool DeliveredTo(TestServer& server, uint64_t sequence) {
  return WaitFor(
      [&] { return StatusOf(server).delivered_sequence == sequence; });
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(
      std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}

// The lines of the operator's log, captured from the server's sink.
struct Lines {
  absl::Mutex mu;
  std::vector<std::string> lines ABSL_GUARDED_BY(mu);

  std::vector<std::string> With(const std::string& text) {
    absl::MutexLock lock(&mu);
    std::vector<std::string> out;
    for (const std::string& line : lines) {
      if (line.find(text) != std::string::npos) out.push_back(line);
    }
    return out;
  }
};

// Options of a server on 2024-01-02 delivering to `url`, with millisecond
// backoffs.
std::function<void(services::ServerOptions*)> Webhook(
    const std::string& url, std::shared_ptr<Lines> lines = nullptr,
    absl::Duration timeout = absl::Milliseconds(300),
    absl::Duration initial_backoff = absl::Milliseconds(10),
    absl::Duration max_backoff = absl::Milliseconds(80)) {
  return [=](services::ServerOptions* options) {
    options->today = absl::CivilDay(2024, 1, 2);
    options->alert_webhook.url = url;
    options->alert_webhook.request_timeout = timeout;
    options->alert_webhook.initial_backoff = initial_backoff;
    options->alert_webhook.max_backoff = max_backoff;
    if (lines != nullptr) {
      options->log_sink = [lines](const std::string& line) {
        absl::MutexLock lock(&lines->mu);
        lines->lines.push_back(line);
      };
    }
  };
}

// Moves the date to 2024-01-08 and opens `count` cases with a request for
// assessment that day: each
// decision is due 2024-02-19, DUE_SOON from 2024-02-05, BREACHED on
// 2024-02-20.
std::vector<std::string> OpenRequestedCases(TestServer& server, int count,
                                            const std::string& prefix) {
  SetToday(server, "2024-01-08");
  std::vector<std::string> ids;
  for (int i = 0; i < count; ++i) {
    ids.push_back(server.OpenCase(absl::StrCat(prefix, "/", i)));
    Append(server, ids.back(), Request("2024-01-08"));
  }
  return ids;
}

TEST(AlertWebhookTest,
     TheReceiverGetsEveryAlertOnceInSequenceOrderDespiteFailures) {
  // Every third request answered 500, the fifth dropped without an answer,
  // the eighth answered only after the 300 ms timeout (its retry waits
  // behind it, and is the ninth: a 500).
  Receiver receiver(
      [](int index) {
        if (index == 4) return Receiver::Answer::kDrop;
        if (index == 7) return Receiver::Answer::kStall;
        return index % 3 == 2 ? Receiver::Answer::kFail500
                              : Receiver::Answer::kOk;
      },
      0, absl::Milliseconds(400));
  TempDir dir;
  const std::string token_file = dir.path() + "/token";
  WriteFile(token_file, "s3cret-token\n");
  auto lines = std::make_shared<Lines>();
  TestServer server(dir.path() + "/data", /*metrics=*/true,
                    [&](services::ServerOptions* options) {
                      Webhook(receiver.url(), lines)(options);
                      options->alert_webhook.token_file = token_file;
                    });
  const std::vector<std::string> cases =
      OpenRequestedCases(server, 4, "MED/HOOK");
  SetToday(server, "2024-02-20");
  Append(server, cases[0], DecideToAssess("2024-02-20"));  // RESOLVED
  Append(server, cases[1], DecideToAssess("2024-02-20"));
  const std::vector<v1::Alert> alerts = AllAlerts(server, "2024-02-20");
  ASSERT_GE(alerts.size(), 10u);
  ASSERT_TRUE(DeliveredTo(server, alerts.back().sequence()))
      << StatusOf(server).delivered_sequence;

  const std::vector<Receiver::Request> requests = receiver.requests();
  // What the receiver kept, deduplicated by sequence: every alert, in order.
  std::vector<uint64_t> kept;
  for (const Receiver::Request& request : requests) {
    if (kept.empty() || request.sequence != kept.back()) {
      kept.push_back(request.sequence);
    }
  }
  EXPECT_EQ(kept, Sequences(alerts));
  // A request repeats the one before only when that one failed, and moves
  // on only when it succeeded.
  uint64_t failed = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    if (requests[i].answer != Receiver::Answer::kOk) ++failed;
    if (i == 0) {
      EXPECT_EQ(requests[i].sequence, 1u);
      continue;
    }
    if (requests[i - 1].answer == Receiver::Answer::kOk) {
      EXPECT_EQ(requests[i].sequence, requests[i - 1].sequence + 1) << i;
    } else {
      EXPECT_EQ(requests[i].sequence, requests[i - 1].sequence) << i;
    }
  }
  EXPECT_GE(failed, 4u);
  EXPECT_EQ(requests.size(), alerts.size() + failed);

  // The request: a POST of the alert as JSON, keyed by its sequence.
  const Receiver::Request& first = requests[0];
  EXPECT_EQ(first.request_line, "POST /ehcp/alerts HTTP/1.1");
  EXPECT_EQ(first.headers.at("content-type"), "application/json");
  EXPECT_EQ(first.headers.at("idempotency-key"), "1");
  EXPECT_EQ(first.headers.at("x-ehcp-alert-sequence"), "1");
  EXPECT_EQ(first.headers.at("authorization"), "Bearer s3cret-token");
  const v1::Alert& alert = alerts[0];
  EXPECT_EQ(
      first.body,
      absl::StrCat(
          "{\"sequence\":1,\"kind\":\"",
          v1::AlertKind_Name(alert.kind()).substr(strlen("ALERT_KIND_")),
          "\",\"day\":\"", alert.day(), "\",\"position\":", alert.position(),
          ",\"case_id\":\"", alert.case_id(), "\",\"case_reference\":\"",
          alert.case_reference(),
          "\",\"la_code\":\"E06000035\",\"clock_id\":\"", alert.clock_id(),
          "\",\"instance\":\"", alert.instance(), "\",\"due\":\"", alert.due(),
          "\",\"days_late\":", alert.days_late(),
          ",\"days_remaining\":", alert.days_remaining(), "}"));
  bool resolved = false;
  for (const Receiver::Request& request : requests) {
    resolved |= request.body.find("\"kind\":\"RESOLVED\"") != std::string::npos;
  }
  EXPECT_TRUE(resolved);

  const AlertWebhookStatus status = StatusOf(server);
  EXPECT_EQ(status.failures_total, failed);
  EXPECT_EQ(status.consecutive_failures, 0u);
  EXPECT_EQ(status.last_error, "");
  EXPECT_EQ(status.delivered_total, alerts.size());
  const std::string scrape = ScrapeMetrics(server.metrics_port());
  EXPECT_EQ(MetricSample(scrape, "ehcp_alert_webhook_delivered_sequence"),
            std::to_string(alerts.back().sequence()));
  EXPECT_EQ(MetricSample(scrape, "ehcp_alert_webhook_failures_total"),
            std::to_string(failed));
  EXPECT_EQ(MetricSample(scrape, "ehcp_alert_webhook_lag"), "0");

  // The operator's log: failures and recoveries, never the token.
  server.Stop();
  EXPECT_FALSE(lines->With("\"event\":\"alert_webhook_failed\"").empty());
  EXPECT_FALSE(lines->With("\"event\":\"alert_webhook_recovered\"").empty());
  EXPECT_EQ(lines->With("\"event\":\"alert_webhook_started\"").size(), 1u);
  EXPECT_TRUE(lines->With("s3cret").empty());
  EXPECT_EQ(ReadFile(dir.path() + "/data/webhook/cursor"),
            absl::StrCat(alerts.back().sequence(), "\n"));
}

TEST(AlertWebhookTest,
     ARestartedServerResumesFromItsDurableCursorWithNoRepeatAndNoGap) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  uint64_t cursor = 0;
  {
    // The receiver takes three alerts, then fails every request.
    Receiver failing([](int index) {
      return index < 3 ? Receiver::Answer::kOk : Receiver::Answer::kFail500;
    });
    TestServer server(data, false, Webhook(failing.url()));
    OpenRequestedCases(server, 3, "MED/RESTART");
    SetToday(server, "2024-02-20");
    ASSERT_GE(AllAlerts(server, "2024-02-20").size(), 6u);
    ASSERT_TRUE(WaitFor([&] {
      const AlertWebhookStatus status = StatusOf(server);
      return status.delivered_sequence == 3 && status.consecutive_failures >= 2;
    }));
    server.Stop();
    cursor = StatusOf(server).delivered_sequence;
  }
  ASSERT_EQ(cursor, 3u);
  EXPECT_EQ(ReadFile(data + "/webhook/cursor"), "3\n");

  Receiver receiver(AlwaysOk);
  TestServer server(data, false, Webhook(receiver.url()));
  std::vector<v1::Alert> alerts = AllAlerts(server, "2024-02-20");
  ASSERT_TRUE(DeliveredTo(server, alerts.back().sequence()));
  // New alerts after the restart go out too (the simulated date starts
  // again at 2024-01-02: the scheduler's day stays where it was).
  SetToday(server, "2024-02-20");
  const std::string late = server.OpenCase("MED/RESTART/late");
  Append(server, late, Request("2024-02-20"));
  SetToday(server, "2024-04-20");
  alerts = AllAlerts(server, "2024-04-20");
  ASSERT_TRUE(DeliveredTo(server, alerts.back().sequence()));

  std::vector<uint64_t> received;
  for (const Receiver::Request& request : receiver.requests()) {
    received.push_back(request.sequence);
  }
  std::vector<uint64_t> expected;
  for (uint64_t s = cursor + 1; s <= alerts.back().sequence(); ++s) {
    expected.push_back(s);
  }
  EXPECT_EQ(received, expected);
}

TEST(AlertWebhookTest,
     AReceiverThatIsDownGetsEverythingOnceItComesUpAfterAGrowingBackoff) {
  const int port = UnusedPort();
  const std::string url = absl::StrCat("http://127.0.0.1:", port, "/hook");
  TempDir dir;
  TestServer server(dir.path(), false,
                    Webhook(url, nullptr, absl::Milliseconds(500),
                            absl::Milliseconds(10), absl::Milliseconds(80)));
  OpenRequestedCases(server, 2, "MED/DOWN");
  SetToday(server, "2024-02-20");
  const std::vector<v1::Alert> alerts = AllAlerts(server, "2024-02-20");
  ASSERT_GE(alerts.size(), 4u);
  // Connection refused: the backoff doubles from 10 ms up to 80 ms.
  std::vector<absl::Duration> backoffs;
  ASSERT_TRUE(WaitFor([&] {
    const AlertWebhookStatus status = StatusOf(server);
    if (status.backoff > absl::ZeroDuration() &&
        (backoffs.empty() || backoffs.back() != status.backoff)) {
      backoffs.push_back(status.backoff);
    }
    return status.consecutive_failures >= 6;
  }));
  const AlertWebhookStatus down = StatusOf(server);
  EXPECT_EQ(down.delivered_sequence, 0u);
  EXPECT_NE(down.last_error, "");
  ASSERT_GE(backoffs.size(), 3u);
  for (size_t i = 1; i < backoffs.size(); ++i) {
    EXPECT_GE(backoffs[i], backoffs[i - 1]);
  }
  EXPECT_EQ(backoffs.back(), absl::Milliseconds(80));
  EXPECT_LE(backoffs.front(), absl::Milliseconds(40));

  Receiver receiver(AlwaysOk, port);
  ASSERT_TRUE(DeliveredTo(server, alerts.back().sequence()));
  std::vector<uint64_t> received;
  for (const Receiver::Request& request : receiver.requests()) {
    received.push_back(request.sequence);
  }
  EXPECT_EQ(received, Sequences(alerts));
  EXPECT_EQ(StatusOf(server).consecutive_failures, 0u);
}

TEST(AlertWebhookTest, StopIsPromptWhileBackingOffAndWhileARequestHangs) {
  {
    // Refused, then a backoff of a minute.
    TempDir dir;
    TestServer server(
        dir.path(), false,
        Webhook(absl::StrCat("http://127.0.0.1:", UnusedPort(), "/"), nullptr,
                absl::Seconds(60), absl::Seconds(60), absl::Seconds(60)));
    OpenRequestedCases(server, 1, "MED/STOP");
    SetToday(server, "2024-02-20");
    ASSERT_TRUE(
        WaitFor([&] { return StatusOf(server).consecutive_failures >= 1; }));
    EXPECT_GT(StatusOf(server).next_retry, absl::Now() + absl::Seconds(30));
    const absl::Time start = absl::Now();
    server.Stop();
    EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  }
  {
    // A receiver that never answers, with a timeout of a minute.
    Receiver receiver([](int) { return Receiver::Answer::kStall; });
    TempDir dir;
    TestServer server(dir.path(), false,
                      Webhook(receiver.url(), nullptr, absl::Seconds(60),
                              absl::Seconds(60), absl::Seconds(60)));
    OpenRequestedCases(server, 1, "MED/STOP");
    SetToday(server, "2024-02-20");
    ASSERT_TRUE(WaitFor([&] { return !receiver.requests().empty(); }));
    const absl::Time start = absl::Now();
    server.Stop();
    EXPECT_LT(absl::Now() - start, absl::Seconds(2));
    EXPECT_EQ(StatusOf(server).delivered_sequence, 0u);
  }
}

services::ServerOptions OptionsFor(const std::string& data_dir,
                                   const std::string& url) {
  services::ServerOptions options;
  options.data_dir = data_dir;
  options.listen_address = "127.0.0.1:0";
  options.today = absl::CivilDay(2024, 1, 2);
  options.alert_webhook.url = url;
  return options;
}

TEST(AlertWebhookTest, ABadUrlOrCursorRefusesToStartNamingTheFlagOrTheFile) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  for (const std::string url :
       {"ftp://example.org/alerts", "not a url", "https://", "mailto:x@y"}) {
    auto refused = services::EhcpServer::Start(OptionsFor(data, url));
    ASSERT_FALSE(refused.ok()) << url;
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(refused.status().message().find("--alert_webhook_url"),
              std::string::npos)
        << refused.status();
  }
  services::ServerOptions bad_la = OptionsFor(data, "http://127.0.0.1:1/");
  bad_la.alert_webhook.filter.la_code = "Medway";
  auto refused = services::EhcpServer::Start(bad_la);
  EXPECT_NE(refused.status().message().find("--alert_webhook_la"),
            std::string::npos)
      << refused.status();
  services::ServerOptions no_token = OptionsFor(data, "http://127.0.0.1:1/");
  no_token.alert_webhook.token_file = dir.path() + "/missing-token";
  refused = services::EhcpServer::Start(no_token);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("--alert_webhook_token_file"),
            std::string::npos)
      << refused.status();
  // The flags are checked before anything is created.
  EXPECT_FALSE(std::filesystem::exists(data));

  const std::string cursor = data + "/webhook/cursor";
  WriteFile(cursor, "forty-two\n");
  refused =
      services::EhcpServer::Start(OptionsFor(data, "http://127.0.0.1:1/"));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find(cursor), std::string::npos)
      << refused.status();
  EXPECT_NE(refused.status().message().find("delete the file"),
            std::string::npos)
      << refused.status();

  // A cursor past the alert log's last sequence (0: a new alert log).
  WriteFile(cursor, "42\n");
  refused =
      services::EhcpServer::Start(OptionsFor(data, "http://127.0.0.1:1/"));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("says alert 42 was delivered"),
            std::string::npos)
      << refused.status();
  EXPECT_NE(refused.status().message().find("last sequence is 0"),
            std::string::npos)
      << refused.status();

  // Fixed as the message says, it starts.
  std::filesystem::remove(cursor);
  auto started =
      services::EhcpServer::Start(OptionsFor(data, "http://127.0.0.1:1/"));
  EXPECT_TRUE(started.ok()) << started.status();
}

TEST(AlertWebhookTest, RecoveryMovesTheCursorAsideWithTheAlertLog) {
  TempDir dir;
  uint64_t head = 0;
  {
    Receiver receiver(AlwaysOk);
    TestServer server(dir.path(), false, Webhook(receiver.url()));
    OpenRequestedCases(server, 1, "MED/RECOVER");
    SetToday(server, "2024-02-20");
    const std::vector<v1::Alert> alerts = AllAlerts(server, "2024-02-20");
    ASSERT_TRUE(DeliveredTo(server, alerts.back().sequence()));
    v1::GetAlertStatusResponse status;
    ASSERT_TRUE(v1::AlertService::NewStub(server.channel())
                    ->GetAlertStatus(WithDeadline().get(),
                                     v1::GetAlertStatusRequest(), &status)
                    .ok());
    head = static_cast<uint64_t>(status.head());
  }
  absl::StatusOr<std::string> report =
      services::RecoverDataDir(dir.path(), head, absl::Now());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_NE(report->find("webhook"), std::string::npos) << *report;
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/webhook"));
  bool moved = false;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    moved |= std::filesystem::exists(entry.path() / "webhook" / "cursor");
  }
  EXPECT_TRUE(moved);
}

}  // namespace
}  // namespace ehcp::testing
