#include "tools/internal/event_files.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ehcp::tools {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// gMock's string matchers take std::string.
std::string Msg(const absl::Status& status) {
  return std::string(status.message());
}

constexpr absl::string_view kTwoEvents = R"json([
  {"occurredOn": "2024-01-08",
   "payload": {"requestReceived": {"source": "REQUEST_SOURCE_PARENT"}}},
  {"occurred_on": "2024-02-16", "correlationId": "c-1",
   "payload": {"assessment_decision":
                 {"outcome": "ASSESSMENT_DECISION_OUTCOME_ASSESS"}}}
])json";

TEST(EventFilesTest, ParsesAnArrayInEitherFieldSpelling) {
  absl::StatusOr<std::vector<v1::ProposedEvent>> events =
      ParseEventsJson(kTwoEvents, "events.json");
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].occurred_on(), "2024-01-08");
  EXPECT_EQ((*events)[0].payload().request_received().source(),
            v1::REQUEST_SOURCE_PARENT);
  EXPECT_EQ((*events)[1].correlation_id(), "c-1");
  EXPECT_EQ((*events)[1].payload().assessment_decision().outcome(),
            v1::ASSESSMENT_DECISION_OUTCOME_ASSESS);
}

TEST(EventFilesTest, ParsesAnEventsObjectAndAJourneyFile) {
  const std::string object = absl::StrCat("{\"events\": ", kTwoEvents, "}");
  EXPECT_EQ(ParseEventsJson(object, "f")->size(), 2u);
  const std::string journey = absl::StrCat(
      "{\"la_code\": \"E06000035\", \"caseReference\": \"MED-1\", "
      "\"events\": ",
      kTwoEvents, "}");
  EXPECT_EQ(ParseEventsJson(journey, "f")->size(), 2u);
}

TEST(EventFilesTest, NumbersAndEmptyMessagesSurviveTheRoundTrip) {
  absl::StatusOr<std::vector<v1::ProposedEvent>> events = ParseEventsJson(
      R"([{"occurredOn": "2024-09-02", "payload": {"phaseTransferIdentified":
            {"kind": "PHASE_TRANSFER_KIND_PRIMARY_TO_SECONDARY",
             "transferYear": 2025}}},
          {"occurredOn": "2024-09-03", "payload": {"draftPlanServed": {}}}])",
      "f");
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_EQ((*events)[0].payload().phase_transfer_identified().transfer_year(),
            2025);
  EXPECT_TRUE((*events)[1].payload().has_draft_plan_served());
}

TEST(EventFilesTest, AnElementErrorNamesFileIndexAndProtobufMessage) {
  absl::StatusOr<std::vector<v1::ProposedEvent>> events = ParseEventsJson(
      R"([{"occurredOn": "2024-01-08", "payload": {"draftPlanServed": {}}},
          {"occurredOn": "2024-01-09",
           "payload": {"requestReceived": {"source": "REQUEST_SOURCE_MUM"}}}])",
      "bad.json");
  ASSERT_TRUE(absl::IsInvalidArgument(events.status())) << events.status();
  EXPECT_THAT(Msg(events.status()), StartsWith("bad.json: events[1]: "));
  EXPECT_THAT(Msg(events.status()), HasSubstr("REQUEST_SOURCE_MUM"));
  EXPECT_THAT(Msg(events.status()), ::testing::Not(HasSubstr("\n")));
}

TEST(EventFilesTest, MisspeltFieldsAreErrors) {
  absl::StatusOr<std::vector<v1::ProposedEvent>> events = ParseEventsJson(
      R"([{"occuredOn": "2024-01-08", "payload": {"draftPlanServed": {}}}])",
      "f.json");
  ASSERT_FALSE(events.ok());
  EXPECT_THAT(Msg(events.status()), StartsWith("f.json: events[0]: "));
  EXPECT_THAT(Msg(events.status()), HasSubstr("occuredOn"));
}

TEST(EventFilesTest, ShapeErrorsSayWhatWasExpected) {
  EXPECT_THAT(Msg(ParseEventsJson("[1, 2", "f").status()),
              HasSubstr("f: not valid JSON"));
  EXPECT_EQ(Msg(ParseEventsJson("{\"events\": x}", "f").status()),
            "f: not valid JSON: Unexpected token. (at \"x}\")");
  EXPECT_THAT(Msg(ParseEventsJson("\"x\"", "f").status()),
              HasSubstr("expected a JSON array"));
  EXPECT_THAT(Msg(ParseEventsJson("[]", "f").status()), HasSubstr("no events"));
  EXPECT_THAT(Msg(ParseEventsJson("[3]", "f").status()),
              HasSubstr("events[0]: not a JSON object"));
  EXPECT_THAT(Msg(ParseEventsJson("{\"evnts\": []}", "f").status()),
              HasSubstr("unknown key \"evnts\""));
  EXPECT_THAT(Msg(ParseEventsJson("{\"events\": {}}", "f").status()),
              HasSubstr("not a JSON array"));
}

TEST(EventFilesTest, ParsesAJourney) {
  absl::StatusOr<Journey> j = ParseJourneyJson(
      absl::StrCat(R"({"la_code": "E06000035", "case_reference": "MED-0001",
                      "birthMonth": "2012-03", "opened_on": "2023-12-01",
                      "events": )",
                   kTwoEvents, "}"),
      "j.json");
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_EQ(j->source, "j.json");
  EXPECT_EQ(j->la_code, "E06000035");
  EXPECT_EQ(j->case_reference, "MED-0001");
  EXPECT_EQ(j->birth_month, "2012-03");
  EXPECT_EQ(j->opened_on, "2023-12-01");
  EXPECT_EQ(j->events.size(), 2u);
}

TEST(EventFilesTest, JourneyErrorsNameTheFile) {
  EXPECT_THAT(Msg(ParseJourneyJson("[]", "j.json").status()),
              StartsWith("j.json: a journey is a JSON object"));
  EXPECT_THAT(Msg(ParseJourneyJson(R"({"case_reference": "R", "events": [{}]})",
                                   "j.json")
                      .status()),
              HasSubstr("no \"la_code\""));
  EXPECT_THAT(Msg(ParseJourneyJson(R"({"la_code": 6, "case_reference": "R",
                                   "events": [{}]})",
                                   "j.json")
                      .status()),
              HasSubstr("\"la_code\" is not a string"));
}

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(FilesTest, ReadInputReadsFilesAndNamesMissingOnes) {
  const std::string path = Write("a.json", "[1]");
  EXPECT_EQ(*ReadInput(path), "[1]");
  absl::StatusOr<std::string> missing = ReadInput((dir_ / "nope").string());
  EXPECT_TRUE(absl::IsNotFound(missing.status()));
  EXPECT_THAT(Msg(missing.status()), HasSubstr("nope"));
  EXPECT_TRUE(absl::IsFailedPrecondition(ReadInput(dir_.string()).status()));
}

TEST_F(FilesTest, ListJsonFilesSortsAndSkipsOtherFiles) {
  const std::string b = Write("b.json", "{}");
  const std::string a = Write("a.json", "{}");
  Write("README.md", "#");
  std::filesystem::create_directories(dir_ / "sub.json");
  EXPECT_THAT(*ListJsonFiles(dir_.string()), ElementsAre(a, b));
  EXPECT_THAT(*ListJsonFiles(b), ElementsAre(b));
  EXPECT_TRUE(absl::IsNotFound(ListJsonFiles((dir_ / "x").string()).status()));
}

TEST_F(FilesTest, ADirectoryWithoutJsonIsNotFound) {
  Write("README.md", "#");
  EXPECT_TRUE(absl::IsNotFound(ListJsonFiles(dir_.string()).status()));
}

}  // namespace
}  // namespace ehcp::tools
