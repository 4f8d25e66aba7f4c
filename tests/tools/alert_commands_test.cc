// The alert commands (alerts, today) against a fake AlertService and
// AdminService, and their arguments and rendering.
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/tools/fake_case_client.h"
#include "tools/internal/cli_args.h"
#include "tools/internal/commands.h"
#include "tools/internal/render.h"

namespace ehcp::tools {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

using fakes::FakeCaseClient;

// Alert `sequence` of council `la`: alternately BREACHED and DUE_SOON.
v1::Alert MakeAlert(uint64_t sequence, const std::string& la) {
  v1::Alert a;
  a.set_sequence(sequence);
  a.set_kind(sequence % 2 == 1 ? v1::ALERT_KIND_BREACHED
                               : v1::ALERT_KIND_DUE_SOON);
  a.set_day("2025-03-04");
  a.set_position(static_cast<int64_t>(sequence) * 10);
  a.set_case_id(absl::StrCat(la, "-case", sequence));
  a.set_case_reference(absl::StrCat("REF-", sequence));
  a.set_la_code(la);
  a.set_clock_id("final_plan_20w");
  a.set_instance("1");
  a.set_due("2025-03-03");
  if (a.kind() == v1::ALERT_KIND_BREACHED) {
    a.set_days_late(1);
  } else {
    a.set_days_remaining(12);
  }
  return a;
}

class AlertCommandsTest : public ::testing::Test {
 protected:
  void AddAlerts(int n) {
    for (int i = 1; i <= n; ++i) {
      client_.alerts.push_back(
          MakeAlert(i, i % 3 == 0 ? "E10000016" : "E06000035"));
    }
  }

  int Run(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    absl::StatusOr<Invocation> inv = ParseInvocation(args, "");
    EXPECT_TRUE(inv.ok()) << inv.status();
    if (!inv.ok()) return -1;
    return RunCommand(*inv, client_, out_, err_, &cancel_);
  }

  // The sequence numbers of the JSON lines printed.
  std::vector<uint64_t> PrintedSequences() const {
    std::vector<uint64_t> out;
    for (absl::string_view line :
         absl::StrSplit(out_.str(), '\n', absl::SkipEmpty())) {
      v1::Alert a;
      EXPECT_TRUE(
          google::protobuf::util::JsonStringToMessage(std::string(line), &a)
              .ok())
          << line;
      out.push_back(a.sequence());
    }
    return out;
  }

  FakeCaseClient client_;
  Cancellation cancel_;
  std::ostringstream out_, err_;
};

TEST(AlertArgsTest, KindsAreReadByNameInAnyCaseAndRepeatable) {
  absl::StatusOr<Invocation> inv =
      ParseInvocation({"alerts", "--kind", "due-soon,BREACHED", "--kind",
                       "alert_kind_resolved", "--from", "7", "--follow", "--la",
                       "E06000035", "--clock", "annual_review"},
                      "");
  ASSERT_TRUE(inv.ok()) << inv.status();
  const auto& a = std::get<AlertsArgs>(inv->args);
  EXPECT_THAT(a.kinds,
              ElementsAre(v1::ALERT_KIND_DUE_SOON, v1::ALERT_KIND_BREACHED,
                          v1::ALERT_KIND_RESOLVED));
  EXPECT_EQ(a.from_sequence, 7u);
  EXPECT_TRUE(a.follow);
  EXPECT_EQ(a.la_code, "E06000035");
  EXPECT_THAT(a.clock_ids, ElementsAre("annual_review"));
}

TEST(AlertArgsTest, MistakesAreNamedBeforeAnyCall) {
  absl::StatusOr<Invocation> kind =
      ParseInvocation({"alerts", "--kind", "late"}, "");
  ASSERT_FALSE(kind.ok());
  EXPECT_THAT(kind.status().message(),
              HasSubstr("--kind: no kind \"late\" (kinds: DUE_SOON, BREACHED, "
                        "RESOLVED, WITHDRAWN)"));
  absl::StatusOr<Invocation> from =
      ParseInvocation({"alerts", "--from", "0"}, "");
  ASSERT_FALSE(from.ok());
  EXPECT_THAT(from.status().message(), HasSubstr("--from needs an alert"));
  absl::StatusOr<Invocation> both =
      ParseInvocation({"today", "--set", "2025-01-01", "--advance", "3"}, "");
  ASSERT_FALSE(both.ok());
  EXPECT_THAT(both.status().message(), HasSubstr("not both"));
  absl::StatusOr<Invocation> bad_day =
      ParseInvocation({"today", "--set", "2025-02-29"}, "");
  ASSERT_FALSE(bad_day.ok());
  EXPECT_THAT(bad_day.status().message(), HasSubstr("--set needs a date"));
  absl::StatusOr<Invocation> far =
      ParseInvocation({"today", "--advance", "3661"}, "");
  ASSERT_FALSE(far.ok());
  EXPECT_THAT(far.status().message(), HasSubstr("from 1 to 3660"));
}

TEST(AlertRenderTest, ALineSaysWhatWhenWhichClockAndHowLate) {
  EXPECT_EQ(AlertLine(MakeAlert(1, "E06000035")),
            "#1  2025-03-04  BREACHED   E06000035  REF-1  final_plan_20w#1  "
            "due 2025-03-03  1 day late  E06000035-case1");
  EXPECT_EQ(AlertLine(MakeAlert(2, "E06000035")),
            "#2  2025-03-04  DUE_SOON   E06000035  REF-2  final_plan_20w#1  "
            "due 2025-03-03  12 days left  E06000035-case2");
  v1::Alert withdrawn = MakeAlert(3, "E06000035");
  withdrawn.set_kind(v1::ALERT_KIND_WITHDRAWN);
  EXPECT_THAT(AlertLine(withdrawn), HasSubstr("WITHDRAWN  "));
  EXPECT_EQ(AlertKindName(static_cast<v1::AlertKind>(9)), "unknown (9)");
}

TEST_F(AlertCommandsTest, ListingPagesToTheEndAndSaysWhereToResume) {
  AddAlerts(2500);
  ASSERT_EQ(Run({"alerts", "--from", "3"}), kExitOk) << err_.str();
  const std::vector<std::string> lines =
      absl::StrSplit(out_.str(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2498u + 1);
  EXPECT_THAT(lines.front(), HasSubstr("#3  "));
  EXPECT_THAT(lines[lines.size() - 2], HasSubstr("#2500  "));
  EXPECT_EQ(lines.back(),
            "2498 alerts from #3; the last raised is #2500. For what follows: "
            "ehcpctl alerts --from 2501 [--follow]");
  ASSERT_EQ(client_.alert_requests.size(), 3u);  // pages of 1,000
  EXPECT_EQ(client_.alert_requests[1].from_sequence(), 1003u);
}

TEST_F(AlertCommandsTest, AFilteredJsonListingIsOneAlertPerLineAndNothingElse) {
  AddAlerts(9);
  ASSERT_EQ(Run({"--json", "alerts", "--la", "E10000016", "--kind", "breached",
                 "--clock", "final_plan_20w"}),
            kExitOk)
      << err_.str();
  EXPECT_THAT(PrintedSequences(), ElementsAre(3, 6, 9));  // by LA in the fake
  ASSERT_EQ(client_.alert_requests.size(), 1u);
  const v1::AlertFilter& f = client_.alert_requests[0].filter();
  EXPECT_EQ(f.la_code(), "E10000016");
  EXPECT_THAT(f.kinds(), ElementsAre(v1::ALERT_KIND_BREACHED));
  EXPECT_THAT(f.clock_ids(), ElementsAre("final_plan_20w"));
}

TEST_F(AlertCommandsTest, NoAlertsIsSaidPlainly) {
  ASSERT_EQ(Run({"alerts"}), kExitOk);
  EXPECT_EQ(out_.str(),
            "no alerts from #1; the last raised is #0. For what follows: "
            "ehcpctl alerts --from 1 [--follow]\n");
}

TEST_F(AlertCommandsTest, FollowingResumesAfterTheLastAlertPrintedOnALostLink) {
  AddAlerts(10);
  client_.watch_breaks = {4, 0, 3};  // drops after 4, at once, after 3
  ASSERT_EQ(Run({"--json", "alerts", "--follow", "--from", "2"}), kExitOk)
      << err_.str();
  std::vector<uint64_t> expected;
  for (uint64_t s = 2; s <= 10; ++s) expected.push_back(s);
  EXPECT_THAT(PrintedSequences(), ElementsAreArray(expected));
  EXPECT_THAT(client_.watched_from, ElementsAre(2, 6, 6, 9));
  EXPECT_THAT(err_.str(), HasSubstr("lost ehcpd at fake:0"));
  EXPECT_THAT(err_.str(), HasSubstr("from alert #6"));
}

TEST_F(AlertCommandsTest, FollowingAServerThatCannotBeReachedFailsAtOnce) {
  client_.FailNext("alert_status",
                   ConnectionFailure(absl::StatusCode::kUnavailable,
                                     "cannot reach ehcpd at fake:0"));
  EXPECT_EQ(Run({"alerts", "--follow"}), kExitUnreachable);
  EXPECT_THAT(client_.watched_from, IsEmpty());
  EXPECT_THAT(err_.str(), HasSubstr("cannot reach ehcpd"));
}

TEST_F(AlertCommandsTest, TodayMovesASimulatedDateAndShowsTheSchedulersDay) {
  client_.today.set_today("2025-03-01");
  client_.today.set_simulated(true);
  client_.alert_status.set_day("2025-03-01");
  AddAlerts(4);
  ASSERT_EQ(Run({"today", "--set", "2025-04-01"}), kExitOk) << err_.str();
  ASSERT_EQ(client_.set_today_requests.size(), 1u);
  EXPECT_EQ(client_.set_today_requests[0].today(), "2025-04-01");
  EXPECT_THAT(out_.str(), HasSubstr("today 2025-04-01 (simulated"));
  EXPECT_THAT(out_.str(), HasSubstr("the last is #4"));
  ASSERT_EQ(Run({"--json", "today", "--advance", "5"}), kExitOk);
  EXPECT_EQ(client_.set_today_requests[1].advance_days(), 5);
  EXPECT_EQ(out_.str(),
            "{\"today\":\"2025-04-01\",\"simulated\":true,\"alert_day\":"
            "\"2025-03-01\",\"alert_last_sequence\":4}\n");
}

TEST_F(AlertCommandsTest, ARefusedDateIsOneLineAndExit1) {
  client_.FailNext("set_today",
                   absl::FailedPreconditionError(
                       "today: ehcpd follows the real date (start it with "
                       "--today to simulate one)"));
  EXPECT_EQ(Run({"today", "--advance", "1"}), kExitRefused);
  EXPECT_THAT(err_.str(), HasSubstr("refused (FAILED_PRECONDITION)"));
  EXPECT_EQ(out_.str(), "");
}

}  // namespace
}  // namespace ehcp::tools
