// The clock commands (clocks, breaches, backlog, timeliness, projection,
// rebuild) against a fake ClockService.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/tools/fake_case_client.h"
#include "tools/internal/commands.h"

namespace ehcp::tools {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

using fakes::FakeCaseClient;

template <typename M>
M FromText(const std::string& text) {
  M message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message))
      << text;
  return message;
}

// A late clock of case `case_id`, `days` late.
v1::Clock Late(const std::string& case_id, int days) {
  v1::Clock c;
  c.set_case_id(case_id);
  c.set_la_code("E06000035");
  c.set_clock_id("final_plan_20w");
  c.set_instance("1");
  c.set_due_on("2024-05-27");
  c.set_status(v1::CLOCK_STATUS_OVERDUE);
  c.set_days_late(days);
  return c;
}

class ClockCommandsTest : public ::testing::Test {
 protected:
  // Runs a command line against the fake; returns the exit status.
  int Run(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    absl::StatusOr<Invocation> inv = ParseInvocation(args, "");
    EXPECT_TRUE(inv.ok()) << inv.status();
    if (!inv.ok()) return -1;
    return RunCommand(*inv, client_, out_, err_, nullptr);
  }

  // Three pages of breaches: "" -> "p2" -> "p3" -> end.
  void ThreePages() {
    v1::ListBreachesResponse p1, p2, p3;
    p1.set_as_of("2025-09-01");
    *p1.add_clocks() = Late("E06000035-a", 30);
    *p1.add_clocks() = Late("E06000035-b", 20);
    p1.set_next_page_token("p2");
    p2.set_as_of("2025-09-01");
    *p2.add_clocks() = Late("E06000035-c", 10);
    p2.set_next_page_token("p3");
    p3.set_as_of("2025-09-01");
    *p3.add_clocks() = Late("E06000035-d", 5);
    client_.breach_pages = {{"", p1}, {"p2", p2}, {"p3", p3}};
  }

  FakeCaseClient client_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(ClockCommandsTest, ClocksSendsTheCaseDateAndInstant) {
  client_.case_clocks = FromText<v1::GetCaseClocksResponse>(R"pb(
    as_of: "2025-09-01"
    case_version: 4
    clocks {
      clock_id: "final_plan_20w"
      instance: "1"
      trigger_on: "2024-01-08"
      due_on: "2024-05-27"
      stop_on: "2024-05-31"
      status: CLOCK_STATUS_BREACHED
      days_late: 4
    }
  )pb");
  EXPECT_EQ(Run({"clocks", "E06000035-aa", "--as-of", "2025-09-01",
                 "--as-known-at", "2025-01-01T09:00:00.5Z"}),
            kExitOk)
      << err_.str();
  ASSERT_EQ(client_.clock_requests.size(), 1u);
  const v1::GetCaseClocksRequest& r = client_.clock_requests[0];
  EXPECT_EQ(r.case_id(), "E06000035-aa");
  EXPECT_EQ(r.as_of(), "2025-09-01");
  EXPECT_EQ(r.as_known_at().seconds(), 1735722000);
  EXPECT_EQ(r.as_known_at().nanos(), 500000000);
  EXPECT_THAT(out_.str(),
              StartsWith("Clocks of E06000035-aa as of 2025-09-01 (case "
                         "version 4, as known at 2025-01-01 09:00:00Z):\n"
                         "CLOCK "));
  EXPECT_THAT(out_.str(), HasSubstr("BREACHED  4\n"));
  EXPECT_EQ(err_.str(), "");
}

TEST_F(ClockCommandsTest, ClocksWithoutFlagsLeavesTheDateToTheServer) {
  EXPECT_EQ(Run({"clocks", "C1"}), kExitOk);
  EXPECT_EQ(client_.clock_requests[0].as_of(), "");
  EXPECT_FALSE(client_.clock_requests[0].has_as_known_at());
}

TEST_F(ClockCommandsTest, ClocksJsonIsTheResponse) {
  client_.case_clocks.set_as_of("2025-09-01");
  client_.case_clocks.add_clocks()->set_clock_id("advice");
  EXPECT_EQ(Run({"clocks", "C1", "--json"}), kExitOk);
  v1::GetCaseClocksResponse back;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(out_.str(), &back).ok())
      << out_.str();
  EXPECT_EQ(back.as_of(), "2025-09-01");
  EXPECT_EQ(back.clocks(0).clock_id(), "advice");
  EXPECT_THAT(out_.str(), StartsWith("{\n \"clocks\": ["));
}

TEST_F(ClockCommandsTest, ClocksOfAnUnknownCaseIsRefused) {
  client_.FailNext("clocks", absl::NotFoundError("case C1 not found"));
  EXPECT_EQ(Run({"clocks", "C1"}), kExitRefused);
  EXPECT_EQ(err_.str(), "ehcpctl: refused (NOT_FOUND): case C1 not found\n");
  EXPECT_EQ(out_.str(), "");
}

TEST_F(ClockCommandsTest, EveryClockCommandReportsAnUnreachableServer) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"clocks", {"clocks", "C1"}},
      {"breaches", {"breaches"}},
      {"backlog", {"backlog"}},
      {"timeliness", {"timeliness", "--year", "2024"}},
      {"projection", {"projection"}},
      {"rebuild", {"rebuild"}},
  };
  for (const auto& [kind, args] : cases) {
    client_.FailNext(kind, ConnectionFailure(absl::StatusCode::kUnavailable,
                                             "cannot reach ehcpd at x (is it "
                                             "running?)"));
    EXPECT_EQ(Run(args), kExitUnreachable) << kind;
    EXPECT_THAT(err_.str(), HasSubstr("ehcpctl: cannot reach ehcpd at x (is it "
                                      "running?)\n"))
        << kind;
    EXPECT_EQ(out_.str(), "") << kind;
  }
}

TEST_F(ClockCommandsTest, AServerWithoutClockServiceIsAnError) {
  client_.FailNext("breaches",
                   absl::UnimplementedError(
                       "ehcpd at x does not serve "
                       "ehcp.v1.ClockService/ListBreaches (is it older than "
                       "ehcpctl?)"));
  EXPECT_EQ(Run({"breaches"}), kExitRefused);
  EXPECT_EQ(err_.str(),
            "ehcpctl: ehcpd failed (UNIMPLEMENTED): ehcpd at x does not serve "
            "ehcp.v1.ClockService/ListBreaches (is it older than ehcpctl?)\n");
}

TEST_F(ClockCommandsTest, BreachesSendsTheQuery) {
  ThreePages();
  EXPECT_EQ(
      Run({"breaches", "--la", "E06000035", "--clock", "final_plan_20w,advice",
           "--status", "overdue", "--due-from", "2024-01-01", "--due-to",
           "2024-12-31", "--as-of", "2025-09-01", "--page-size", "2"}),
      kExitOk);
  ASSERT_EQ(client_.breach_requests.size(), 1u);
  const v1::ListBreachesRequest& r = client_.breach_requests[0];
  EXPECT_EQ(r.la_code(), "E06000035");
  EXPECT_THAT(r.clock_ids(), ElementsAre("final_plan_20w", "advice"));
  EXPECT_THAT(r.statuses(), ElementsAre(v1::CLOCK_STATUS_OVERDUE));
  EXPECT_EQ(r.due_from(), "2024-01-01");
  EXPECT_EQ(r.due_to(), "2024-12-31");
  EXPECT_EQ(r.as_of(), "2025-09-01");
  EXPECT_EQ(r.page_size(), 2);
  EXPECT_EQ(r.page_token(), "");
}

TEST_F(ClockCommandsTest, BreachesPrintsOnePageAndHowToGoOn) {
  ThreePages();
  EXPECT_EQ(Run({"breaches", "--la", "E06000035", "--page-size", "2"}),
            kExitOk);
  EXPECT_EQ(client_.breach_requests.size(), 1u);
  const std::string out = out_.str();
  EXPECT_THAT(out, StartsWith("CASE         REF  LA         CLOCK "));
  EXPECT_THAT(out, HasSubstr("\nE06000035-a  -    E06000035  final_plan_20w"));
  EXPECT_THAT(out, HasSubstr("\nE06000035-b  "));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("E06000035-c")));
  EXPECT_THAT(out, ::testing::EndsWith(
                       "\n2 clocks as of 2025-09-01 (more follow; --all for "
                       "every page). Next page:\n"
                       "  ehcpctl breaches --la E06000035 --page-size 2 "
                       "--page-token p2\n"));
}

TEST_F(ClockCommandsTest, BreachesGoesOnFromAPageToken) {
  ThreePages();
  EXPECT_EQ(Run({"breaches", "--page-token", "p3"}), kExitOk);
  EXPECT_EQ(client_.breach_requests[0].page_token(), "p3");
  EXPECT_THAT(out_.str(), HasSubstr("E06000035-d"));
  EXPECT_THAT(out_.str(),
              ::testing::EndsWith("\n1 clock as of 2025-09-01 (last page)\n"));
}

TEST_F(ClockCommandsTest, BreachesAllFollowsEveryPage) {
  ThreePages();
  EXPECT_EQ(Run({"breaches", "--all", "--status", "overdue"}), kExitOk)
      << err_.str();
  ASSERT_EQ(client_.breach_requests.size(), 3u);
  EXPECT_EQ(client_.breach_requests[0].page_token(), "");
  EXPECT_EQ(client_.breach_requests[1].page_token(), "p2");
  EXPECT_EQ(client_.breach_requests[2].page_token(), "p3");
  // The query stays the same on every page.
  EXPECT_THAT(client_.breach_requests[2].statuses(),
              ElementsAre(v1::CLOCK_STATUS_OVERDUE));
  const std::string out = out_.str();
  for (const char* id :
       {"E06000035-a", "E06000035-b", "E06000035-c", "E06000035-d"}) {
    EXPECT_THAT(out, HasSubstr(id));
  }
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2 + 4 + 1);  // one table
  EXPECT_THAT(out,
              ::testing::EndsWith("\n4 clocks as of 2025-09-01 (3 pages)\n"));
}

TEST_F(ClockCommandsTest, BreachesAllJsonIsOneResponseOfEveryPage) {
  ThreePages();
  EXPECT_EQ(Run({"--json", "breaches", "--all"}), kExitOk);
  v1::ListBreachesResponse back;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(out_.str(), &back).ok())
      << out_.str();
  EXPECT_EQ(back.clocks_size(), 4);
  EXPECT_EQ(back.next_page_token(), "");
  EXPECT_EQ(back.as_of(), "2025-09-01");
}

TEST_F(ClockCommandsTest, BreachesJsonOfOnePageKeepsItsToken) {
  ThreePages();
  EXPECT_EQ(Run({"breaches", "--json"}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("\"nextPageToken\": \"p2\""));
}

TEST_F(ClockCommandsTest, BreachesAllStopsOnATokenThatComesBack) {
  ThreePages();
  client_.breach_pages["p3"].set_next_page_token("p2");
  EXPECT_EQ(Run({"breaches", "--all"}), kExitRefused);
  EXPECT_EQ(err_.str(),
            "ehcpctl: ehcpd failed (INTERNAL): page 3 gave page token \"p2\" "
            "again; stopped\n");
  EXPECT_EQ(out_.str(), "");
  EXPECT_EQ(client_.breach_requests.size(), 3u);
}

TEST_F(ClockCommandsTest, BreachesAllStopsAtARefusedPage) {
  ThreePages();
  client_.breach_pages.erase("p3");
  EXPECT_EQ(Run({"breaches", "--all"}), kExitRefused);
  EXPECT_EQ(err_.str(),
            "ehcpctl: refused (INVALID_ARGUMENT): page_token: not a token of "
            "mine\n");
  EXPECT_EQ(out_.str(), "");
}

TEST_F(ClockCommandsTest, NoBreachesSaysSo) {
  client_.breach_pages[""].set_as_of("2025-09-01");
  EXPECT_EQ(Run({"breaches"}), kExitOk);
  EXPECT_EQ(out_.str(), "0 clocks as of 2025-09-01\n");
}

TEST_F(ClockCommandsTest, BacklogSendsCouncilAndDate) {
  client_.backlog = FromText<v1::GetReviewBacklogResponse>(R"pb(
    as_of: "2025-09-01"
    la_code: "E06000035"
    clocks {
      clock_id: "annual_review"
      total: 1
      buckets {
        bucket: "0-3"
        count: 1
        entries { case_id: "E06000035-aa" days_overdue: 9 }
      }
      buckets { bucket: "3-6" }
    }
  )pb");
  EXPECT_EQ(Run({"backlog", "--la", "E06000035", "--as-of", "2025-09-01"}),
            kExitOk);
  ASSERT_EQ(client_.backlog_requests.size(), 1u);
  EXPECT_EQ(client_.backlog_requests[0].la_code(), "E06000035");
  EXPECT_EQ(client_.backlog_requests[0].as_of(), "2025-09-01");
  EXPECT_THAT(out_.str(), HasSubstr("annual_review  1    0    1\n"));
  EXPECT_THAT(out_.str(), ::testing::Not(HasSubstr("E06000035-aa")));
  EXPECT_EQ(Run({"backlog", "--cases"}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("annual_review: 1 overdue\n"));
  EXPECT_THAT(out_.str(), HasSubstr("E06000035-aa"));
  EXPECT_EQ(Run({"backlog", "--json"}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("\"daysOverdue\": 9"));
}

TEST_F(ClockCommandsTest, TimelinessSendsYearAndCouncil) {
  client_.timeliness.set_year(2024);
  client_.timeliness.mutable_including_exceptions()->set_numerator(1);
  client_.timeliness.mutable_including_exceptions()->set_denominator(2);
  client_.timeliness.mutable_including_exceptions()->set_percent("50.0");
  EXPECT_EQ(Run({"timeliness", "--year", "2024", "--la", "E10000016"}),
            kExitOk);
  ASSERT_EQ(client_.timeliness_requests.size(), 1u);
  EXPECT_EQ(client_.timeliness_requests[0].year(), 2024);
  EXPECT_EQ(client_.timeliness_requests[0].la_code(), "E10000016");
  EXPECT_THAT(out_.str(), StartsWith("SEN2 timeliness 2024, all councils:\n"
                                     "plans issued  "));
  EXPECT_THAT(out_.str(), HasSubstr("1 of 2 (50.0%)\n"));
}

TEST_F(ClockCommandsTest, TimelinessOfAnUnknownCouncilIsRefused) {
  client_.FailNext("timeliness",
                   absl::NotFoundError("la_code: no cases for E09999999"));
  EXPECT_EQ(Run({"timeliness", "--year", "2024", "--la", "E09999999"}),
            kExitRefused);
  EXPECT_EQ(err_.str(),
            "ehcpctl: refused (NOT_FOUND): la_code: no cases for E09999999\n");
}

TEST_F(ClockCommandsTest, ProjectionPrintsTheLag) {
  client_.projection.set_checkpoint(7);
  client_.projection.set_head_position(9);
  client_.projection.set_lag(2);
  client_.projection.set_indexed_cases(3);
  EXPECT_EQ(Run({"projection"}), kExitOk);
  EXPECT_EQ(client_.projection_calls, 1);
  EXPECT_THAT(out_.str(), HasSubstr("lag            2 events\n"));
  EXPECT_EQ(Run({"--json", "projection"}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("\"headPosition\": \"9\""));
}

TEST_F(ClockCommandsTest, RebuildSaysItStartedThenWhatItReached) {
  client_.rebuild.set_checkpoint(40);
  client_.rebuild.set_events_read(40);
  client_.rebuild.set_indexed_cases(6);
  EXPECT_EQ(Run({"rebuild"}), kExitOk);
  EXPECT_EQ(client_.rebuild_calls, 1);
  EXPECT_EQ(err_.str(),
            "rebuilding the clock index from the start of the log; this may "
            "take a while (waiting up to 600s)...\n");
  EXPECT_EQ(out_.str(),
            "rebuilt the clock index: read 40 events, indexed 6 cases; "
            "checkpoint at log position 40\n");
}

TEST_F(ClockCommandsTest, RebuildJsonKeepsStandardOutputOneDocument) {
  client_.rebuild.set_checkpoint(40);
  EXPECT_EQ(Run({"--timeout", "60", "--json", "rebuild"}), kExitOk);
  EXPECT_THAT(err_.str(), HasSubstr("(waiting up to 60s)"));
  v1::RebuildProjectionsResponse back;
  EXPECT_TRUE(
      google::protobuf::util::JsonStringToMessage(out_.str(), &back).ok())
      << out_.str();
  EXPECT_EQ(back.checkpoint(), 40);
}

TEST_F(ClockCommandsTest, DigestPrintsTheDigestLine) {
  client_.digest.set_position(12);
  client_.digest.set_digest("12:abcd");
  EXPECT_EQ(Run({"digest"}), kExitOk);
  EXPECT_EQ(out_.str(), "12:abcd\n");
}

TEST_F(ClockCommandsTest, VerifyShowsProgressThenTheVerdictAndExitsZeroWhenIntact) {
  v1::VerifyLogResponse progress;
  progress.set_verified_to(20000);
  progress.set_to_position(30000);
  v1::VerifyLogResponse verdict;
  verdict.set_verified_to(30000);
  verdict.set_to_position(30000);
  verdict.set_done(true);
  verdict.set_intact(true);
  client_.verify_messages = {progress, verdict};
  EXPECT_EQ(Run({"verify", "--against", "9:ab"}), kExitOk);
  ASSERT_EQ(client_.verify_requests.size(), 1u);
  EXPECT_EQ(client_.verify_requests[0].against(), "9:ab");
  EXPECT_THAT(err_.str(), HasSubstr("verifying: 20000 of 30000 records (67%)"));
  EXPECT_EQ(out_.str(),
            "intact: the hash chain holds (checked up to position 30000)\n"
            "the log at digest 9:ab is an unaltered prefix of today's\n");
}

TEST_F(ClockCommandsTest, VerifyOfABrokenChainNamesThePositionAndExitsOne) {
  v1::VerifyLogResponse verdict;
  verdict.set_done(true);
  verdict.set_intact(false);
  verdict.set_first_bad_position(17);
  verdict.set_problem("hash chain broken at position 17: changed");
  client_.verify_messages = {verdict};
  EXPECT_EQ(Run({"verify"}), kExitRefused);
  EXPECT_EQ(out_.str(),
            "NOT INTACT: position 17: hash chain broken at position 17: "
            "changed\n");
}

TEST_F(ClockCommandsTest, ARefusedRebuildIsAnError) {
  client_.FailNext(
      "rebuild", absl::FailedPreconditionError("a rebuild is already running"));
  EXPECT_EQ(Run({"rebuild"}), kExitRefused);
  EXPECT_THAT(err_.str(),
              ::testing::EndsWith("ehcpctl: refused (FAILED_PRECONDITION): a "
                                  "rebuild is already running\n"));
  EXPECT_EQ(out_.str(), "");
}

// A replay of a case: a request, its decision recorded late, then a void.
std::vector<v1::ReplayCaseResponse> ReplayMessages() {
  std::vector<v1::ReplayCaseResponse> m(4);
  v1::ReplayHeader* h = m[0].mutable_header();
  h->set_case_id("E06000035-00112233aabbccdd");
  h->set_la_code("E06000035");
  h->set_as_of("2024-06-01");
  h->set_case_version(5);
  h->set_entries(3);
  h->set_after_as_of(1);
  v1::Clock* final_clock = h->add_clocks();
  final_clock->set_clock_id("decision_to_assess");
  final_clock->set_instance("1");
  final_clock->set_trigger_on("2024-01-08");
  final_clock->set_due_on("2024-02-19");
  final_clock->set_stop_on("2024-03-01");
  final_clock->set_status(v1::CLOCK_STATUS_BREACHED);
  final_clock->set_days_late(11);
  auto event = [](const char* on, int version, const char* recorded) {
    v1::Event e;
    e.set_occurred_on(on);
    e.set_case_version(version);
    absl::Time t;
    std::string error;
    EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, recorded, &t, &error));
    e.mutable_recorded_at()->set_seconds(absl::ToUnixSeconds(t));
    return e;
  };
  v1::ReplayEntry* request = m[1].mutable_entry();
  request->set_step(1);
  request->set_kind(v1::REPLAY_ENTRY_KIND_FACT);
  *request->mutable_event() = event("2024-01-08", 2, "2024-01-08T10:00:00Z");
  request->mutable_event()->mutable_payload()->mutable_request_received()
      ->set_source(v1::REQUEST_SOURCE_PARENT);
  v1::Clock* pending = request->add_clocks();
  *pending = *final_clock;
  pending->set_stop_on("");
  pending->set_status(v1::CLOCK_STATUS_PENDING);
  pending->set_days_late(0);
  pending->set_days_remaining(42);
  v1::ReplayEntry* decision = m[2].mutable_entry();
  decision->set_step(2);
  decision->set_kind(v1::REPLAY_ENTRY_KIND_FACT);
  *decision->mutable_event() = event("2024-03-01", 4, "2024-03-13T10:00:00Z");
  decision->mutable_event()->mutable_payload()->mutable_assessment_decision()
      ->set_outcome(v1::ASSESSMENT_DECISION_OUTCOME_ASSESS);
  decision->set_recording_lag_days(12);
  *decision->add_clocks() = *final_clock;
  v1::ReplayEntry* removed = m[3].mutable_entry();
  removed->set_step(3);
  removed->set_kind(v1::REPLAY_ENTRY_KIND_REMOVED);
  removed->set_removed_by_event_id("ffee");
  *removed->mutable_event() = event("2024-03-02", 3, "2024-03-02T10:00:00Z");
  removed->mutable_event()->mutable_payload()->mutable_draft_plan_served();
  *removed->add_clocks() = *final_clock;
  return m;
}

TEST_F(ClockCommandsTest, ReplayPrintsATimelineOfEventsAndWhatTheyDidToTheClocks) {
  client_.replay_messages = ReplayMessages();
  EXPECT_EQ(Run({"replay", "E06000035-00112233aabbccdd", "--as-of",
                 "2024-06-01", "--as-known-at", "2024-07-01T00:00:00Z"}),
            kExitOk);
  ASSERT_EQ(client_.replay_requests.size(), 1u);
  EXPECT_EQ(client_.replay_requests[0].as_of(), "2024-06-01");
  EXPECT_EQ(client_.replay_requests[0].as_known_at().seconds(), 1719792000);
  const std::string out = out_.str();
  EXPECT_THAT(out, HasSubstr("Replay of E06000035-00112233aabbccdd, "
                             "E06000035 (Medway), as of 2024-06-01 "
                             "(case version 5):\n3 entries; left out: 1 event "
                             "that occurred after 2024-06-01\n"));
  EXPECT_THAT(out, HasSubstr("#1  2024-01-08  request received: from parent  (recorded "
                             "2024-01-08, same day; v2)\n"
                             "    + decision_to_assess 1: PENDING (due "
                             "2024-02-19)\n"));
  EXPECT_THAT(out, HasSubstr("#2  2024-03-01  assessment decision: assess  "));
  EXPECT_THAT(out, HasSubstr("(recorded 2024-03-13, 12 days later; v4)\n"
                             "    decision_to_assess 1: PENDING -> BREACHED "
                             "(stopped 2024-03-01, 11 days late)\n"));
  EXPECT_THAT(out, HasSubstr("#3  2024-03-02  draft plan served"));
  EXPECT_THAT(out, HasSubstr("    removed: taken out by event ffee"));
  EXPECT_THAT(out, HasSubstr("Clocks of E06000035-00112233aabbccdd as of "
                             "2024-06-01 (case version 5, as known at "
                             "2024-07-01 00:00:00Z):\n"));
}

TEST_F(ClockCommandsTest, ReplayWithJsonPrintsOneMessagePerLine) {
  client_.replay_messages = ReplayMessages();
  EXPECT_EQ(Run({"--json", "replay", "E06000035-00112233aabbccdd"}), kExitOk);
  const std::vector<std::string> lines =
      absl::StrSplit(out_.str(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_THAT(lines[0], ::testing::StartsWith("{\"header\":"));
  EXPECT_THAT(lines[3], HasSubstr("\"REPLAY_ENTRY_KIND_REMOVED\""));
}

TEST_F(ClockCommandsTest, AFailedReplayIsAnErrorAndPrintsNothing) {
  client_.FailNext("replay", absl::NotFoundError("no case E06000035-0"));
  EXPECT_EQ(Run({"replay", "E06000035-0"}), kExitRefused);
  EXPECT_THAT(err_.str(), HasSubstr("refused (NOT_FOUND): no case"));
  EXPECT_EQ(out_.str(), "");
}

// Two exported records, as ehcpd would send them.
std::vector<v1::ExportLogResponse> ExportPages() {
  std::vector<v1::ExportLogResponse> pages(2);
  for (int i = 0; i < 2; ++i) {
    pages[i].set_to_position(2);
    v1::ExportedRecord* r = pages[i].add_records();
    r->set_position(i + 1);
    r->set_hash(std::string(64, i == 0 ? 'a' : 'b'));
    r->set_prev_hash(std::string(64, i == 0 ? '0' : 'a'));
    r->mutable_event()->set_case_id("E06000035-00112233aabbccdd");
    r->mutable_event()->set_case_version(i + 1);
    r->set_stored(std::string("\x08\x01", 2));
  }
  return pages;
}

TEST_F(ClockCommandsTest, ExportWritesOneJsonLinePerRecordToItsFileWhenComplete) {
  client_.export_pages = ExportPages();
  const std::string file = ::testing::TempDir() + "/export-test.jsonl";
  std::remove(file.c_str());
  EXPECT_EQ(Run({"export", "--out", file}), kExitOk);
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0], HasSubstr("\"position\":\"1\""));
  EXPECT_THAT(lines[1], HasSubstr("\"stored\":\"CAE=\""));
  EXPECT_THAT(err_.str(), HasSubstr("exported 2 records (positions 1-2) to "));
  EXPECT_FALSE(std::ifstream(file + ".partial").good());
  std::remove(file.c_str());
}

TEST_F(ClockCommandsTest, AFailedExportLeavesNoFile) {
  client_.export_pages = ExportPages();
  client_.FailNext("export", absl::DataLossError("position 2: changed"));
  const std::string file = ::testing::TempDir() + "/export-failed.jsonl";
  std::remove(file.c_str());
  EXPECT_EQ(Run({"export", "--out", file}), kExitRefused);
  EXPECT_FALSE(std::ifstream(file).good());
  EXPECT_FALSE(std::ifstream(file + ".partial").good());
  EXPECT_THAT(err_.str(), HasSubstr("DATA_LOSS): position 2: changed"));
}

TEST_F(ClockCommandsTest, ImportSendsTheExportedLinesAndPrintsTheDigest) {
  client_.export_pages = ExportPages();
  const std::string file = ::testing::TempDir() + "/import-test.jsonl";
  ASSERT_EQ(Run({"export", "--out", file}), kExitOk);
  client_.import_response.set_imported(2);
  client_.import_response.set_digest("2:" + std::string(64, 'b'));
  out_.str("");
  EXPECT_EQ(Run({"import", file}), kExitOk);
  int sent = 0;
  for (const v1::ImportLogRequest& page : client_.import_pages) {
    sent += page.records_size();
  }
  ASSERT_EQ(sent, 2);
  EXPECT_EQ(client_.import_pages[0].records(0).SerializeAsString(),
            client_.export_pages[0].records(0).SerializeAsString());
  EXPECT_EQ(out_.str(), "imported 2 records; digest 2:" +
                            std::string(64, 'b') + "\n");
  std::remove(file.c_str());
}

TEST_F(ClockCommandsTest, AnImportWithAMalformedLineNamesItAndImportsNothing) {
  const std::string file = ::testing::TempDir() + "/import-bad.jsonl";
  {
    std::ofstream out(file);
    out << "{\"position\":\"1\"}\n\n{\"position\":\"2\",\"stord\":\"\"}\n";
  }
  EXPECT_EQ(Run({"import", file}), kExitDataError);
  EXPECT_THAT(err_.str(), HasSubstr("import-bad.jsonl:3: not an exported record"));
  EXPECT_THAT(err_.str(), HasSubstr("nothing was imported"));
  EXPECT_EQ(out_.str(), "");
  EXPECT_EQ(Run({"import", file + ".missing"}), kExitNoInput);
  std::remove(file.c_str());
}

TEST_F(ClockCommandsTest, FindSendsTheReferenceAndPrintsTheCase) {
  v1::CaseSummary* c = client_.found.add_cases();
  c->set_case_id("E06000035-5f1c2a9e0b7d4c31");
  c->set_la_code("E06000035");
  c->set_case_reference("MED-2001");
  c->set_stage(v1::CASE_STAGE_ASSESSING);
  EXPECT_EQ(Run({"find", "--la", "E06000035", "--ref", "MED-2001"}), kExitOk);
  ASSERT_EQ(client_.find_requests.size(), 1u);
  EXPECT_EQ(client_.find_requests[0].la_code(), "E06000035");
  EXPECT_EQ(client_.find_requests[0].case_reference(), "MED-2001");
  EXPECT_THAT(out_.str(),
              HasSubstr("\nE06000035-5f1c2a9e0b7d4c31  MED-2001  E06000035  "
                        "assessing\n"));
  EXPECT_EQ(Run({"--json", "find", "--la", "E06000035", "--ref", "MED-2001"}),
            kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("\"caseReference\": \"MED-2001\""));
  client_.FailNext("find", absl::NotFoundError(
                               "no case with reference \"X\" in LA E06000035"));
  EXPECT_EQ(Run({"find", "--la", "E06000035", "--ref", "X"}), kExitRefused);
  EXPECT_THAT(err_.str(), HasSubstr("no case with reference"));
}

TEST_F(ClockCommandsTest, CasesSendsTheStagesAndFollowsPages) {
  v1::ListCasesResponse p1, p2;
  v1::CaseSummary* a = p1.add_cases();
  a->set_case_id("E06000035-a");
  a->set_la_code("E06000035");
  a->set_case_reference("MED-1");
  a->set_stage(v1::CASE_STAGE_ASSESSING);
  p1.set_next_page_token("p2");
  v1::CaseSummary* b = p2.add_cases();
  b->set_case_id("E06000035-b");
  b->set_la_code("E06000035");
  b->set_case_reference("MED-2");
  b->set_stage(v1::CASE_STAGE_DRAFT_ISSUED);
  client_.case_pages = {{"", p1}, {"p2", p2}};
  EXPECT_EQ(Run({"cases", "--la", "E06000035", "--stage",
                 "assessing,draft-issued", "--page-size", "1"}),
            kExitOk);
  ASSERT_EQ(client_.cases_requests.size(), 1u);
  EXPECT_THAT(client_.cases_requests[0].stages(),
              ElementsAre(v1::CASE_STAGE_ASSESSING,
                          v1::CASE_STAGE_DRAFT_ISSUED));
  EXPECT_EQ(client_.cases_requests[0].page_size(), 1);
  EXPECT_THAT(out_.str(), HasSubstr("E06000035-a  MED-1  E06000035  assessing"));
  EXPECT_THAT(out_.str(), HasSubstr("--page-token p2\n"));
  EXPECT_EQ(Run({"cases", "--all"}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("draft issued\n2 cases (2 pages)\n"));
}

TEST_F(ClockCommandsTest, DueSendsTheWindowAndPrintsTheDeadlines) {
  v1::ListDeadlinesResponse page;
  page.set_as_of("2025-09-01");
  page.set_due_from("2025-09-01");
  page.set_due_to("2025-09-30");
  v1::Clock* c = page.add_clocks();
  c->set_case_id("E06000035-a");
  c->set_case_reference("MED-1");
  c->set_la_code("E06000035");
  c->set_clock_id("advice");
  c->set_instance("EP1");
  c->set_due_on("2025-09-10");
  c->set_status(v1::CLOCK_STATUS_PENDING);
  c->set_days_remaining(9);
  client_.due_pages = {{"", page}};
  EXPECT_EQ(Run({"due", "--la", "E06000035", "--to", "2025-09-30", "--as-of",
                 "2025-09-01"}),
            kExitOk);
  ASSERT_EQ(client_.due_requests.size(), 1u);
  EXPECT_EQ(client_.due_requests[0].due_from(), "");
  EXPECT_EQ(client_.due_requests[0].due_to(), "2025-09-30");
  EXPECT_EQ(client_.due_requests[0].as_of(), "2025-09-01");
  EXPECT_THAT(out_.str(),
              StartsWith("Open deadlines due 2025-09-01 to 2025-09-30, as of "
                         "2025-09-01, E06000035 (Medway):\n"));
  EXPECT_THAT(out_.str(), HasSubstr("E06000035-a  MED-1  E06000035  advice  "));
  EXPECT_THAT(out_.str(), HasSubstr("in 9\n1 clock\n"));
  EXPECT_FALSE(
      ParseInvocation({"due", "--from", "2025-10-01", "--to", "2025-09-30"}, "")
          .ok());
  EXPECT_FALSE(ParseInvocation({"cases", "--stage", "drafting"}, "").ok());
  EXPECT_FALSE(ParseInvocation({"find", "--la", "E06000035"}, "").ok());
}

}  // namespace
}  // namespace ehcp::tools
