#include "domain/clock_reports.h"

#include <vector>

#include "gtest/gtest.h"
#include "tests/domain/clock_test_util.h"

namespace ehcp::domain {
namespace {

using testing::Day;
using testing::JourneyBuilder;

TEST(ClockReportsTest, BacklogBucketsAgeByCalendarMonthsWithMonthEndClamping) {
  const absl::CivilDay due = Day("2024-11-30");
  EXPECT_EQ(BacklogBucket(due, Day("2024-11-30")), std::nullopt);
  EXPECT_EQ(BacklogBucket(due, Day("2024-12-01")), "0-3");
  // due + 3 months = 2025-02-28 (clamped).
  EXPECT_EQ(BacklogBucket(due, Day("2025-02-28")), "0-3");
  EXPECT_EQ(BacklogBucket(due, Day("2025-03-01")), "3-6");
  EXPECT_EQ(BacklogBucket(due, Day("2025-05-30")), "3-6");
  EXPECT_EQ(BacklogBucket(due, Day("2025-05-31")), "6-12");
  EXPECT_EQ(BacklogBucket(due, Day("2025-11-30")), "6-12");
  EXPECT_EQ(BacklogBucket(due, Day("2025-12-01")), "12-24");
  EXPECT_EQ(BacklogBucket(due, Day("2026-11-30")), "12-24");
  EXPECT_EQ(BacklogBucket(due, Day("2026-12-01")), ">24");
}

TEST(ClockReportsTest, BacklogBucketFromLeapDay) {
  const absl::CivilDay due = Day("2024-02-29");
  EXPECT_EQ(BacklogBucket(due, Day("2024-05-29")), "0-3");
  EXPECT_EQ(BacklogBucket(due, Day("2024-05-30")), "3-6");
  // + 12 months = 2025-02-28.
  EXPECT_EQ(BacklogBucket(due, Day("2025-02-28")), "6-12");
  EXPECT_EQ(BacklogBucket(due, Day("2025-03-01")), "12-24");
}

TEST(ClockReportsTest, CountsInBacklogOnlyOpenPastDueBacklogClocks) {
  JourneyBuilder j;
  j.Request("2022-01-10");           // decision_to_assess: not a backlog clock
  j.Final("2022-05-20");             // annual_review 1, overdue
  j.Proposed("2022-06-01");          // amendment 1, stopped late below
  j.Amended("2022-09-01");
  j.Exception("2022-06-02", v1::EXCEPTION_LIMB_COVID_2020, {"advice"});
  j.PhaseTransfer("2022-09-05", v1::PHASE_TRANSFER_KIND_PRIMARY_TO_SECONDARY,
                  2023);  // overdue from 2023-02-15
  const auto rows = EvaluateClocks(j.events(), Day("2023-06-01"));
  std::vector<std::string> counted;
  for (const ClockRow& r : rows) {
    if (CountsInBacklog(r)) counted.push_back(r.clock_id);
  }
  EXPECT_EQ(counted,
            (std::vector<std::string>{"annual_review", "phase_transfer"}));
  EXPECT_EQ(BacklogBucket(*testing::Row(rows, "annual_review", "1").due,
                          Day("2023-06-01")),
            "0-3");
  EXPECT_EQ(BacklogBucket(*testing::Row(rows, "phase_transfer", "1").due,
                          Day("2023-06-01")),
            "3-6");
}

TEST(ClockReportsTest, ExcusedWhileOpenCountsInBacklog) {
  ClockRow r;
  r.clock_id = "annual_review";
  r.trigger = Day("2020-06-01");
  r.due = Day("2021-05-31");
  r.status = ClockStatus::kExcused;
  EXPECT_TRUE(CountsInBacklog(r));
  r.stop = Day("2021-07-01");
  EXPECT_FALSE(CountsInBacklog(r));
}

TEST(ClockReportsTest, PercentRoundsHalfUpMatchingEngland2019) {
  EXPECT_EQ(PercentTenths(31'313, 53'327), 587);
  EXPECT_EQ(FormatTenths(*PercentTenths(31'313, 53'327)), "58.7");
  EXPECT_EQ(PercentTenths(29'895, 49'519), 604);
  EXPECT_EQ(FormatTenths(*PercentTenths(29'895, 49'519)), "60.4");
  // Exactly half rounds up: 1/8 = 12.5 %; 1/16 = 6.25 % → 6.3.
  EXPECT_EQ(PercentTenths(1, 8), 125);
  EXPECT_EQ(PercentTenths(1, 16), 63);
  EXPECT_EQ(PercentTenths(1, 0), std::nullopt);
  EXPECT_EQ(FormatTenths(1000), "100.0");
  EXPECT_EQ(FormatTenths(0), "0.0");
}

TEST(ClockReportsTest, England2019TimelinessFromCounts) {
  Proportion including{.within = 31'313, .total = 53'327};
  Proportion excluding{.within = 29'895, .total = 49'519};
  EXPECT_EQ(including.PercentString(), "58.7");
  EXPECT_EQ(excluding.PercentString(), "60.4");
  EXPECT_EQ(Proportion{}.PercentString(), "");
}

// One case with one 20-week cycle issued after `days` days.
std::vector<ClockRow> PlanAfter(const char* request, int days,
                                bool with_exception) {
  JourneyBuilder j;
  j.Request(request);
  const absl::CivilDay issued = Day(request) + days;
  const std::string on = FormatDate(issued);
  if (with_exception) {
    j.Exception(request, v1::EXCEPTION_LIMB_REG10_4_C, {"final_plan_20w"});
  }
  j.AssessDecision(FormatDate(Day(request) + 40).c_str());
  j.Final(on.c_str());
  return EvaluateClocks(j.events(), Day("2030-01-01"));
}

TEST(ClockReportsTest, TimelinessCohortIsPlansIssuedInTheYear) {
  std::vector<ClockRow> rows;
  for (const auto& r : PlanAfter("2023-06-01", 140, false)) rows.push_back(r);
  for (const auto& r : PlanAfter("2023-06-01", 141, false)) rows.push_back(r);
  for (const auto& r : PlanAfter("2023-06-01", 400, true)) rows.push_back(r);
  for (const auto& r : PlanAfter("2023-09-01", 100, true)) rows.push_back(r);
  for (const auto& r : PlanAfter("2022-06-01", 100, false)) rows.push_back(r);
  const TimelinessSummary s = SummariseTimeliness(rows, 2023);
  // Issued in 2023: 140 and 141 days (2023-10-19, 2023-10-20) and 100 days
  // from 2023-09-01 (2023-12-10); the 400-day plan is issued in 2024.
  EXPECT_EQ(s.including_exceptions.total, 3);
  EXPECT_EQ(s.including_exceptions.within, 2);
  EXPECT_EQ(s.plans_with_exception, 1);
  EXPECT_EQ(s.excluding_exceptions.total, 2);
  EXPECT_EQ(s.excluding_exceptions.within, 1);
  EXPECT_EQ(s.including_exceptions.PercentString(), "66.7");
  EXPECT_EQ(s.excluding_exceptions.PercentString(), "50.0");
  EXPECT_EQ(s.total_days, 381);
  ASSERT_TRUE(s.mean_weeks.has_value());
  EXPECT_NEAR(*s.mean_weeks, 381.0 / 7 / 3, 1e-9);
  EXPECT_EQ(s.mean_weeks_tenths, 181);  // 18.14 weeks
  EXPECT_EQ(s.over_52_weeks, 0);
  const TimelinessSummary next = SummariseTimeliness(rows, 2024);
  EXPECT_EQ(next.including_exceptions.total, 1);
  EXPECT_EQ(next.over_52_weeks, 1);
}

TEST(ClockReportsTest, ExceptionAfterIssueDoesNotFlagThePlan) {
  JourneyBuilder j;
  j.Request("2023-01-09");
  j.Final("2023-05-01");
  j.Exception("2023-05-01", v1::EXCEPTION_LIMB_REG10_4_C, {"final_plan_20w"});
  const TimelinessSummary s =
      SummariseTimeliness(EvaluateClocks(j.events(), Day("2024-01-01")), 2023);
  EXPECT_EQ(s.plans_with_exception, 0);
  EXPECT_EQ(s.excluding_exceptions.total, 1);
}

TEST(ClockReportsTest, OnTimePlanWithExceptionIsRemovedFromExcluding) {
  const TimelinessSummary s =
      SummariseTimeliness(PlanAfter("2023-01-09", 100, true), 2023);
  EXPECT_EQ(s.including_exceptions.within, 1);
  EXPECT_EQ(s.plans_with_exception, 1);
  EXPECT_EQ(s.excluding_exceptions.total, 0);
  EXPECT_EQ(s.excluding_exceptions.PercentString(), "");
}

TEST(ClockReportsTest, OverFiftyTwoWeeksIsMoreThan364Days) {
  std::vector<ClockRow> rows;
  for (const auto& r : PlanAfter("2022-01-03", 364, false)) rows.push_back(r);
  for (const auto& r : PlanAfter("2022-01-03", 365, false)) rows.push_back(r);
  const TimelinessSummary s = SummariseTimeliness(rows, 2023);
  EXPECT_EQ(s.including_exceptions.total, 2);
  EXPECT_EQ(s.over_52_weeks, 1);
}

TEST(ClockReportsTest, PlanIssuedAfterClockClosedIsNotInCohort) {
  JourneyBuilder j;
  j.Request("2023-01-09");
  j.AssessDecision("2023-02-01", /*assess=*/false);
  j.Tribunal("2023-06-01", "T1", v1::TRIBUNAL_ORDER_KIND_MAKE_PLAN);
  j.Draft("2023-07-01");
  j.Final("2023-08-01");
  const TimelinessSummary s =
      SummariseTimeliness(EvaluateClocks(j.events(), Day("2024-01-01")), 2023);
  EXPECT_EQ(s.including_exceptions.total, 0);
  EXPECT_EQ(s.mean_weeks, std::nullopt);
  // Its decision still counts in the 6-week figure.
  EXPECT_EQ(s.decisions_including_exceptions.total, 1);
  EXPECT_EQ(s.decisions_including_exceptions.within, 1);
}

TEST(ClockReportsTest, SixWeekDecisionTimeliness) {
  std::vector<ClockRow> rows;
  for (int days : {42, 43}) {
    JourneyBuilder j;
    j.Request("2023-03-01");
    j.AssessDecision(FormatDate(Day("2023-03-01") + days).c_str());
    for (const auto& r : EvaluateClocks(j.events(), Day("2024-01-01"))) {
      rows.push_back(r);
    }
  }
  const TimelinessSummary s = SummariseTimeliness(rows, 2023);
  EXPECT_EQ(s.decisions_including_exceptions.total, 2);
  EXPECT_EQ(s.decisions_including_exceptions.within, 1);
  EXPECT_EQ(s.decisions_including_exceptions.PercentString(), "50.0");
  EXPECT_EQ(s.decisions_excluding_exceptions.total, 2);
}

}  // namespace
}  // namespace ehcp::domain
