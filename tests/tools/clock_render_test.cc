// Rendering of the clock commands: clocks, breaches, backlog, timeliness,
// projection and rebuild.
#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "tools/internal/render.h"

namespace ehcp::tools {
namespace {

using ::testing::HasSubstr;

template <typename M>
M FromText(const std::string& text) {
  M message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message))
      << text;
  return message;
}

v1::Clock MakeClock(const std::string& text) {
  return FromText<v1::Clock>(text);
}

TEST(ClockRenderTest, StatusesAreWrittenAsTheTimescalesWriteThem) {
  EXPECT_EQ(ClockStatusName(v1::CLOCK_STATUS_BREACHED), "BREACHED");
  EXPECT_EQ(ClockStatusName(v1::CLOCK_STATUS_NOT_APPLICABLE), "NOT_APPLICABLE");
  EXPECT_EQ(ClockStatusName(v1::CLOCK_STATUS_UNSPECIFIED), "unspecified");
  EXPECT_EQ(ClockStatusName(static_cast<v1::ClockStatus>(99)), "unknown (99)");
}

TEST(ClockRenderTest, DaysAreLateOrLeft) {
  EXPECT_EQ(ClockDays(MakeClock(
                "status: CLOCK_STATUS_BREACHED days_late: 4 due_on: \"x\"")),
            "4");
  EXPECT_EQ(ClockDays(MakeClock("status: CLOCK_STATUS_OVERDUE days_late: 27")),
            "27");
  EXPECT_EQ(ClockDays(MakeClock("status: CLOCK_STATUS_EXCUSED days_late: 3")),
            "3");
  EXPECT_EQ(ClockDays(MakeClock("status: CLOCK_STATUS_PENDING due_on: "
                                "\"2025-01-10\" days_remaining: 12")),
            "in 12");
  EXPECT_EQ(ClockDays(MakeClock(
                "status: CLOCK_STATUS_PENDING due_on: \"2025-01-10\"")),
            "today");
  // decision_not_to_issue stays PENDING past its due date.
  EXPECT_EQ(ClockDays(MakeClock("status: CLOCK_STATUS_PENDING due_on: "
                                "\"2025-01-10\" days_remaining: -3")),
            "3 ago");
  // A PENDING clock without a due date (age_25_cessation before its year).
  EXPECT_EQ(ClockDays(MakeClock("status: CLOCK_STATUS_PENDING")), "-");
  EXPECT_EQ(ClockDays(MakeClock("status: CLOCK_STATUS_MET")), "-");
  EXPECT_EQ(ClockDays(MakeClock("status: CLOCK_STATUS_NOT_APPLICABLE")), "-");
}

TEST(ClockRenderTest, CouncilsAreNamedWhenKnown) {
  EXPECT_EQ(CouncilWords(""), "all councils");
  EXPECT_EQ(CouncilWords("E06000035"), "E06000035 (Medway)");
  EXPECT_EQ(CouncilWords("E09000001"), "E09000001");
}

constexpr char kCaseClocks[] = R"pb(
  as_of: "2024-09-01"
  case_version: 9
  clocks {
    clock_id: "decision_to_assess"
    instance: "1"
    trigger_on: "2024-01-08"
    due_on: "2024-02-19"
    stop_on: "2024-02-16"
    status: CLOCK_STATUS_MET
  }
  clocks {
    clock_id: "final_plan_20w"
    instance: "1"
    trigger_on: "2024-01-08"
    due_on: "2024-05-27"
    stop_on: "2024-05-31"
    status: CLOCK_STATUS_EXCUSED
    days_late: 4
    excused_by_event_id: "e7"
    excused_by_limb: "reg10_4_c"
  }
  clocks {
    clock_id: "advice"
    instance: "EP1"
    trigger_on: "2024-02-20"
    due_on: "2024-04-02"
    status: CLOCK_STATUS_OVERDUE
    days_late: 152
  }
  clocks {
    clock_id: "annual_review"
    instance: "1"
    trigger_on: "2024-05-31"
    due_on: "2025-05-30"
    status: CLOCK_STATUS_PENDING
    days_remaining: 271
  }
)pb";

TEST(ClockRenderTest, CaseClocksAreAHeadingAndATable) {
  EXPECT_EQ(
      CaseClocksText("E06000035-00112233aabbccdd",
                     FromText<v1::GetCaseClocksResponse>(kCaseClocks),
                     google::protobuf::Timestamp()),
      "Clocks of E06000035-00112233aabbccdd as of 2024-09-01 (case version "
      "9):\n"
      "CLOCK               INSTANCE  TRIGGER     DUE         STOP        "
      "STATUS   DAYS    EXCUSED BY\n"
      "------------------  --------  ----------  ----------  ----------  "
      "-------  ------  ----------\n"
      "decision_to_assess  1         2024-01-08  2024-02-19  2024-02-16  "
      "MET      -\n"
      "final_plan_20w      1         2024-01-08  2024-05-27  2024-05-31  "
      "EXCUSED  4       reg10_4_c\n"
      "advice              EP1       2024-02-20  2024-04-02  -           "
      "OVERDUE  152\n"
      "annual_review       1         2024-05-31  2025-05-30  -           "
      "PENDING  in 271\n");
}

TEST(ClockRenderTest, CaseClocksSayWhenTheyWereKnownAndWhenThereAreNone) {
  google::protobuf::Timestamp known;
  known.set_seconds(1735722000);
  v1::GetCaseClocksResponse none;
  none.set_as_of("2025-01-02");
  none.set_case_version(1);
  EXPECT_EQ(CaseClocksText("C1", none, known),
            "Clocks of C1 as of 2025-01-02 (case version 1, as known at "
            "2025-01-01 09:00:00Z):\nno clocks\n");
}

TEST(ClockRenderTest, BreachesAreATableInTheGivenOrder) {
  v1::ListBreachesResponse r = FromText<v1::ListBreachesResponse>(R"pb(
    clocks {
      case_id: "E10000016-aa"
      case_reference: "KCC-77"
      la_code: "E10000016"
      clock_id: "advice"
      instance: "EP1"
      due_on: "2024-04-02"
      status: CLOCK_STATUS_OVERDUE
      days_late: 152
    }
    clocks {
      case_id: "E06000035-bb"
      la_code: "E06000035"
      clock_id: "final_plan_20w"
      instance: "1"
      due_on: "2024-05-27"
      stop_on: "2024-05-31"
      status: CLOCK_STATUS_BREACHED
      days_late: 4
    }
  )pb");
  EXPECT_EQ(BreachesTable(r.clocks()),
            "CASE          REF     LA         CLOCK           INSTANCE  DUE         "
            "STOP        STATUS    DAYS LATE\n"
            "------------  ------  ---------  --------------  --------  ----------  "
            "----------  --------  ---------\n"
            "E10000016-aa  KCC-77  E10000016  advice          EP1       2024-04-02  "
            "-           OVERDUE   152\n"
            "E06000035-bb  -       E06000035  final_plan_20w  1         2024-05-27  "
            "2024-05-31  BREACHED  4\n");
  EXPECT_EQ(BreachesTable(v1::ListBreachesResponse().clocks()), "");
}

constexpr char kBacklog[] = R"pb(
  as_of: "2025-09-01"
  la_code: "E06000035"
  clocks {
    clock_id: "annual_review"
    total: 3
    buckets {
      bucket: "0-3"
      count: 1
      entries {
        case_id: "E06000035-aa"
        case_reference: "MED-1"
        la_code: "E06000035"
        instance: "2"
        due_on: "2025-07-01"
        days_overdue: 62
      }
    }
    buckets { bucket: "3-6" }
    buckets {
      bucket: "6-12"
      count: 2
      entries {
        case_id: "E06000035-bb"
        case_reference: "MED-22"
        la_code: "E06000035"
        instance: "1"
        due_on: "2024-10-01"
        days_overdue: 335
        excused: true
      }
      entries {
        case_id: "E06000035-cc"
        case_reference: "MED-3"
        la_code: "E06000035"
        instance: "1"
        due_on: "2024-12-01"
        days_overdue: 274
      }
    }
    buckets { bucket: "12-24" }
    buckets { bucket: ">24" }
  }
  clocks {
    clock_id: "review_decision"
    buckets { bucket: "0-3" }
    buckets { bucket: "3-6" }
    buckets { bucket: "6-12" }
    buckets { bucket: "12-24" }
    buckets { bucket: ">24" }
  }
)pb";

TEST(ClockRenderTest, BacklogCountsEachClockByBucket) {
  EXPECT_EQ(BacklogText(FromText<v1::GetReviewBacklogResponse>(kBacklog),
                        /*cases=*/false),
            "Review backlog as of 2025-09-01, E06000035 (Medway):\n"
            "CLOCK            0-3  3-6  6-12  12-24  >24  TOTAL\n"
            "---------------  ---  ---  ----  -----  ---  -----\n"
            "annual_review    1    0    2     0      0    3\n"
            "review_decision  0    0    0     0      0    0\n");
}

TEST(ClockRenderTest, BacklogWithCasesListsTheEntriesOfEachClock) {
  const std::string text = BacklogText(
      FromText<v1::GetReviewBacklogResponse>(kBacklog), /*cases=*/true);
  EXPECT_THAT(
      text, HasSubstr("\nannual_review: 3 overdue\n"
                      "BUCKET  CASE          REF     LA         INSTANCE  DUE         "
                      "DAYS OVERDUE  EXCUSED\n"
                      "------  ------------  ------  ---------  --------  ----------  "
                      "------------  -------\n"
                      "0-3     E06000035-aa  MED-1   E06000035  2         2025-07-01  "
                      "62\n"
                      "6-12    E06000035-bb  MED-22  E06000035  1         2024-10-01  "
                      "335           yes\n"
                      "6-12    E06000035-cc  MED-3   E06000035  1         2024-12-01  "
                      "274\n"));
  // No list for a clock without entries.
  EXPECT_THAT(text, ::testing::Not(HasSubstr("review_decision:")));
}

TEST(ClockRenderTest, CasesAreATableWithTheirReferenceAndStage) {
  v1::ListCasesResponse r = FromText<v1::ListCasesResponse>(R"pb(
    cases {
      case_id: "E06000035-aa"
      la_code: "E06000035"
      case_reference: "MED-2001"
      stage: CASE_STAGE_AWAITING_DECISION
    }
    cases {
      case_id: "E06000035-bb"
      la_code: "E06000035"
      case_reference: "MED-7"
      stage: CASE_STAGE_PLAN_MAINTAINED
    }
  )pb");
  EXPECT_EQ(CasesTable(r.cases()),
            "CASE          REF       LA         STAGE\n"
            "------------  --------  ---------  -----------------\n"
            "E06000035-aa  MED-2001  E06000035  awaiting decision\n"
            "E06000035-bb  MED-7     E06000035  plan maintained\n");
  EXPECT_EQ(CasesTable(v1::ListCasesResponse().cases()), "");
}

TEST(ClockRenderTest, DeadlinesAreHeadedByTheirWindow) {
  v1::ListDeadlinesResponse r = FromText<v1::ListDeadlinesResponse>(R"pb(
    as_of: "2025-09-01"
    due_from: "2025-09-01"
    due_to: "2025-09-15"
    clocks {
      case_id: "E06000035-aa"
      case_reference: "MED-2001"
      la_code: "E06000035"
      clock_id: "decision_to_assess"
      instance: "1"
      due_on: "2025-09-03"
      status: CLOCK_STATUS_PENDING
      days_remaining: 2
    }
    clocks {
      case_id: "E06000035-bb"
      case_reference: "MED-7"
      la_code: "E06000035"
      clock_id: "advice"
      instance: "EP1"
      due_on: "2025-09-15"
      status: CLOCK_STATUS_PENDING
      days_remaining: 14
    }
  )pb");
  EXPECT_EQ(
      DeadlinesText(r, "E06000035"),
      "Open deadlines due 2025-09-01 to 2025-09-15, as of 2025-09-01, "
      "E06000035 (Medway):\n"
      "CASE          REF       LA         CLOCK               INSTANCE  DUE "
      "        STATUS   DAYS\n"
      "------------  --------  ---------  ------------------  --------  "
      "----------  -------  -----\n"
      "E06000035-aa  MED-2001  E06000035  decision_to_assess  1         "
      "2025-09-03  PENDING  in 2\n"
      "E06000035-bb  MED-7     E06000035  advice              EP1       "
      "2025-09-15  PENDING  in 14\n");
  r.clear_clocks();
  EXPECT_EQ(DeadlinesText(r, ""),
            "Open deadlines due 2025-09-01 to 2025-09-15, as of 2025-09-01, "
            "all councils:\nnothing due\n");
}

TEST(ClockRenderTest, TimelinessIsTheSen2Figures) {
  EXPECT_EQ(TimelinessText(FromText<v1::GetTimelinessResponse>(R"pb(
              year: 2019
              including_exceptions {
                numerator: 31313
                denominator: 53327
                percent: "58.7"
              }
              excluding_exceptions {
                numerator: 29895
                denominator: 49519
                percent: "60.4"
              }
              plans_with_exception: 3808
              mean_weeks: "21.3"
              over_52_weeks: 1200
              decisions_including_exceptions {
                numerator: 8
                denominator: 9
                percent: "88.9"
              }
              decisions_excluding_exceptions {}
            )pb")),
            "SEN2 timeliness 2019, all councils:\n"
            "plans issued                            53327\n"
            "within 20 weeks, including exceptions   31313 of 53327 (58.7%)\n"
            "within 20 weeks, excluding exceptions   29895 of 49519 (60.4%)\n"
            "plans with a 20-week exception          3808\n"
            "mean weeks, request to plan             21.3\n"
            "over 52 weeks                           1200\n"
            "6-week decisions, including exceptions  8 of 9 (88.9%)\n"
            "6-week decisions, excluding exceptions  0 of 0\n");
}

TEST(ClockRenderTest, AnEmptyYearHasNoMean) {
  v1::GetTimelinessResponse r;
  r.set_year(2030);
  r.set_la_code("E10000016");
  const std::string text = TimelinessText(r);
  EXPECT_THAT(text, HasSubstr("SEN2 timeliness 2030, E10000016 (Kent):\n"));
  EXPECT_THAT(text, HasSubstr("mean weeks, request to plan             -\n"));
}

TEST(ClockRenderTest, ARebuildsProgressSaysHowFarHowFastAndHowLong) {
  v1::RebuildProgress p;
  p.set_running(true);
  p.set_phase("indexing");
  p.set_events_read(1200);
  p.set_target(5000);
  p.set_events_per_second(800);
  p.set_eta_seconds(5);
  EXPECT_EQ(RebuildProgressText(p),
            "indexing: 1200 of 5000 events (24%), 800 events/s, about 5 s "
            "left");
  p.clear_events_per_second();
  p.clear_eta_seconds();
  EXPECT_EQ(RebuildProgressText(p), "indexing: 1200 of 5000 events (24%)");
}

TEST(ClockRenderTest, ProjectionStatusSaysTheLag) {
  v1::GetProjectionStatusResponse r;
  r.set_checkpoint(120);
  r.set_head_position(125);
  r.set_lag(5);
  r.set_indexed_cases(14);
  r.set_healthy(true);
  EXPECT_EQ(ProjectionStatusText(r),
            "checkpoint     120\n"
            "head           125\n"
            "lag            5 events\n"
            "indexed cases  14\n"
            "rebuild        none running\n"
            "health         healthy\n"
            "log chain      not verified\n"
            "appends        written\n");
  r.set_checkpoint(125);
  r.set_lag(0);
  EXPECT_THAT(ProjectionStatusText(r), HasSubstr("lag            0 (up to "
                                                 "date)\n"));
}

TEST(ClockRenderTest, ProjectionStatusSaysWhyAppendsAreRefused) {
  v1::GetProjectionStatusResponse r;
  r.set_healthy(true);
  r.set_log_write_problem("event log: /data/log is open read-only");
  EXPECT_THAT(ProjectionStatusText(r),
              HasSubstr("appends        REFUSED: event log: /data/log is "
                        "open read-only\n"));
}

TEST(ClockRenderTest, TheLogVerificationSaysProgressThenTheVerdict) {
  v1::LogVerification v;
  v.set_running(true);
  v.set_verified_to(20000);
  v.set_target(50000);
  EXPECT_EQ(LogVerificationText(v), "verifying since start: 20000 of 50000");
  v.set_running(false);
  v.set_done(true);
  v.set_intact(true);
  v.set_verified_to(50000);
  EXPECT_EQ(LogVerificationText(v), "intact (verified 1-50000 since start)");
  v.set_intact(false);
  v.set_first_bad_position(17);
  v.set_problem("hash chain broken at position 17: changed");
  EXPECT_EQ(LogVerificationText(v),
            "NOT INTACT at position 17: hash chain broken at position 17: "
            "changed");
}

TEST(ClockRenderTest, ProjectionStatusSaysWhatIsWrongWhenUnhealthy) {
  v1::GetProjectionStatusResponse r;
  r.set_healthy(false);
  r.set_problem("clock index is damaged (checksum mismatch)");
  EXPECT_THAT(ProjectionStatusText(r),
              HasSubstr("health         NOT HEALTHY: clock index is damaged "
                        "(checksum mismatch)\n"));
}

TEST(ClockRenderTest, RebuildSaysWhatItReached) {
  v1::RebuildProjectionsResponse r;
  r.set_checkpoint(1234);
  r.set_events_read(1234);
  r.set_indexed_cases(1);
  EXPECT_EQ(RebuildText(r),
            "rebuilt the clock index: read 1234 events, indexed 1 case; "
            "checkpoint at log position 1234\n");
}

}  // namespace
}  // namespace ehcp::tools
