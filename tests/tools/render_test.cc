#include "tools/internal/render.h"

#include <string>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace ehcp::tools {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

template <typename M>
M FromText(const std::string& text) {
  M message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message))
      << text;
  return message;
}

v1::Event MakeEvent(const std::string& payload_text) {
  v1::Event e = FromText<v1::Event>(payload_text);
  e.set_case_id("E06000035-00112233aabbccdd");
  return e;
}

TEST(TableTest, AlignsColumnsWithoutTrailingSpaces) {
  Table t({"VER", "EVENT", "DETAILS"});
  t.AddRow({"1", "case opened", ""});
  t.AddRow({"10", "request received", "from parent"});
  EXPECT_EQ(t.Render(),
            "VER  EVENT             DETAILS\n"
            "---  ----------------  -----------\n"
            "1    case opened\n"
            "10   request received  from parent\n");
}

TEST(TableTest, CountsUtf8CodePointsAndFlattensControlCharacters) {
  Table t({"A", "B"});
  t.AddRow({"café", "x"});
  t.AddRow({"two\nlines", "y\tz"});
  EXPECT_EQ(t.Render(),
            "A          B\n"
            "---------  ---\n"
            "café       x\n"
            "two lines  y z\n");
}

TEST(TableTest, TheRuleUnderALongLastColumnStopsAtForty) {
  Table t({"A", "DETAILS"});
  t.AddRow({"1", std::string(50, 'x')});
  std::vector<std::string> lines = absl::StrSplit(t.Render(), '\n');
  EXPECT_EQ(lines[1], "-  " + std::string(40, '-'));
}

TEST(TableTest, PadsMissingCellsAndDropsExtraOnes) {
  Table t({"A", "B"});
  t.AddRow({"1"});
  t.AddRow({"2", "b", "extra"});
  EXPECT_EQ(t.rows(), 2u);
  EXPECT_THAT(t.Render(), Not(HasSubstr("extra")));
}

TEST(RenderTest, EnumWordsDropThePrefix) {
  EXPECT_EQ(EnumWords(v1::ReviewOutcome_descriptor(), v1::REVIEW_OUTCOME_AMEND),
            "amend");
  EXPECT_EQ(EnumWords(v1::AdviceBody_descriptor(),
                      v1::ADVICE_BODY_EDUCATIONAL_PSYCHOLOGIST),
            "educational psychologist");
  EXPECT_EQ(EnumWords(v1::ExceptionLimb_descriptor(),
                      v1::EXCEPTION_LIMB_REG10_4_C, /*keep_underscores=*/true),
            "reg10_4_c");
  EXPECT_EQ(EnumWords(v1::ReviewOutcome_descriptor(), 0), "unspecified");
  EXPECT_EQ(EnumWords(v1::ReviewOutcome_descriptor(), 99), "unknown (99)");
}

TEST(RenderTest, EventKindIsThePayloadFieldInWords) {
  EXPECT_EQ(EventKindWords(FromText<v1::EventPayload>("final_plan_issued {}")),
            "final plan issued");
  EXPECT_EQ(
      EventKindWords(FromText<v1::EventPayload>("representations_waived {}")),
      "representations waived");
  EXPECT_EQ(EventKindWords(v1::EventPayload()), "no payload");
}

TEST(RenderTest, DetailsNameTheKeyFacts) {
  EXPECT_EQ(
      EventDetails(MakeEvent(R"pb(payload {
                                    advice_requested {
                                      advice_id: "EP1"
                                      body: ADVICE_BODY_EDUCATIONAL_PSYCHOLOGIST
                                    }
                                  })pb")),
      "EP1 from educational psychologist");
  EXPECT_EQ(EventDetails(MakeEvent(R"pb(payload {
                                          exception_recorded {
                                            limb: EXCEPTION_LIMB_REG10_4_C
                                            clocks: "final_plan_20w"
                                            clocks: "decision_not_to_issue"
                                            reason: "illness"
                                          }
                                        })pb")),
            "reg10_4_c for final_plan_20w, decision_not_to_issue: illness");
  EXPECT_EQ(EventDetails(MakeEvent(R"pb(payload {
                                          final_plan_issued {
                                            placement: "Oak Academy"
                                            phase: EDUCATION_PHASE_SECONDARY
                                          }
                                        })pb")),
            "placement Oak Academy (secondary)");
  EXPECT_EQ(EventDetails(MakeEvent(
                R"pb(payload {
                       phase_transfer_identified {
                         kind: PHASE_TRANSFER_KIND_PRIMARY_TO_SECONDARY
                         transfer_year: 2025
                       }
                     })pb")),
            "primary_to_secondary, 2025");
  EXPECT_EQ(EventDetails(MakeEvent(R"pb(payload {
                                          tribunal_order_made {
                                            order_id: "T1"
                                            kind: TRIBUNAL_ORDER_KIND_MAKE_PLAN
                                            conceded: true
                                            appeal_id: "A1"
                                          }
                                        })pb")),
            "T1 make_plan, conceded, appeal A1");
  EXPECT_EQ(EventDetails(MakeEvent(
                R"pb(payload {
                       review_decision { outcome: REVIEW_OUTCOME_MAINTAIN }
                     })pb")),
            "maintain");
  EXPECT_EQ(EventDetails(MakeEvent("payload { draft_plan_served {} }")), "");
}

TEST(RenderTest, ASupersedeSaysWhatItReplaces) {
  v1::Event e = MakeEvent(
      R"pb(supersedes_event_id: "0123"
           payload { advice_received { advice_id: "ED1" } })pb");
  EXPECT_EQ(EventDetails(e), "supersedes 0123; ED1");
}

TEST(RenderTest, TimestampsAreUtcSeconds) {
  google::protobuf::Timestamp t;
  t.set_seconds(1700000000);
  t.set_nanos(123);
  EXPECT_EQ(FormatTimestamp(t), "2023-11-14 22:13:20Z");
  EXPECT_EQ(FormatTimestamp(google::protobuf::Timestamp()), "-");
}

TEST(RenderTest, EventsTableHasOneRowPerEvent) {
  std::vector<v1::Event> events = {
      MakeEvent(
          R"pb(case_version: 1
               global_position: 7
               occurred_on: "2024-01-08"
               recorded_at { seconds: 1700000000 }
               payload {
                 case_opened { la_code: "E06000035" case_reference: "MED-1" }
               })pb"),
      MakeEvent(R"pb(case_version: 2
                     global_position: 9
                     occurred_on: "2024-01-08"
                     payload {
                       request_received { source: REQUEST_SOURCE_PARENT }
                     })pb"),
  };
  const std::string table = EventsTable(events);
  std::vector<std::string> lines = absl::StrSplit(table, '\n');
  ASSERT_EQ(lines.size(), 5u);  // header, rule, 2 rows, ""
  EXPECT_THAT(lines[0], HasSubstr("VER  POS  OCCURRED"));
  EXPECT_THAT(lines[2], HasSubstr("case opened"));
  EXPECT_THAT(lines[2], HasSubstr("E06000035 MED-1"));
  EXPECT_THAT(lines[3], HasSubstr("request received  from parent"));
}

TEST(RenderTest, CaseStateShowsStagePlanDatesAndNotices) {
  v1::CaseState s = FromText<v1::CaseState>(R"pb(
    case_id: "E06000035-00112233aabbccdd"
    la_code: "E06000035"
    case_reference: "MED-1"
    birth_month: "2012-03"
    case_version: 12
    stage: CASE_STAGE_PLAN_MAINTAINED
    plan_in_force: true
    latest_request_on: "2024-01-08"
    plan_issued_on: "2024-05-31"
    last_review_on: "2025-05-20"
    review_meetings: 1
    notices_to: NOTICE_RECIPIENT_PARENT
    placement: "Oak Academy"
    open_advice_ids: "EP1"
    open_advice_ids: "HEALTH1")pb");
  const std::string text = CaseStateText(s);
  EXPECT_THAT(text, HasSubstr("council             E06000035 (Medway)\n"));
  EXPECT_THAT(text, HasSubstr("stage               plan maintained\n"));
  EXPECT_THAT(text, HasSubstr("plan                in force, placement Oak "
                              "Academy\n"));
  EXPECT_THAT(text, HasSubstr("notices to          parent\n"));
  EXPECT_THAT(text, HasSubstr("draft plan          -\n"));
  EXPECT_THAT(text, HasSubstr("last review         2025-05-20 (1 meeting)\n"));
  EXPECT_THAT(text, HasSubstr("open advice         EP1, HEALTH1\n"));
}

TEST(RenderTest, TailLineIsOneLine) {
  v1::Event e = MakeEvent(
      R"pb(case_version: 3
           global_position: 42
           occurred_on: "2024-02-16"
           payload {
             assessment_decision { outcome: ASSESSMENT_DECISION_OUTCOME_ASSESS }
           })pb");
  EXPECT_EQ(TailLine(e),
            "    42  2024-02-16  E06000035-00112233aabbccdd v3  assessment "
            "decision  assess");
}

TEST(RenderTest, AppendTextListsVersionsAndPositionsOrSaysReplayed) {
  v1::AppendEventsResponse r = FromText<v1::AppendEventsResponse>(R"pb(
    events {
      case_id: "C"
      case_version: 2
      global_position: 40
      occurred_on: "2024-01-08"
      payload { request_received {} }
    }
    case_version: 2
    global_position: 40)pb");
  EXPECT_EQ(AppendText(r),
            "appended 1 event\n"
            "  v2  position 40  2024-01-08  request received\n"
            "C is at version 2; log position 40\n");
  r.set_replayed(true);
  EXPECT_THAT(AppendText(r), HasSubstr("replayed"));
}

TEST(RenderTest, JsonUsesProtobufMapping) {
  v1::Event e = MakeEvent(
      R"pb(case_version: 3
           occurred_on: "2024-02-16"
           payload { request_received { source: REQUEST_SOURCE_PARENT } })pb");
  EXPECT_EQ(*ToJson(e, /*pretty=*/false),
            "{\"caseId\":\"E06000035-00112233aabbccdd\",\"caseVersion\":\"3\","
            "\"occurredOn\":\"2024-02-16\",\"payload\":{\"requestReceived\":"
            "{\"source\":\"REQUEST_SOURCE_PARENT\"}}}");
}

TEST(RenderTest, ShowJsonIsOneObjectWithEventsAndState) {
  v1::Event e = MakeEvent(R"pb(case_version: 1
                               payload { case_opened {} })pb");
  v1::CaseState s;
  s.set_case_id("C");
  s.set_stage(v1::CASE_STAGE_OPENED);
  const std::string json = *ShowJson({e, e}, s);
  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok())
      << json;
  EXPECT_EQ(parsed.fields().at("events").list_value().values_size(), 2);
  EXPECT_EQ(parsed.fields()
                .at("state")
                .struct_value()
                .fields()
                .at("stage")
                .string_value(),
            "CASE_STAGE_OPENED");
  // Also well formed with no events.
  EXPECT_TRUE(
      google::protobuf::util::JsonStringToMessage(*ShowJson({}, s), &parsed)
          .ok());
}

}  // namespace
}  // namespace ehcp::tools
