#include "tools/internal/cli_args.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ehcp::tools {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<Invocation> Parse(std::vector<std::string> args,
                                 absl::string_view env_server = "") {
  return ParseInvocation(args, env_server);
}

std::string UsageError(std::vector<std::string> args) {
  absl::StatusOr<Invocation> inv = Parse(std::move(args));
  EXPECT_FALSE(inv.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(inv.status())) << inv.status();
  return std::string(inv.status().message());
}

TEST(CliArgsTest, DefaultsWhenNoFlagsOrEnvironment) {
  absl::StatusOr<Invocation> inv = Parse({"show", "C1"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->global.server, "127.0.0.1:50051");
  EXPECT_EQ(inv->global.timeout, absl::Seconds(10));
  EXPECT_FALSE(inv->global.json);
  EXPECT_EQ(inv->command, "show");
  EXPECT_EQ(std::get<ShowArgs>(inv->args).case_id, "C1");
}

TEST(CliArgsTest, EnvironmentServerIsTheDefaultAndFlagWins) {
  EXPECT_EQ(Parse({"show", "C1"}, "10.0.0.5:7000")->global.server,
            "10.0.0.5:7000");
  EXPECT_EQ(
      Parse({"--server", "h:1", "show", "C1"}, "10.0.0.5:7000")->global.server,
      "h:1");
}

TEST(CliArgsTest, GlobalFlagsGoBeforeOrAfterTheCommandInBothSpellings) {
  absl::StatusOr<Invocation> inv =
      Parse({"--timeout=2.5", "show", "C1", "--json", "--server", "h:9"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->global.timeout, absl::Milliseconds(2500));
  EXPECT_TRUE(inv->global.json);
  EXPECT_EQ(inv->global.server, "h:9");
}

TEST(CliArgsTest, OpenTakesItsFlags) {
  absl::StatusOr<Invocation> inv =
      Parse({"open", "--la", "E06000035", "--ref=MED-0001", "--birth-month",
             "2012-03", "--opened-on=2024-01-02"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  const OpenArgs& a = std::get<OpenArgs>(inv->args);
  EXPECT_EQ(a.la_code, "E06000035");
  EXPECT_EQ(a.case_reference, "MED-0001");
  EXPECT_EQ(a.birth_month, "2012-03");
  EXPECT_EQ(a.opened_on, "2024-01-02");
}

TEST(CliArgsTest, OpenNeedsCouncilAndReference) {
  EXPECT_THAT(UsageError({"open", "--ref", "R"}), HasSubstr("--la"));
  EXPECT_THAT(UsageError({"open", "--la", "E06000035"}), HasSubstr("--ref"));
}

TEST(CliArgsTest, AppendTakesCaseFileAndOptionalVersionAndKey) {
  absl::StatusOr<Invocation> inv =
      Parse({"append", "C1", "-", "--expected-version", "3",
             "--idempotency-key=k-1"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  const AppendArgs& a = std::get<AppendArgs>(inv->args);
  EXPECT_EQ(a.case_id, "C1");
  EXPECT_EQ(a.file, "-");
  EXPECT_EQ(a.expected_version, 3);
  EXPECT_EQ(a.idempotency_key, "k-1");

  const AppendArgs b =
      std::get<AppendArgs>(Parse({"append", "C1", "f.json"})->args);
  EXPECT_FALSE(b.expected_version.has_value());
  EXPECT_EQ(b.idempotency_key, "");
}

TEST(CliArgsTest, MalformedNumbersAreUsageErrors) {
  EXPECT_THAT(UsageError({"append", "C1", "f", "--expected-version", "x"}),
              HasSubstr("--expected-version"));
  EXPECT_THAT(UsageError({"append", "C1", "f", "--expected-version=-1"}),
              HasSubstr(">= 0"));
  EXPECT_THAT(UsageError({"tail", "--from", "1e3"}), HasSubstr("--from"));
  EXPECT_THAT(UsageError({"--timeout", "0", "tail"}), HasSubstr("--timeout"));
  EXPECT_THAT(UsageError({"--timeout", "soon", "tail"}),
              HasSubstr("--timeout"));
}

TEST(CliArgsTest, TailDefaultsToTheStartWithoutFollowing) {
  const TailArgs a = std::get<TailArgs>(Parse({"tail"})->args);
  EXPECT_EQ(a.from_position, 1);
  EXPECT_FALSE(a.follow);
  const TailArgs b =
      std::get<TailArgs>(Parse({"tail", "--from=120", "--follow"})->args);
  EXPECT_EQ(b.from_position, 120);
  EXPECT_TRUE(b.follow);
  EXPECT_EQ(
      std::get<TailArgs>(Parse({"tail", "--from", "0"})->args).from_position,
      1);
}

TEST(CliArgsTest, WrongArgumentCountsShowTheUsage) {
  EXPECT_THAT(UsageError({"show"}),
              HasSubstr("show takes 1 argument, 0 given"));
  EXPECT_THAT(UsageError({"append", "C1"}), HasSubstr("ehcpctl append"));
  EXPECT_THAT(UsageError({"load", "a", "b"}), HasSubstr("2 given"));
}

TEST(CliArgsTest, UnknownCommandsAndFlagsAreNamed) {
  EXPECT_THAT(UsageError({"frobnicate"}),
              HasSubstr("no command \"frobnicate\""));
  EXPECT_THAT(UsageError({"show", "C1", "--colour"}),
              HasSubstr("unknown flag --colour for show"));
  // A command's flag before the command is not known yet.
  EXPECT_THAT(UsageError({"--la", "E06000035", "open"}),
              HasSubstr("unknown flag --la"));
  EXPECT_THAT(UsageError({"show", "-x", "C1"}), HasSubstr("unknown flag -x"));
}

TEST(CliArgsTest, FlagValuesAndRepeatsAreChecked) {
  EXPECT_THAT(UsageError({"open", "--la"}), HasSubstr("--la needs a value"));
  EXPECT_THAT(UsageError({"tail", "--follow=yes"}),
              HasSubstr("--follow takes no value"));
  EXPECT_THAT(UsageError({"open", "--la", "A", "--la", "B", "--ref", "R"}),
              HasSubstr("--la given twice"));
}

TEST(CliArgsTest, DoubleDashEndsFlagsAndDashIsAnArgument) {
  absl::StatusOr<Invocation> inv = Parse({"show", "--", "--odd-id"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(std::get<ShowArgs>(inv->args).case_id, "--odd-id");
  EXPECT_EQ(std::get<AppendArgs>(Parse({"append", "C1", "-"})->args).file, "-");
}

TEST(CliArgsTest, HelpInEveryForm) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {}, {"--help"}, {"-h"}, {"help"}}) {
    absl::StatusOr<Invocation> inv = Parse(args);
    ASSERT_TRUE(inv.ok()) << inv.status();
    EXPECT_EQ(inv->command, "help");
    EXPECT_EQ(std::get<HelpArgs>(inv->args).topic, "");
  }
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {"open", "--help"}, {"help", "open"}, {"open", "-h"}}) {
    absl::StatusOr<Invocation> inv = Parse(args);
    ASSERT_TRUE(inv.ok()) << inv.status();
    EXPECT_EQ(std::get<HelpArgs>(inv->args).topic, "open");
  }
}

TEST(CliArgsTest, HelpWinsOverOtherUsageErrors) {
  absl::StatusOr<Invocation> inv = Parse({"open", "--bogus", "--help"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(std::get<HelpArgs>(inv->args).topic, "open");
  EXPECT_THAT(UsageError({"help", "nonsense"}), HasSubstr("no command"));
}

TEST(CliArgsTest, HelpHintNamesTheCommand) {
  EXPECT_EQ(HelpHint({"open", "--la"}), "ehcpctl open --help");
  EXPECT_EQ(HelpHint({"--bogus"}), "ehcpctl --help");
}

TEST(CliArgsTest, EveryCommandHasHelpWithUsageAndExamples) {
  for (absl::string_view name : CommandNames()) {
    const std::string text = HelpText(name);
    EXPECT_THAT(text, HasSubstr(absl::StrCat("Usage: ehcpctl ", name))) << name;
    EXPECT_THAT(text, HasSubstr("Examples:")) << name;
  }
  EXPECT_THAT(HelpText(""), HasSubstr("Exit status"));
}

TEST(CliArgsTest, ClocksTakesACaseAndOptionalDateAndInstant) {
  absl::StatusOr<Invocation> inv =
      Parse({"clocks", "C1", "--as-of", "2025-09-01", "--as-known-at",
             "2025-01-01T09:00:00Z"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->command, "clocks");
  const ClocksArgs& a = std::get<ClocksArgs>(inv->args);
  EXPECT_EQ(a.case_id, "C1");
  EXPECT_EQ(a.as_of, "2025-09-01");
  ASSERT_TRUE(a.as_known_at.has_value());
  EXPECT_EQ(*a.as_known_at, absl::FromUnixSeconds(1735722000));

  const ClocksArgs b = std::get<ClocksArgs>(Parse({"clocks", "C1"})->args);
  EXPECT_EQ(b.as_of, "");
  EXPECT_FALSE(b.as_known_at.has_value());
}

TEST(CliArgsTest, AsKnownAtTakesOffsetsAndFractions) {
  const ClocksArgs a = std::get<ClocksArgs>(
      Parse({"clocks", "C1", "--as-known-at=2025-06-01T10:00:00.25+01:00"})
          ->args);
  EXPECT_EQ(*a.as_known_at,
            absl::FromUnixSeconds(1748768400) + absl::Milliseconds(250));
}

TEST(CliArgsTest, DatesAndInstantsAreCheckedBeforeAnyCall) {
  EXPECT_THAT(UsageError({"clocks", "C1", "--as-of", "2025-02-30"}),
              HasSubstr("--as-of needs a date YYYY-MM-DD, not \"2025-02-30\""));
  EXPECT_THAT(UsageError({"clocks", "C1", "--as-of", "1/9/2025"}),
              HasSubstr("--as-of needs a date"));
  EXPECT_THAT(UsageError({"clocks", "C1", "--as-of", "2025-9-1"}),
              HasSubstr("--as-of needs a date"));
  EXPECT_THAT(UsageError({"clocks", "C1", "--as-known-at", "2025-01-01"}),
              HasSubstr("--as-known-at needs an RFC 3339 instant"));
  EXPECT_THAT(
      UsageError({"clocks", "C1", "--as-known-at", "2025-01-01T09:00:00"}),
      HasSubstr("with its zone"));
  EXPECT_THAT(UsageError({"breaches", "--due-from", "tomorrow"}),
              HasSubstr("--due-from needs a date"));
  EXPECT_THAT(UsageError({"backlog", "--as-of", "2025-13-01"}),
              HasSubstr("--as-of needs a date"));
  EXPECT_THAT(UsageError({"clocks"}),
              HasSubstr("clocks takes 1 argument, 0 given"));
}

TEST(CliArgsTest, BreachesDefaultsToEveryCouncilClockAndLateStatus) {
  absl::StatusOr<Invocation> inv = Parse({"breaches"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  const BreachesArgs& a = std::get<BreachesArgs>(inv->args);
  EXPECT_EQ(a.la_code, "");
  EXPECT_TRUE(a.clock_ids.empty());
  EXPECT_TRUE(a.statuses.empty());
  EXPECT_EQ(a.page_size, 0);
  EXPECT_EQ(a.page_token, "");
  EXPECT_FALSE(a.all);
}

TEST(CliArgsTest, BreachesClocksAndStatusesRepeatOrTakeCommas) {
  absl::StatusOr<Invocation> inv = Parse({"breaches",
                                          "--la",
                                          "E06000035",
                                          "--clock",
                                          "final_plan_20w,advice",
                                          "--clock=annual_review",
                                          "--status",
                                          "breached",
                                          "--status",
                                          "CLOCK_STATUS_OVERDUE, excused",
                                          "--status",
                                          "not-applicable",
                                          "--status",
                                          "BREACHED",
                                          "--due-from",
                                          "2024-01-01",
                                          "--due-to",
                                          "2024-12-31",
                                          "--as-of",
                                          "2025-01-31",
                                          "--page-size",
                                          "50",
                                          "--page-token",
                                          "tok",
                                          "--all"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  const BreachesArgs& a = std::get<BreachesArgs>(inv->args);
  EXPECT_EQ(a.la_code, "E06000035");
  EXPECT_THAT(a.clock_ids, ::testing::ElementsAre("final_plan_20w", "advice",
                                                  "annual_review"));
  // In the order given, each once.
  EXPECT_THAT(a.statuses,
              ::testing::ElementsAre(
                  v1::CLOCK_STATUS_BREACHED, v1::CLOCK_STATUS_OVERDUE,
                  v1::CLOCK_STATUS_EXCUSED, v1::CLOCK_STATUS_NOT_APPLICABLE));
  EXPECT_EQ(a.due_from, "2024-01-01");
  EXPECT_EQ(a.due_to, "2024-12-31");
  EXPECT_EQ(a.as_of, "2025-01-31");
  EXPECT_EQ(a.page_size, 50);
  EXPECT_EQ(a.page_token, "tok");
  EXPECT_TRUE(a.all);
}

TEST(CliArgsTest, BreachesFlagValuesAreChecked) {
  EXPECT_THAT(UsageError({"breaches", "--status", "late"}),
              HasSubstr("no status \"late\" (statuses: PENDING, MET, "
                        "BREACHED, OVERDUE, EXCUSED, NOT_APPLICABLE)"));
  EXPECT_THAT(UsageError({"breaches", "--status", "unspecified"}),
              HasSubstr("no status"));
  EXPECT_THAT(UsageError({"breaches", "--clock", "advice,,x"}),
              HasSubstr("--clock has an empty value"));
  EXPECT_THAT(UsageError({"breaches", "--page-size", "0"}),
              HasSubstr("--page-size needs a whole number from 1 to 1000"));
  EXPECT_THAT(UsageError({"breaches", "--page-size", "1001"}),
              HasSubstr("--page-size"));
  EXPECT_THAT(UsageError({"breaches", "--due-from", "2024-02-01", "--due-to",
                          "2024-01-01"}),
              HasSubstr("--due-to 2024-01-01 is before --due-from"));
  EXPECT_THAT(UsageError({"breaches", "--la", "A", "--la", "B"}),
              HasSubstr("--la given twice"));
  EXPECT_THAT(UsageError({"breaches", "--la="}), HasSubstr("--la needs"));
  EXPECT_THAT(UsageError({"breaches", "--all=yes"}),
              HasSubstr("--all takes no value"));
  EXPECT_THAT(UsageError({"breaches", "E06000035"}),
              HasSubstr("breaches takes 0 arguments, 1 given"));
}

TEST(CliArgsTest, BacklogTakesCouncilDateAndCases) {
  const BacklogArgs a =
      std::get<BacklogArgs>(Parse({"backlog", "--la", "E10000016", "--as-of",
                                   "2025-09-01", "--cases"})
                                ->args);
  EXPECT_EQ(a.la_code, "E10000016");
  EXPECT_EQ(a.as_of, "2025-09-01");
  EXPECT_TRUE(a.cases);
  EXPECT_FALSE(std::get<BacklogArgs>(Parse({"backlog"})->args).cases);
}

TEST(CliArgsTest, TimelinessNeedsAYear) {
  const TimelinessArgs a = std::get<TimelinessArgs>(
      Parse({"timeliness", "--year", "2024", "--la", "E06000035"})->args);
  EXPECT_EQ(a.year, 2024);
  EXPECT_EQ(a.la_code, "E06000035");
  EXPECT_THAT(UsageError({"timeliness"}), HasSubstr("needs --year YYYY"));
  EXPECT_THAT(UsageError({"timeliness", "--year", "24"}),
              HasSubstr("--year needs a calendar year from 2014 to 2100"));
  EXPECT_THAT(UsageError({"timeliness", "--year", "2024a"}),
              HasSubstr("--year"));
}

TEST(CliArgsTest, ProjectionAndRebuildTakeNothing) {
  EXPECT_TRUE(
      std::holds_alternative<ProjectionArgs>(Parse({"projection"})->args));
  EXPECT_TRUE(std::holds_alternative<RebuildArgs>(Parse({"rebuild"})->args));
  EXPECT_THAT(UsageError({"rebuild", "now"}), HasSubstr("1 given"));
}

TEST(CliArgsTest, VerifyTakesARangeAndADigest) {
  absl::StatusOr<Invocation> all = Parse({"verify"});
  ASSERT_TRUE(all.ok()) << all.status();
  const auto& plain = std::get<VerifyArgs>(all->args);
  EXPECT_EQ(plain.from_position, 0);
  EXPECT_EQ(plain.to_position, 0);
  EXPECT_EQ(plain.against, "");
  EXPECT_EQ(all->global.call_timeout, absl::Seconds(600));
  absl::StatusOr<Invocation> range =
      Parse({"verify", "--from", "10", "--to=20", "--against", "7:ab"});
  ASSERT_TRUE(range.ok()) << range.status();
  const auto& v = std::get<VerifyArgs>(range->args);
  EXPECT_EQ(v.from_position, 10);
  EXPECT_EQ(v.to_position, 20);
  EXPECT_EQ(v.against, "7:ab");
  EXPECT_THAT(UsageError({"verify", "--from", "9", "--to", "3"}),
              HasSubstr("--to 3 is before --from 9"));
  EXPECT_THAT(UsageError({"verify", "--against", "abc"}),
              HasSubstr("--against needs a digest"));
  EXPECT_THAT(UsageError({"verify", "--to", "-1"}), HasSubstr("--to"));
  EXPECT_TRUE(std::holds_alternative<DigestArgs>(Parse({"digest"})->args));
  EXPECT_THAT(UsageError({"digest", "now"}), HasSubstr("1 given"));
}

TEST(CliArgsTest, RebuildWaitsLongerUnlessTimeoutSays) {
  absl::StatusOr<Invocation> rebuild = Parse({"rebuild"});
  EXPECT_EQ(rebuild->global.timeout, absl::Seconds(10));  // connecting
  EXPECT_EQ(rebuild->global.call_timeout, absl::Seconds(600));
  absl::StatusOr<Invocation> given = Parse({"--timeout", "30", "rebuild"});
  EXPECT_EQ(given->global.timeout, absl::Seconds(30));
  EXPECT_EQ(given->global.call_timeout, absl::Seconds(30));
  absl::StatusOr<Invocation> other = Parse({"breaches", "--timeout=2"});
  EXPECT_EQ(other->global.call_timeout, absl::Seconds(2));
  EXPECT_EQ(Parse({"projection"})->global.call_timeout, absl::Seconds(10));
}

TEST(CliArgsTest, BreachesCommandLineRepeatsTheQueryQuoted) {
  BreachesArgs a;
  EXPECT_EQ(BreachesCommandLine(a), "ehcpctl breaches");
  a.la_code = "E06000035";
  a.clock_ids = {"final_plan_20w", "advice"};
  a.statuses = {v1::CLOCK_STATUS_BREACHED, v1::CLOCK_STATUS_NOT_APPLICABLE};
  a.due_from = "2024-01-01";
  a.as_of = "2025-01-31";
  a.page_size = 50;
  a.page_token = "ab+/c=";
  EXPECT_EQ(BreachesCommandLine(a),
            "ehcpctl breaches --la E06000035 --clock final_plan_20w,advice "
            "--status BREACHED,NOT_APPLICABLE --due-from 2024-01-01 --as-of "
            "2025-01-31 --page-size 50 --page-token ab+/c=");
  a = BreachesArgs();
  a.page_token = "it's a token";
  EXPECT_EQ(BreachesCommandLine(a),
            "ehcpctl breaches --page-token 'it'\\''s a token'");
  // What it prints parses back to the same query.
  a.la_code = "E10000016";
  a.statuses = {v1::CLOCK_STATUS_OVERDUE};
  const BreachesArgs back =
      std::get<BreachesArgs>(Parse({"breaches", "--la", "E10000016", "--status",
                                    "OVERDUE", "--page-token", "it's a token"})
                                 ->args);
  EXPECT_EQ(BreachesCommandLine(back), BreachesCommandLine(a));
}

TEST(CliArgsTest, TheToolsHelpListsEveryCommand) {
  const std::string help = HelpText("");
  for (absl::string_view name : CommandNames()) {
    EXPECT_THAT(help, HasSubstr(absl::StrCat("\n  ", name, " "))) << name;
  }
  EXPECT_THAT(HelpText("rebuild"), HasSubstr("600 seconds"));
  EXPECT_THAT(HelpText("breaches"), HasSubstr("--page-token TOKEN"));
}

}  // namespace
}  // namespace ehcp::tools
