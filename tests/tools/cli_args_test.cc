#include "tools/cli_args.h"

#include <string>
#include <vector>

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

  const AppendArgs& b =
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
  const TailArgs& a = std::get<TailArgs>(Parse({"tail"})->args);
  EXPECT_EQ(a.from_position, 1);
  EXPECT_FALSE(a.follow);
  const TailArgs& b =
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

}  // namespace
}  // namespace ehcp::tools
