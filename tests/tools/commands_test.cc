#include "tools/commands.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ehcp::tools {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// An in-memory CaseService: cases are opened and appended to without rules,
// unless a test scripts an error for the next call of a kind.
class FakeCaseClient : public CaseClient {
 public:
  const std::string& server() const override { return server_; }

  absl::StatusOr<v1::OpenCaseResponse> OpenCase(
      const v1::OpenCaseRequest& request) override {
    opens.push_back(request);
    if (absl::Status s = Scripted("open"); !s.ok()) return s;
    const std::string id =
        absl::StrCat(request.la_code(), "-", request.case_reference());
    if (cases_.contains(id)) {
      return absl::AlreadyExistsError(absl::StrCat("already open as ", id));
    }
    v1::Event opened;
    opened.mutable_payload()->mutable_case_opened()->set_la_code(
        request.la_code());
    opened.mutable_payload()->mutable_case_opened()->set_case_reference(
        request.case_reference());
    Stamp(id, &opened);
    v1::OpenCaseResponse response;
    response.set_case_id(id);
    *response.mutable_event() = opened;
    return response;
  }

  absl::StatusOr<v1::AppendEventsResponse> AppendEvents(
      const v1::AppendEventsRequest& request) override {
    appends.push_back(request);
    if (absl::Status s = Scripted("append"); !s.ok()) return s;
    if (!cases_.contains(request.case_id())) {
      return absl::NotFoundError("no such case");
    }
    v1::AppendEventsResponse response;
    for (const v1::ProposedEvent& p : request.events()) {
      v1::Event e;
      e.set_occurred_on(p.occurred_on());
      *e.mutable_payload() = p.payload();
      Stamp(request.case_id(), &e);
      *response.add_events() = e;
    }
    response.set_case_version(
        static_cast<int64_t>(cases_[request.case_id()].size()));
    response.set_global_position(static_cast<int64_t>(log_.size()));
    return response;
  }

  absl::StatusOr<v1::ReadCaseResponse> ReadCase(
      const v1::ReadCaseRequest& request) override {
    reads.push_back(request);
    auto it = cases_.find(request.case_id());
    if (it == cases_.end()) return absl::NotFoundError("case C not found");
    v1::ReadCaseResponse response;
    const std::vector<v1::Event>& events = it->second;
    const int64_t from = std::max<int64_t>(1, request.from_version());
    for (int64_t v = from; v <= static_cast<int64_t>(events.size()) &&
                           response.events_size() < request.max_count();
         ++v) {
      *response.add_events() = events[v - 1];
    }
    const int64_t last = from + response.events_size() - 1;
    if (last < static_cast<int64_t>(events.size())) {
      response.set_next_version(last + 1);
    }
    return response;
  }

  absl::StatusOr<v1::ReadLogResponse> ReadLog(
      const v1::ReadLogRequest& request) override {
    log_reads.push_back(request);
    v1::ReadLogResponse response;
    const int64_t from = std::max<int64_t>(1, request.from_position());
    const int64_t page = std::min(request.max_count(), log_page_limit);
    for (int64_t p = from; p <= static_cast<int64_t>(log_.size()) &&
                           response.events_size() < page;
         ++p) {
      *response.add_events() = log_[p - 1];
    }
    response.set_head_position(static_cast<int64_t>(log_.size()));
    response.set_next_position(from + response.events_size());
    return response;
  }

  absl::StatusOr<v1::GetCaseStateResponse> GetCaseState(
      const v1::GetCaseStateRequest& request) override {
    if (!cases_.contains(request.case_id())) {
      return absl::NotFoundError("case C not found");
    }
    v1::GetCaseStateResponse response;
    response.mutable_state()->set_case_id(request.case_id());
    response.mutable_state()->set_stage(v1::CASE_STAGE_ASSESSING);
    return response;
  }

  absl::Status Subscribe(const v1::SubscribeRequest& request,
                         absl::FunctionRef<void(const v1::Event&)> on_event,
                         Cancellation* cancel) override {
    subscribed_from = request.from_position();
    for (const v1::Event& e : live_events) on_event(e);
    // A real follower waits here; the fake stops as if Ctrl-C was pressed.
    if (cancel != nullptr) cancel->Cancel();
    return absl::OkStatus();
  }

  // Makes the next call of `kind` ("open", "append") fail with `status`.
  void FailNext(const std::string& kind, absl::Status status) {
    scripted_[kind] = std::move(status);
  }

  std::vector<v1::OpenCaseRequest> opens;
  std::vector<v1::AppendEventsRequest> appends;
  std::vector<v1::ReadCaseRequest> reads;
  std::vector<v1::ReadLogRequest> log_reads;
  std::vector<v1::Event> live_events;
  int64_t subscribed_from = -1;
  int32_t log_page_limit = 1000;

 private:
  absl::Status Scripted(const std::string& kind) {
    auto it = scripted_.find(kind);
    if (it == scripted_.end()) return absl::OkStatus();
    absl::Status s = it->second;
    scripted_.erase(it);
    return s;
  }

  void Stamp(const std::string& case_id, v1::Event* e) {
    std::vector<v1::Event>& events = cases_[case_id];
    e->set_case_id(case_id);
    e->set_case_version(static_cast<int64_t>(events.size()) + 1);
    e->set_global_position(static_cast<int64_t>(log_.size()) + 1);
    events.push_back(*e);
    log_.push_back(*e);
  }

  std::string server_ = "127.0.0.1:50051";
  std::map<std::string, std::vector<v1::Event>> cases_;
  std::vector<v1::Event> log_;
  std::map<std::string, absl::Status> scripted_;
};

class CommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           absl::StrCat(
               "commands_test_",
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  // Runs a command line against the fake; returns the exit status.
  int Run(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    absl::StatusOr<Invocation> inv = ParseInvocation(args, "");
    EXPECT_TRUE(inv.ok()) << inv.status();
    if (!inv.ok()) return -1;
    return RunCommand(*inv, client_, out_, err_, &cancel_);
  }

  std::string Journey(const std::string& ref, const std::string& events) {
    return absl::StrCat(R"({"la_code": "E06000035", "case_reference": ")", ref,
                        R"(", "birth_month": "2012-03", "opened_on": )"
                        R"("2024-01-08", "events": )",
                        events, "}");
  }

  static constexpr char kRequest[] =
      R"([{"occurredOn": "2024-01-08", "payload": {"requestReceived":
            {"source": "REQUEST_SOURCE_PARENT"}}}])";

  std::filesystem::path dir_;
  FakeCaseClient client_;
  Cancellation cancel_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(CommandsTest, OpenPrintsTheCaseId) {
  EXPECT_EQ(Run({"open", "--la", "E06000035", "--ref", "MED-1", "--birth-month",
                 "2012-03"}),
            kExitOk);
  EXPECT_EQ(out_.str(), "E06000035-MED-1\n");
  ASSERT_EQ(client_.opens.size(), 1u);
  EXPECT_EQ(client_.opens[0].birth_month(), "2012-03");
  EXPECT_EQ(client_.opens[0].opened_on(), "");
}

TEST_F(CommandsTest, OpenTwiceIsRefusedWithTheServersCodeAndMessage) {
  Run({"open", "--la", "E06000035", "--ref", "MED-1"});
  EXPECT_EQ(Run({"open", "--la", "E06000035", "--ref", "MED-1"}), kExitRefused);
  EXPECT_EQ(err_.str(),
            "ehcpctl: refused (ALREADY_EXISTS): already open as "
            "E06000035-MED-1\n");
  EXPECT_EQ(out_.str(), "");
}

TEST_F(CommandsTest, AnUnreachableServerIsOneLineAndExitTwo) {
  client_.FailNext("open",
                   ConnectionFailure(absl::StatusCode::kUnavailable,
                                     "cannot reach ehcpd at 127.0.0.1:50051 "
                                     "(is it running?)"));
  EXPECT_EQ(Run({"open", "--la", "E06000035", "--ref", "MED-1"}),
            kExitUnreachable);
  EXPECT_EQ(err_.str(),
            "ehcpctl: cannot reach ehcpd at 127.0.0.1:50051 (is it "
            "running?)\n");
}

TEST_F(CommandsTest, AppendSendsTheFilesEventsVersionAndKey) {
  Run({"open", "--la", "E06000035", "--ref", "MED-1"});
  const std::string file = Write("e.json", kRequest);
  EXPECT_EQ(Run({"append", "E06000035-MED-1", file, "--expected-version", "1",
                 "--idempotency-key", "k1"}),
            kExitOk)
      << err_.str();
  ASSERT_EQ(client_.appends.size(), 1u);
  const v1::AppendEventsRequest& r = client_.appends[0];
  EXPECT_EQ(r.case_id(), "E06000035-MED-1");
  EXPECT_EQ(r.expected_version(), 1);
  EXPECT_EQ(r.idempotency_key(), "k1");
  ASSERT_EQ(r.events_size(), 1);
  EXPECT_EQ(r.events(0).payload().request_received().source(),
            v1::REQUEST_SOURCE_PARENT);
  EXPECT_THAT(out_.str(), HasSubstr("appended 1 event\n  v2  position 2"));
}

TEST_F(CommandsTest, AppendWithoutExpectedVersionAppendsAtAnyVersion) {
  Run({"open", "--la", "E06000035", "--ref", "MED-1"});
  Run({"append", "E06000035-MED-1", Write("e.json", kRequest)});
  ASSERT_EQ(client_.appends.size(), 1u);
  EXPECT_EQ(client_.appends[0].expected_case(),
            v1::AppendEventsRequest::EXPECTED_NOT_SET);
}

TEST_F(CommandsTest, ARefusedAppendPrintsCodeAndRule) {
  Run({"open", "--la", "E06000035", "--ref", "MED-1"});
  client_.FailNext("append",
                   absl::FailedPreconditionError(
                       "rule final_plan.requires_draft: final plan on "
                       "2024-05-31 (events[0]) with no draft plan served"));
  EXPECT_EQ(Run({"append", "E06000035-MED-1", Write("e.json", kRequest)}),
            kExitRefused);
  EXPECT_EQ(err_.str(),
            "ehcpctl: refused (FAILED_PRECONDITION): rule "
            "final_plan.requires_draft: final plan on 2024-05-31 (events[0]) "
            "with no draft plan served\n");
}

TEST_F(CommandsTest, AppendReportsBadFilesWithoutCallingTheServer) {
  const std::string bad = Write("bad.json", R"([{"occurredOn": 5}])");
  EXPECT_EQ(Run({"append", "C", bad}), kExitDataError);
  EXPECT_THAT(err_.str(), StartsWith("ehcpctl: " + bad + ": events[0]: "));
  EXPECT_EQ(Run({"append", "C", (dir_ / "missing.json").string()}),
            kExitNoInput);
  EXPECT_THAT(err_.str(), HasSubstr("missing.json: no such file"));
  EXPECT_TRUE(client_.appends.empty());
}

TEST_F(CommandsTest, ShowReadsEveryPageThenTheState) {
  Run({"open", "--la", "E06000035", "--ref", "MED-1"});
  std::string many = "[";
  for (int i = 0; i < 600; ++i) {
    absl::StrAppend(&many, i ? "," : "",
                    R"({"occurredOn": "2024-01-08", "payload": )"
                    R"({"reviewReportSent": {}}})");
  }
  many += "]";
  ASSERT_EQ(Run({"append", "E06000035-MED-1", Write("m.json", many)}), kExitOk);
  EXPECT_EQ(Run({"show", "E06000035-MED-1"}), kExitOk) << err_.str();
  EXPECT_EQ(client_.reads.size(), 2u);  // pages of 500
  EXPECT_THAT(out_.str(), HasSubstr("Events of E06000035-MED-1:\nVER"));
  EXPECT_THAT(out_.str(), HasSubstr("\n601 "));
  EXPECT_THAT(out_.str(), HasSubstr("\nState:\ncase "));
  EXPECT_THAT(out_.str(), HasSubstr("stage               assessing"));
}

TEST_F(CommandsTest, ShowJsonPrintsEventsAndState) {
  Run({"open", "--la", "E06000035", "--ref", "MED-1"});
  EXPECT_EQ(Run({"--json", "show", "E06000035-MED-1"}), kExitOk);
  EXPECT_THAT(out_.str(), StartsWith("{\n \"events\": [\n  {\n   \"caseId\""));
  EXPECT_THAT(out_.str(), HasSubstr("\"state\": {"));
}

TEST_F(CommandsTest, ShowOfAnUnknownCaseIsNotFound) {
  EXPECT_EQ(Run({"show", "nope"}), kExitRefused);
  EXPECT_EQ(err_.str(), "ehcpctl: refused (NOT_FOUND): case C not found\n");
}

TEST_F(CommandsTest, TailPagesThroughTheLogFromAPosition) {
  Run({"open", "--la", "E06000035", "--ref", "A"});
  Run({"open", "--la", "E06000035", "--ref", "B"});
  Run({"open", "--la", "E06000035", "--ref", "C"});
  client_.log_page_limit = 1;
  EXPECT_EQ(Run({"tail", "--from", "2"}), kExitOk);
  EXPECT_EQ(out_.str(),
            "     2    E06000035-B v1  case opened  E06000035 B\n"
            "     3    E06000035-C v1  case opened  E06000035 C\n");
  EXPECT_EQ(client_.subscribed_from, -1);
}

TEST_F(CommandsTest, TailFollowSubscribesAfterTheLastPageAndStopsCleanly) {
  Run({"open", "--la", "E06000035", "--ref", "A"});
  v1::Event live;
  live.set_global_position(2);
  live.set_case_id("E06000035-A");
  live.mutable_payload()->mutable_draft_plan_served();
  client_.live_events = {live};
  EXPECT_EQ(Run({"--json", "tail", "--follow"}), kExitOk);
  EXPECT_EQ(client_.subscribed_from, 2);
  EXPECT_THAT(out_.str(), HasSubstr("\"globalPosition\":\"1\""));
  EXPECT_THAT(out_.str(), HasSubstr("\"draftPlanServed\":{}"));
  EXPECT_TRUE(cancel_.cancelled());
}

TEST_F(CommandsTest, LoadOpensAndAppendsEachJourneyWithItsKey) {
  Write("b.json", Journey("MED-2", kRequest));
  Write("a.json", Journey("MED-1", kRequest));
  EXPECT_EQ(Run({"load", dir_.string()}), kExitOk) << err_.str();
  ASSERT_EQ(client_.appends.size(), 2u);
  EXPECT_EQ(client_.opens[0].case_reference(), "MED-1");
  EXPECT_EQ(client_.opens[0].opened_on(), "2024-01-08");
  EXPECT_EQ(client_.appends[0].idempotency_key(), "demo-load-MED-1");
  EXPECT_EQ(client_.appends[0].expected_version(), 1);
  EXPECT_EQ(client_.appends[1].idempotency_key(), "demo-load-MED-2");
  EXPECT_THAT(out_.str(), HasSubstr("loaded   a.json  MED-1  E06000035-MED-1  "
                                    "1 event\n"));
  EXPECT_THAT(out_.str(),
              HasSubstr("2 journeys: 2 loaded (2 events), 0 skipped (already "
                        "open), 0 refused\n"));
}

TEST_F(CommandsTest, LoadSkipsJourneysAlreadyOpen) {
  const std::string file = Write("a.json", Journey("MED-1", kRequest));
  ASSERT_EQ(Run({"load", file}), kExitOk);
  EXPECT_EQ(Run({"load", file}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("skipped  a.json  MED-1  already open: "));
  EXPECT_THAT(out_.str(), HasSubstr("0 loaded (0 events), 1 skipped"));
  EXPECT_EQ(client_.appends.size(), 1u);
}

TEST_F(CommandsTest, LoadGoesOnAfterARefusalAndExitsOne) {
  Write("a.json", Journey("MED-1", kRequest));
  Write("b.json", Journey("MED-2", kRequest));
  client_.FailNext("append", absl::FailedPreconditionError("rule x: y"));
  EXPECT_EQ(Run({"load", dir_.string()}), kExitRefused);
  EXPECT_THAT(out_.str(),
              HasSubstr("refused  a.json  MED-1  E06000035-MED-1  append "
                        "refused (FAILED_PRECONDITION): rule x: y"));
  EXPECT_THAT(out_.str(), HasSubstr("1 loaded (1 event), 0 skipped (already "
                                    "open), 1 refused"));
}

TEST_F(CommandsTest, LoadChecksEveryFileBeforeSendingAnything) {
  Write("a.json", Journey("MED-1", kRequest));
  Write("b.json", Journey("MED-2", "[{\"payload\": {\"nope\": {}}}]"));
  EXPECT_EQ(Run({"load", dir_.string()}), kExitDataError);
  EXPECT_THAT(err_.str(), HasSubstr("b.json: events[0]: "));
  EXPECT_TRUE(client_.opens.empty());
}

TEST_F(CommandsTest, LoadStopsAtOnceWhenTheServerIsUnreachable) {
  Write("a.json", Journey("MED-1", kRequest));
  Write("b.json", Journey("MED-2", kRequest));
  client_.FailNext("open", ConnectionFailure(absl::StatusCode::kUnavailable,
                                             "cannot reach ehcpd at x"));
  EXPECT_EQ(Run({"load", dir_.string()}), kExitUnreachable);
  EXPECT_EQ(err_.str(), "ehcpctl: cannot reach ehcpd at x\n");
  EXPECT_EQ(client_.opens.size(), 1u);
}

TEST_F(CommandsTest, LoadJsonPrintsOneObjectPerJourneyAndASummary) {
  Write("a.json", Journey("MED-1", kRequest));
  EXPECT_EQ(Run({"load", "--json", dir_.string()}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("\"result\":\"loaded\""));
  EXPECT_THAT(out_.str(), HasSubstr("\"journeys\":1"));
}

TEST(CallErrorTest, CodesAreNamedAndMessagesKeptOnOneLine) {
  EXPECT_EQ(CallErrorText(absl::AbortedError("expected version 3, case is "
                                             "at 5")),
            "refused (ABORTED): expected version 3, case is at 5");
  EXPECT_EQ(CallErrorText(absl::InternalError("disk\nfull")),
            "ehcpd failed (INTERNAL): disk full");
  EXPECT_EQ(CallErrorExit(absl::InternalError("x")), kExitRefused);
  EXPECT_EQ(CallErrorExit(
                ConnectionFailure(absl::StatusCode::kDeadlineExceeded, "slow")),
            kExitUnreachable);
  // A server's own UNAVAILABLE without the marker is still an error line.
  EXPECT_FALSE(IsConnectionFailure(absl::UnavailableError("x")));
}

TEST(CancellationTest, AHookSetAfterCancelRunsAtOnce) {
  Cancellation c;
  int runs = 0;
  c.Cancel();
  c.SetHook([&runs] { ++runs; });
  EXPECT_EQ(runs, 1);
  c.Cancel();
  EXPECT_EQ(runs, 1);
  c.ClearHook();
  EXPECT_TRUE(c.cancelled());
}

}  // namespace
}  // namespace ehcp::tools
