#include "tools/internal/commands.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/tools/fake_case_client.h"

namespace ehcp::tools {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

using fakes::FakeCaseClient;

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
