// The operator's log: JSON lines of the start-up configuration and of every
// refused call, with its method, code, rule and request id — and nothing a
// client sent (no personal data, no echo of a refusal's message).
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "services/internal/call_observer.h"
#include "services/internal/structured_log.h"
#include "tests/services/journey_builder.h"

namespace ehcp::testing {
namespace {

using services::LogFormat;
using services::LogLevel;
using services::StructuredLog;

// The lines a server's log sink received.
class CapturedLog {
 public:
  std::function<void(const std::string&)> Sink() {
    return [this](const std::string& line) {
      absl::MutexLock lock(&mu_);
      text_ += line;
    };
  }

  std::string Text() const {
    absl::MutexLock lock(&mu_);
    return text_;
  }

  // Waits (at most 10 s) for a line holding `needle`; returns it, or "".
  std::string LineWith(const std::string& needle) const {
    const absl::Time give_up = absl::Now() + absl::Seconds(10);
    do {
      for (absl::string_view line : absl::StrSplit(Text(), '\n')) {
        if (absl::StrContains(line, needle)) return std::string(line);
      }
      absl::SleepFor(absl::Milliseconds(20));
    } while (absl::Now() < give_up);
    return "";
  }

 private:
  mutable absl::Mutex mu_;
  std::string text_ ABSL_GUARDED_BY(mu_);
};

// A line parsed as a JSON object; fails the test when it is not one.
google::protobuf::Struct Json(const std::string& line) {
  google::protobuf::Struct object;
  const auto status =
      google::protobuf::util::JsonStringToMessage(line, &object);
  EXPECT_TRUE(status.ok()) << status.ToString() << ": " << line;
  return object;
}

std::string Field(const google::protobuf::Struct& object,
                  const std::string& key) {
  const auto it = object.fields().find(key);
  if (it == object.fields().end()) return "<absent>";
  if (it->second.has_number_value()) {
    return std::to_string(static_cast<int64_t>(it->second.number_value()));
  }
  if (it->second.has_bool_value()) {
    return it->second.bool_value() ? "true" : "false";
  }
  return it->second.string_value();
}

TEST(LogTest, ARefusedCallIsOneJsonLineWithMethodCodeRuleAndRequestId) {
  TempDir dir;
  CapturedLog log;
  TestServer server(dir.path(), /*metrics=*/false,
                    [&](services::ServerOptions* options) {
                      options->log_sink = log.Sink();
                    });
  // Personal data: the council's reference and the child's birth month.
  grpc::ClientContext open_context;
  v1::OpenCaseRequest open;
  open.set_la_code("E06000035");
  open.set_case_reference("SMITH-JANE-0042");
  open.set_birth_month("2013-07");
  open.set_opened_on("2024-01-02");
  v1::OpenCaseResponse opened;
  ASSERT_TRUE(server.stub().OpenCase(&open_context, open, &opened).ok());

  grpc::ClientContext context;
  context.AddMetadata("x-request-id", "req-7f3a.1");
  v1::AppendEventsResponse response;
  const grpc::Status status = server.stub().AppendEvents(
      &context,
      AppendRequest(opened.case_id(),
                    {Request("2024-01-08"), DecideToAssess("2024-02-16"),
                     Final("2024-05-31")}),
      &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  // The id comes back to the client, for its own logs.
  const auto echoed = context.GetServerTrailingMetadata().find("x-request-id");
  ASSERT_NE(echoed, context.GetServerTrailingMetadata().end());
  EXPECT_EQ(std::string(echoed->second.data(), echoed->second.size()),
            "req-7f3a.1");

  const std::string line = log.LineWith("req-7f3a.1");
  ASSERT_FALSE(line.empty()) << log.Text();
  const google::protobuf::Struct object = Json(line);
  EXPECT_EQ(Field(object, "event"), "call_refused") << line;
  EXPECT_EQ(Field(object, "level"), "warning") << line;
  EXPECT_EQ(Field(object, "method"), "ehcp.v1.CaseService/AppendEvents")
      << line;
  EXPECT_EQ(Field(object, "code"), "FAILED_PRECONDITION") << line;
  EXPECT_EQ(Field(object, "rule"), "final_plan.requires_draft") << line;
  EXPECT_EQ(Field(object, "request_id"), "req-7f3a.1") << line;
  EXPECT_NE(Field(object, "latency_ms"), "<absent>") << line;
  EXPECT_NE(Field(object, "ts"), "<absent>") << line;
  // Not the refusal's message: it names the case and the dates.
  EXPECT_EQ(Field(object, "message"), "<absent>") << line;
}

// A client sending garbage cannot flood the log: a burst of unparseable
// requests, each INVALID_ARGUMENT, is one line, which says how many more
// it stands for when the next one is logged.
TEST(LogTest, ABurstOfUnparseableRequestsIsOneLine) {
  TempDir dir;
  CapturedLog log;
  TestServer server(dir.path(), /*metrics=*/false,
                    [&](services::ServerOptions* options) {
                      options->log_sink = log.Sink();
                    });
  std::string reply;
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(RawUnaryCall(server.channel(), "/ehcp.v1.CaseService/ReadCase",
                           "\xff\xff\xff", &reply)
                  .error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  ASSERT_FALSE(log.LineWith("request.unparseable").empty());
  int lines = 0;
  for (absl::string_view line : absl::StrSplit(log.Text(), '\n')) {
    if (absl::StrContains(line, "request.unparseable")) ++lines;
  }
  // 50 calls take well under a few seconds: at most one line a second.
  EXPECT_GE(lines, 1);
  EXPECT_LE(lines, 5) << log.Text();
}

TEST(LogTest, NoPersonalDataOrEchoOfClientInputReachesTheLog) {
  TempDir dir;
  CapturedLog log;
  TestServer server(dir.path(), /*metrics=*/false,
                    [&](services::ServerOptions* options) {
                      options->log_sink = log.Sink();
                    });
  grpc::ClientContext open_context;
  v1::OpenCaseRequest open;
  open.set_la_code("E06000035");
  open.set_case_reference("SMITH-JANE-0042");
  open.set_birth_month("2013-07");
  open.set_opened_on("2024-01-02");
  v1::OpenCaseResponse opened;
  ASSERT_TRUE(server.stub().OpenCase(&open_context, open, &opened).ok());
  // Refused twice: INVALID_ARGUMENT, whose message quotes the bad birth
  // month, and ALREADY_EXISTS, whose message quotes the reference.
  {
    grpc::ClientContext context;
    context.AddMetadata("x-request-id", "bad-month");
    v1::OpenCaseRequest bad = open;
    bad.set_case_reference("SMITH-JOHN-0043");
    bad.set_birth_month("2013-13");
    v1::OpenCaseResponse response;
    const grpc::Status status =
        server.stub().OpenCase(&context, bad, &response);
    ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    ASSERT_TRUE(absl::StrContains(status.error_message(), "2013-13"))
        << status.error_message();
  }
  {
    grpc::ClientContext context;
    // Not an acceptable id (a space, and a name): replaced, not logged.
    context.AddMetadata("x-request-id", "Jane Smith");
    v1::OpenCaseResponse response;
    const grpc::Status status =
        server.stub().OpenCase(&context, open, &response);
    ASSERT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
    ASSERT_TRUE(absl::StrContains(status.error_message(), "SMITH-JANE-0042"))
        << status.error_message();
  }
  ASSERT_FALSE(log.LineWith("\"code\":\"INVALID_ARGUMENT\"").empty())
      << log.Text();
  const std::string exists = log.LineWith("\"code\":\"ALREADY_EXISTS\"");
  ASSERT_FALSE(exists.empty()) << log.Text();
  const std::string generated = Field(Json(exists), "request_id");
  EXPECT_EQ(generated.size(), 16u) << exists;

  const std::string text = log.Text();
  for (const char* personal :
       {"SMITH", "JANE", "JOHN", "2013-07", "2013-13", "Jane Smith"}) {
    EXPECT_FALSE(absl::StrContains(text, personal)) << personal << "\n" << text;
  }
  // Every line is one JSON object.
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    Json(std::string(line));
  }
}

TEST(LogTest, TheStartUpConfigurationIsLoggedOnce) {
  TempDir dir;
  CapturedLog log;
  TestServer server(dir.path(), /*metrics=*/true,
                    [&](services::ServerOptions* options) {
                      options->log_sink = log.Sink();
                      options->worker_threads = 3;
                      options->case_cache_bytes = size_t{64} << 20;
                    });
  const std::string line = log.LineWith("\"server_started\"");
  ASSERT_FALSE(line.empty()) << log.Text();
  const google::protobuf::Struct object = Json(line);
  EXPECT_EQ(Field(object, "data_dir"), dir.path());
  EXPECT_EQ(Field(object, "listen"),
            "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(Field(object, "metrics"),
            "127.0.0.1:" + std::to_string(server.metrics_port()));
  EXPECT_EQ(Field(object, "sync"), "true");
  EXPECT_EQ(Field(object, "case_cache_mb"), "64");
  EXPECT_EQ(Field(object, "workers"), "3");
  EXPECT_EQ(Field(object, "slow_call_ms"), "1000");
}

TEST(LogTest, ASlowCallIsLoggedOverTheThreshold) {
  TempDir dir;
  CapturedLog log;
  TestServer server(dir.path(), /*metrics=*/false,
                    [&](services::ServerOptions* options) {
                      options->log_sink = log.Sink();
                      options->slow_call = absl::ZeroDuration();  // Every call.
                    });
  grpc::ClientContext context;
  context.AddMetadata("x-request-id", "slow-1");
  v1::ReadLogResponse response;
  ASSERT_TRUE(
      server.stub().ReadLog(&context, v1::ReadLogRequest(), &response).ok());
  const std::string line = log.LineWith("slow-1");
  ASSERT_FALSE(line.empty()) << log.Text();
  const google::protobuf::Struct object = Json(line);
  EXPECT_EQ(Field(object, "event"), "slow_call");
  EXPECT_EQ(Field(object, "method"), "ehcp.v1.CaseService/ReadLog");
  EXPECT_EQ(Field(object, "code"), "OK");
  EXPECT_EQ(Field(object, "threshold_ms"), "0");
}

TEST(LogTest, AServerWithABadLogFormatDoesNotStart) {
  TempDir dir;
  services::ServerOptions options;
  options.data_dir = dir.path();
  options.listen_address = "127.0.0.1:0";
  options.log_format = "xml";
  const auto server = services::EhcpServer::Start(options);
  ASSERT_FALSE(server.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(server.status())) << server.status();
  EXPECT_TRUE(absl::StrContains(server.status().message(), "log_format"));
}

TEST(StructuredLogTest, JsonEscapesQuotesControlsAndInvalidUtf8) {
  const absl::Time ts = absl::FromUnixMillis(1795435200123);
  const std::string line =
      StructuredLog::Format(LogFormat::kJson, ts, "e",
                            {{"quote", "a\"b\\c\nd"},
                             {"bytes", std::string("\xff", 1)},
                             {"n", int64_t{-3}},
                             {"ok", false},
                             {"ratio", 0.5}},
                            LogLevel::kError);
  EXPECT_EQ(line,
            "{\"ts\":\"2026-11-23T12:00:00.123Z\",\"level\":\"error\","
            "\"event\":\"e\",\"quote\":\"a\\\"b\\\\c\\nd\",\"bytes\":"
            "\"\\u00ff\",\"n\":-3,\"ok\":false,\"ratio\":0.5}");
  Json(line);
}

TEST(StructuredLogTest, TextQuotesOnlyValuesThatNeedIt) {
  const std::string line = StructuredLog::Format(
      LogFormat::kText, absl::FromUnixMillis(1795435200000), "call_refused",
      {{"method", "ehcp.v1.CaseService/OpenCase"},
       {"rule", ""},
       {"note", "two words"}},
      LogLevel::kWarning);
  EXPECT_EQ(line,
            "2026-11-23T12:00:00.000Z warning call_refused "
            "method=ehcp.v1.CaseService/OpenCase rule=\"\" "
            "note=\"two words\"");
}

TEST(StructuredLogTest, LinesReachTheSinkInOrderAndFlushWaitsForThem) {
  std::vector<std::string> lines;
  absl::Mutex mu;
  StructuredLog log({LogFormat::kJson, [&](const std::string& line) {
                       absl::MutexLock lock(&mu);
                       lines.push_back(line);
                     }});
  for (int i = 0; i < 100; ++i) log.LogJson("n", {{"i", i}});
  log.Flush();
  absl::MutexLock lock(&mu);
  ASSERT_EQ(lines.size(), 100u);
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(
        absl::StrContains(lines[i], "\"i\":" + std::to_string(i) + "}\n"))
        << lines[i];
  }
  EXPECT_EQ(log.dropped(), 0u);
}

TEST(CallObserverTest, RuleOfReadsOnlyTheRuleIdOfAFailedPrecondition) {
  using grpc::StatusCode;
  EXPECT_EQ(services::RuleOf(StatusCode::FAILED_PRECONDITION,
                             "rule final_plan.requires_draft: final plan on"),
            "final_plan.requires_draft");
  EXPECT_EQ(services::RuleOf(StatusCode::FAILED_PRECONDITION,
                             "rule void.*: it names"),
            "void.*");
  EXPECT_EQ(services::RuleOf(StatusCode::INVALID_ARGUMENT, "rule x: y"), "");
  EXPECT_EQ(
      services::RuleOf(StatusCode::FAILED_PRECONDITION, "log is not empty"),
      "");
  EXPECT_EQ(
      services::RuleOf(StatusCode::FAILED_PRECONDITION, "rule Jane Smith: y"),
      "");
  EXPECT_EQ(services::RuleOf(StatusCode::FAILED_PRECONDITION, "rule : y"), "");
  EXPECT_EQ(services::CodeName(StatusCode::FAILED_PRECONDITION),
            "FAILED_PRECONDITION");
}

}  // namespace
}  // namespace ehcp::testing
