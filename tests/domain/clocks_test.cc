// Clock evaluation: the §4 worked example, order and time, instances and
// exceptions (§8). Per-clock readings are in clocks_readings_test.cc.
#include "domain/clocks.h"

#include <string>
#include <vector>

#include "domain/rules.h"
#include "gtest/gtest.h"
#include "tests/domain/clock_test_util.h"

namespace ehcp::domain {
namespace {

using testing::CountRows;
using testing::Day;
using testing::HasRow;
using testing::JourneyBuilder;
using testing::Row;
using S = ClockStatus;

ClockRow Expected(const char* clock, const char* instance,
                  const std::string& trigger_id, const char* trigger,
                  const char* due, const std::string& stop_id,
                  const char* stop, S status, int late, int remaining,
                  const char* rule = "2014") {
  ClockRow r;
  r.clock_id = clock;
  r.instance = instance;
  r.trigger_event_id = trigger_id;
  r.trigger = Day(trigger);
  if (due != nullptr) r.due = Day(due);
  r.stop_event_id = stop_id;
  if (stop != nullptr) r.stop = Day(stop);
  r.status = status;
  r.days_late = late;
  r.days_remaining = remaining;
  r.rule_version = rule;
  return r;
}

// ---------------------------------------------------------------------------
// §4 worked example.

TEST(ClocksTest, WorkedExampleSection4ReproducedExactly) {
  JourneyBuilder j;
  const std::string request = j.Request("2024-01-08");
  const std::string decision = j.AssessDecision("2024-02-16");
  const std::string advice = j.AdviceRequested("2024-02-20", "HEALTH1");
  const std::string received = j.AdviceReceived("2024-04-15", "HEALTH1");
  const std::string draft = j.Draft("2024-05-10");
  const std::string final_plan = j.Final("2024-05-31");
  const std::string meeting = j.Meeting("2025-05-20");
  const std::string amend =
      j.ReviewDecision("2025-06-10", v1::REVIEW_OUTCOME_AMEND);
  const std::string proposed = j.Proposed("2025-06-10");

  const std::vector<ClockRow> rows =
      EvaluateClocks(j.events(), Day("2025-09-01"));
  const int to_next_review = static_cast<int>(Day("2026-05-19") -
                                              Day("2025-09-01"));
  const std::vector<ClockRow> expected = {
      Expected("decision_to_assess", "1", request, "2024-01-08", "2024-02-19",
               decision, "2024-02-16", S::kMet, 0, 0),
      Expected("decision_not_to_issue", "1", request, "2024-01-08",
               "2024-04-29", "", nullptr, S::kNotApplicable, 0, 0),
      Expected("final_plan_20w", "1", request, "2024-01-08", "2024-05-27",
               final_plan, "2024-05-31", S::kBreached, 4, 0),
      Expected("advice", "HEALTH1", advice, "2024-02-20", "2024-04-02",
               received, "2024-04-15", S::kBreached, 13, 0),
      Expected("draft_representations", "1", draft, "2024-05-10",
               "2024-05-24", "", nullptr, S::kMet, 0, 0),
      Expected("premature_final_plan", "1", draft, "2024-05-10", "2024-05-24",
               final_plan, "2024-05-31", S::kMet, 0, 0),
      Expected("annual_review", "1", final_plan, "2024-05-31", "2025-05-30",
               meeting, "2025-05-20", S::kMet, 0, 0),
      Expected("annual_review", "2", meeting, "2025-05-20", "2026-05-19", "",
               nullptr, S::kPending, 0, to_next_review),
      Expected("review_report", "1", meeting, "2025-05-20", "2025-06-03", "",
               nullptr, S::kOverdue, 90, 0),
      Expected("review_decision", "1", meeting, "2025-05-20", "2025-06-17",
               amend, "2025-06-10", S::kMet, 0, 0, "devon_2022"),
      Expected("draft_representations", "2", proposed, "2025-06-10",
               "2025-06-24", "", nullptr, S::kMet, 0, 0),
      Expected("amendment", "1", proposed, "2025-06-10", "2025-08-05", "",
               nullptr, S::kOverdue, 27, 0),
  };
  EXPECT_EQ(rows, expected);
}

TEST(ClocksTest, WorkedExampleRequestOpensThreeAssessmentClocks) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  const auto rows = EvaluateClocks(j.events(), Day("2024-01-08"));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(Row(rows, "decision_to_assess", "1").due, Day("2024-02-19"));
  EXPECT_EQ(Row(rows, "decision_not_to_issue", "1").due, Day("2024-04-29"));
  EXPECT_EQ(Row(rows, "final_plan_20w", "1").due, Day("2024-05-27"));
  EXPECT_EQ(Row(rows, "final_plan_20w", "1").days_remaining, 140);
}

// ---------------------------------------------------------------------------
// §2 and §8 "Order and time".

TEST(ClocksTest, ClockIsPendingOnItsDueDateAndOverdueTheDayAfter) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  const ClockRow on_due =
      Row(EvaluateClocks(j.events(), Day("2024-02-19")), "decision_to_assess",
          "1");
  EXPECT_EQ(on_due.status, S::kPending);
  EXPECT_EQ(on_due.days_remaining, 0);
  const ClockRow after =
      Row(EvaluateClocks(j.events(), Day("2024-02-20")), "decision_to_assess",
          "1");
  EXPECT_EQ(after.status, S::kOverdue);
  EXPECT_EQ(after.days_late, 1);
  EXPECT_EQ(after.days_remaining, 0);
}

TEST(ClocksTest, StopOnDueDateIsMetAndDayAfterIsBreached) {
  JourneyBuilder on_time;
  on_time.Request("2024-01-08");
  on_time.AssessDecision("2024-02-19");
  EXPECT_EQ(Row(EvaluateClocks(on_time.events(), Day("2024-03-01")),
                "decision_to_assess", "1")
                .status,
            S::kMet);
  JourneyBuilder late;
  late.Request("2024-01-08");
  late.AssessDecision("2024-02-20");
  const ClockRow r = Row(EvaluateClocks(late.events(), Day("2024-03-01")),
                         "decision_to_assess", "1");
  EXPECT_EQ(r.status, S::kBreached);
  EXPECT_EQ(r.days_late, 1);
}

TEST(ClocksTest, EventsAfterAsOfAreIgnored) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  j.AssessDecision("2024-03-01");
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2024-02-29")),
                         "decision_to_assess", "1");
  EXPECT_EQ(r.status, S::kOverdue);
  EXPECT_EQ(r.days_late, 10);
  EXPECT_FALSE(r.stop.has_value());
}

TEST(ClocksTest, ClocksTriggeredAfterAsOfAreNotListed) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  j.AdviceRequested("2024-02-20", "EP1");
  const auto rows = EvaluateClocks(j.events(), Day("2024-02-19"));
  EXPECT_FALSE(HasRow(rows, "advice", "EP1"));
  EXPECT_EQ(rows.size(), 3u);
  EXPECT_TRUE(EvaluateClocks(j.events(), Day("2024-01-07")).empty());
}

TEST(ClocksTest, ClocksTriggeredBefore2014SeptemberAreNotProducedButUseInstanceNumbers) {
  JourneyBuilder j;
  j.Request("2014-06-02");
  j.AssessDecision("2014-07-01", /*assess=*/false);
  j.AdviceRequested("2014-08-29", "OLD");
  j.Request("2014-10-01");
  const auto rows = EvaluateClocks(j.events(), Day("2014-10-02"));
  EXPECT_FALSE(HasRow(rows, "decision_to_assess", "1"));
  EXPECT_FALSE(HasRow(rows, "advice", "OLD"));
  EXPECT_TRUE(HasRow(rows, "decision_to_assess", "2"));
  EXPECT_TRUE(HasRow(rows, "decision_not_to_issue", "2"));
  EXPECT_TRUE(HasRow(rows, "final_plan_20w", "2"));
  EXPECT_EQ(rows.size(), 3u);
}

TEST(ClocksTest, PreRulesReviewMeetingsStillNumberLaterMeetings) {
  JourneyBuilder j;
  j.Final("2013-09-02");
  j.Meeting("2014-08-20");
  j.Meeting("2015-08-10");
  const auto rows = EvaluateClocks(j.events(), Day("2015-08-11"));
  EXPECT_FALSE(HasRow(rows, "review_report", "1"));
  EXPECT_TRUE(HasRow(rows, "review_report", "2"));
  EXPECT_TRUE(HasRow(rows, "review_decision", "2"));
  // The chain: instance 1 (2013) and 2 (2014) are not listed; 2 is MET by
  // the 2015 meeting but only instance 3 (from 2015) is produced.
  EXPECT_FALSE(HasRow(rows, "annual_review", "2"));
  EXPECT_EQ(Row(rows, "annual_review", "3").trigger, Day("2015-08-10"));
}

TEST(ClocksTest, LateRecordedEventCountsAsIfRecordedOnTime) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  j.RecordLate(30).AssessDecision("2024-02-16");
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2024-04-01")),
                         "decision_to_assess", "1");
  EXPECT_EQ(r.status, S::kMet);
  EXPECT_EQ(r.stop, Day("2024-02-16"));
}

TEST(ClocksTest, AsKnownAtHidesLateRecordedStop) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  const absl::Time request_recorded = j.last_recorded_at();
  j.RecordLate(30).AssessDecision("2024-02-16");
  const absl::Time decision_recorded = j.last_recorded_at();
  const ClockRow hidden =
      Row(EvaluateClocks(j.events(), Day("2024-03-01"),
                         request_recorded + absl::Hours(24 * 40)),
          "decision_to_assess", "1");
  ASSERT_LT(request_recorded + absl::Hours(24 * 40), decision_recorded);
  EXPECT_EQ(hidden.status, S::kOverdue);
  EXPECT_EQ(hidden.days_late, 11);
  const ClockRow known = Row(
      EvaluateClocks(j.events(), Day("2024-03-01"), decision_recorded),
      "decision_to_assess", "1");
  EXPECT_EQ(known.status, S::kMet);
}

TEST(ClocksTest, VoidRemovesStopAndClockReopens) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  const std::string decision = j.AssessDecision("2024-02-16");
  j.Void("2024-03-01", decision);
  const ClockRow reopened = Row(EvaluateClocks(j.events(), Day("2024-03-03")),
                                "decision_to_assess", "1");
  EXPECT_EQ(reopened.status, S::kOverdue);
  EXPECT_EQ(reopened.days_late, 13);
  const std::string again = j.AssessDecision("2024-03-04");
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2024-03-05")),
                         "decision_to_assess", "1");
  EXPECT_EQ(r.status, S::kBreached);
  EXPECT_EQ(r.days_late, 14);
  EXPECT_EQ(r.stop_event_id, again);
}

TEST(ClocksTest, VoidDatedAfterAsOfStillRemovesItsTarget) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  const std::string decision = j.AssessDecision("2024-02-16");
  j.Void("2024-06-01", decision);
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2024-03-01")),
                         "decision_to_assess", "1");
  EXPECT_EQ(r.status, S::kOverdue);
}

TEST(ClocksTest, VoidedTriggerRemovesItsClocks) {
  JourneyBuilder j;
  const std::string request = j.Request("2024-01-08");
  j.Void("2024-01-09", request);
  EXPECT_TRUE(EvaluateClocks(j.events(), Day("2024-06-01")).empty());
}

TEST(ClocksTest, SupersedeReplacesEvent) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  const std::string first = j.AssessDecision("2024-02-16");
  const std::string second = j.AssessDecision("2024-02-23");
  j.Supersedes(first);
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2024-03-01")),
                         "decision_to_assess", "1");
  EXPECT_EQ(r.status, S::kBreached);
  EXPECT_EQ(r.days_late, 4);
  EXPECT_EQ(r.stop_event_id, second);
}

TEST(ClocksTest, SupersedeDatedAfterAsOfRemovesTargetButDoesNotYetStand) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  const std::string first = j.AssessDecision("2024-02-16");
  j.AssessDecision("2024-03-10");
  j.Supersedes(first);
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2024-03-01")),
                         "decision_to_assess", "1");
  EXPECT_EQ(r.status, S::kOverdue);
}

TEST(ClocksTest, SameDayEventsApplyInJourneyOrderWhateverTheRecordingOrder) {
  JourneyBuilder j;
  // Recorded final first, then the draft, then the request, all same day.
  j.Final("2024-01-08");
  j.Draft("2024-01-08");
  j.Request("2024-01-08");
  const auto rows = EvaluateClocks(j.events(), Day("2024-01-09"));
  // Request first: the final plan stops its 20-week clock the same day.
  EXPECT_EQ(Row(rows, "final_plan_20w", "1").status, S::kMet);
  EXPECT_EQ(Row(rows, "decision_not_to_issue", "1").status,
            S::kNotApplicable);
  EXPECT_EQ(Row(rows, "premature_final_plan", "1").status, S::kBreached);
}

TEST(ClocksTest, SameDayFinalPlanDoesNotStopPhaseTransferIdentifiedAfterIt) {
  // Journey order puts a final plan before a phase transfer identified the
  // same day: the plan came first and cannot be its stop.
  JourneyBuilder j;
  j.Final("2024-01-10");
  j.PhaseTransfer("2024-09-10", v1::PHASE_TRANSFER_KIND_PRIMARY_TO_SECONDARY,
                  2025);
  j.Final("2024-09-10");
  EXPECT_EQ(Row(EvaluateClocks(j.events(), Day("2024-09-11")),
                "phase_transfer", "1")
                .status,
            S::kPending);
  // An amended plan comes after the identification in journey order.
  j.Amended("2024-09-10");
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2024-09-11")),
                         "phase_transfer", "1");
  EXPECT_EQ(r.status, S::kMet);
  EXPECT_EQ(r.stop, Day("2024-09-10"));
}

TEST(ClocksTest, RowsOrderedByTriggerThenCatalogueThenInstance) {
  JourneyBuilder j;
  j.Final("2024-01-10");
  for (int i = 0; i < 11; ++i) {
    j.PhaseTransfer("2024-03-01", v1::PHASE_TRANSFER_KIND_PRIMARY_TO_SECONDARY,
                    2025);
  }
  j.AdviceRequested("2024-03-01", "B");
  j.AdviceRequested("2024-03-01", "A");
  j.Meeting("2024-03-01");
  const auto rows = EvaluateClocks(j.events(), Day("2024-03-02"));
  std::vector<std::string> got;
  for (const ClockRow& r : rows) {
    got.push_back(r.clock_id + ":" + r.instance);
  }
  const std::vector<std::string> want = {
      "annual_review:1",   "advice:A",          "advice:B",
      "annual_review:2",   "review_report:1",   "review_decision:1",
      "phase_transfer:1",  "phase_transfer:2",  "phase_transfer:3",
      "phase_transfer:4",  "phase_transfer:5",  "phase_transfer:6",
      "phase_transfer:7",  "phase_transfer:8",  "phase_transfer:9",
      "phase_transfer:10", "phase_transfer:11"};
  EXPECT_EQ(got, want);
}

// ---------------------------------------------------------------------------
// §8 Instances and "Which instance a stop stops".

TEST(ClocksTest, AssessmentCycleInstancesNumberedPerRequest) {
  JourneyBuilder j;
  j.Request("2023-01-09");
  j.AssessDecision("2023-02-01", /*assess=*/false);
  j.Request("2023-09-04");
  const auto rows = EvaluateClocks(j.events(), Day("2023-09-05"));
  EXPECT_EQ(Row(rows, "decision_to_assess", "1").status, S::kMet);
  EXPECT_EQ(Row(rows, "decision_to_assess", "2").status, S::kPending);
  EXPECT_EQ(Row(rows, "final_plan_20w", "1").status, S::kNotApplicable);
  EXPECT_EQ(Row(rows, "final_plan_20w", "2").trigger, Day("2023-09-04"));
}

TEST(ClocksTest, BecameResponsibleOpensANewAssessmentCycle) {
  JourneyBuilder j;
  const std::string moved = j.BecameResponsible("2024-03-04");
  const auto rows = EvaluateClocks(j.events(), Day("2024-03-04"));
  ASSERT_EQ(rows.size(), 3u);
  for (const ClockRow& r : rows) {
    EXPECT_EQ(r.instance, "1");
    EXPECT_EQ(r.trigger_event_id, moved);
  }
  EXPECT_EQ(Row(rows, "final_plan_20w", "1").due, Day("2024-07-22"));
}

TEST(ClocksTest, StopsGoToTheCycleOpenedByTheLatestRequest) {
  // Two cycles open (a move mid-assessment): the decision stops the latest.
  JourneyBuilder j;
  j.Request("2024-01-08");
  j.BecameResponsible("2024-02-01");
  j.AssessDecision("2024-02-10");
  const auto rows = EvaluateClocks(j.events(), Day("2024-03-01"));
  EXPECT_EQ(Row(rows, "decision_to_assess", "1").status, S::kOverdue);
  EXPECT_EQ(Row(rows, "decision_to_assess", "2").status, S::kMet);
}

TEST(ClocksTest, AdviceInstancesNamedByAdviceIdAndStoppedByTheirReceipt) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  j.AdviceRequested("2024-02-01", "EP1", v1::ADVICE_BODY_EDUCATIONAL_PSYCHOLOGIST);
  j.AdviceRequested("2024-02-01", "HEALTH1");
  const std::string got = j.AdviceReceived("2024-03-01", "HEALTH1");
  const auto rows = EvaluateClocks(j.events(), Day("2024-03-20"));
  EXPECT_EQ(Row(rows, "advice", "HEALTH1").status, S::kMet);
  EXPECT_EQ(Row(rows, "advice", "HEALTH1").stop_event_id, got);
  EXPECT_EQ(Row(rows, "advice", "EP1").status, S::kOverdue);
  EXPECT_EQ(Row(rows, "advice", "EP1").days_late, 6);
}

TEST(ClocksTest, AdviceReceiptBeforeItsRequestDoesNotStopIt) {
  JourneyBuilder j;
  j.AdviceReceived("2024-01-31", "EP1");
  j.AdviceRequested("2024-02-01", "EP1");
  const ClockRow r =
      Row(EvaluateClocks(j.events(), Day("2024-02-02")), "advice", "EP1");
  EXPECT_EQ(r.status, S::kPending);
}

TEST(ClocksTest, AdviceIsNeverNotApplicable) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  j.AdviceRequested("2024-01-10", "EP1");
  j.AssessDecision("2024-01-20", /*assess=*/false);
  j.Ceased("2024-01-25");
  const ClockRow r =
      Row(EvaluateClocks(j.events(), Day("2024-03-01")), "advice", "EP1");
  EXPECT_EQ(r.status, S::kOverdue);
}

TEST(ClocksTest, ReviewReportStopsMostRecentlyOpenedOpenInstance) {
  JourneyBuilder j;
  j.Final("2023-01-10");
  j.Meeting("2024-01-10");
  j.Meeting("2024-03-10");
  const std::string report = j.Report("2024-03-15");
  const auto rows = EvaluateClocks(j.events(), Day("2024-04-01"));
  EXPECT_EQ(Row(rows, "review_report", "2").status, S::kMet);
  EXPECT_EQ(Row(rows, "review_report", "2").stop_event_id, report);
  EXPECT_EQ(Row(rows, "review_report", "1").status, S::kOverdue);
}

TEST(ClocksTest, TribunalMakePlanOrderHasDraftAndFinalInstances) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  j.AssessDecision("2024-02-10");
  j.DecisionNotToIssue("2024-04-20");
  j.Tribunal("2024-09-02", "T1", v1::TRIBUNAL_ORDER_KIND_MAKE_PLAN);
  const std::string draft = j.Draft("2024-10-01");
  const std::string final_plan = j.Final("2024-11-25");
  const auto rows = EvaluateClocks(j.events(), Day("2024-12-01"));
  const ClockRow d = Row(rows, "tribunal_order", "T1:draft");
  EXPECT_EQ(d.due, Day("2024-10-07"));
  EXPECT_EQ(d.status, S::kMet);
  EXPECT_EQ(d.stop_event_id, draft);
  const ClockRow f = Row(rows, "tribunal_order", "T1:final");
  EXPECT_EQ(f.due, Day("2024-11-18"));
  EXPECT_EQ(f.status, S::kBreached);
  EXPECT_EQ(f.days_late, 7);
  EXPECT_EQ(f.stop_event_id, final_plan);
}

// ---------------------------------------------------------------------------
// §8 Exceptions.

TEST(ClocksTest, ExceptionExcusesBreachedClock) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  const std::string x = j.Exception("2024-05-30", v1::EXCEPTION_LIMB_REG10_4_C,
                                    {"final_plan_20w"});
  j.Final("2024-05-31");
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2024-06-01")),
                         "final_plan_20w", "1");
  EXPECT_EQ(r.status, S::kExcused);
  EXPECT_EQ(r.days_late, 4);
  EXPECT_EQ(r.excused_by_event_id, x);
  EXPECT_EQ(r.excused_by_limb, "reg10_4_c");
  EXPECT_TRUE(r.has_exception);
}

TEST(ClocksTest, ExceptionExcusesOverdueOpenClock) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  j.Exception("2024-06-10", v1::EXCEPTION_LIMB_REG10_4_D,
              {"final_plan_20w:1"});
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2024-06-17")),
                         "final_plan_20w", "1");
  EXPECT_EQ(r.status, S::kExcused);
  EXPECT_EQ(r.days_late, 21);
  EXPECT_FALSE(r.stop.has_value());
}

TEST(ClocksTest, ExceptionDatedOnStopDayDoesNotExcuse) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  j.Exception("2024-05-31", v1::EXCEPTION_LIMB_REG10_4_C, {"final_plan_20w"});
  j.Final("2024-05-31");
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2024-06-01")),
                         "final_plan_20w", "1");
  EXPECT_EQ(r.status, S::kBreached);
  EXPECT_FALSE(r.has_exception);
  EXPECT_TRUE(r.excused_by_event_id.empty());
}

TEST(ClocksTest, ExceptionDatedBeforeTriggerDoesNotExcuse) {
  JourneyBuilder j;
  j.Request("2023-01-09");
  j.AssessDecision("2023-02-01", /*assess=*/false);
  j.Exception("2023-09-01", v1::EXCEPTION_LIMB_REG5_4_D,
              {"decision_to_assess"});
  j.Request("2023-09-04");
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2023-11-01")),
                         "decision_to_assess", "2");
  EXPECT_EQ(r.status, S::kOverdue);
}

TEST(ClocksTest, ExceptionDatedOnTriggerDayExcuses) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  j.Exception("2024-01-08", v1::EXCEPTION_LIMB_REG5_4_C,
              {"decision_to_assess"});
  EXPECT_EQ(Row(EvaluateClocks(j.events(), Day("2024-03-01")),
                "decision_to_assess", "1")
                .status,
            S::kExcused);
}

TEST(ClocksTest, ExceptionNeverChangesMetOrPending) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  j.Exception("2024-02-01", v1::EXCEPTION_LIMB_REG5_4_C,
              {"decision_to_assess"});
  const ClockRow pending = Row(EvaluateClocks(j.events(), Day("2024-02-10")),
                               "decision_to_assess", "1");
  EXPECT_EQ(pending.status, S::kPending);
  EXPECT_TRUE(pending.has_exception);
  j.AssessDecision("2024-02-16");
  const ClockRow met = Row(EvaluateClocks(j.events(), Day("2024-03-01")),
                           "decision_to_assess", "1");
  EXPECT_EQ(met.status, S::kMet);
  EXPECT_TRUE(met.has_exception);
  EXPECT_TRUE(met.excused_by_event_id.empty());
}

TEST(ClocksTest, ExceptionWithLimbNotAllowedForTheClockDoesNotExcuse) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  j.Exception("2024-02-01", v1::EXCEPTION_LIMB_REG5_4_C, {"final_plan_20w"});
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2024-06-01")),
                         "final_plan_20w", "1");
  EXPECT_EQ(r.status, S::kOverdue);
  EXPECT_FALSE(r.has_exception);
}

TEST(ClocksTest, ExceptionNamingOneInstanceDoesNotExcuseAnother) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  j.AdviceRequested("2024-02-01", "EP1");
  j.AdviceRequested("2024-02-01", "HEALTH1");
  j.Exception("2024-02-05", v1::EXCEPTION_LIMB_REG8_2_B, {"advice:EP1"});
  const auto rows = EvaluateClocks(j.events(), Day("2024-04-01"));
  EXPECT_EQ(Row(rows, "advice", "EP1").status, S::kExcused);
  EXPECT_EQ(Row(rows, "advice", "HEALTH1").status, S::kOverdue);
}

TEST(ClocksTest, ExceptionNamingTheClockCoversEveryInstance) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  j.AdviceRequested("2024-02-01", "EP1");
  j.AdviceRequested("2024-02-01", "HEALTH1");
  j.Exception("2024-02-05", v1::EXCEPTION_LIMB_REG8_2_C, {"advice"});
  const auto rows = EvaluateClocks(j.events(), Day("2024-04-01"));
  EXPECT_EQ(Row(rows, "advice", "EP1").status, S::kExcused);
  EXPECT_EQ(Row(rows, "advice", "HEALTH1").status, S::kExcused);
}

TEST(ClocksTest, ExceptionNamingTribunalOrderCoversDraftAndFinal) {
  JourneyBuilder j;
  j.Tribunal("2024-09-02", "T1", v1::TRIBUNAL_ORDER_KIND_MAKE_PLAN);
  j.Exception("2024-09-20", v1::EXCEPTION_LIMB_REG44_3_B,
              {"tribunal_order:T1"});
  const auto rows = EvaluateClocks(j.events(), Day("2025-01-01"));
  EXPECT_EQ(Row(rows, "tribunal_order", "T1:draft").status, S::kExcused);
  EXPECT_EQ(Row(rows, "tribunal_order", "T1:final").status, S::kExcused);
}

TEST(ClocksTest, ExceptionDatedAfterAsOfDoesNotExcuse) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  j.Exception("2024-03-10", v1::EXCEPTION_LIMB_REG5_4_C,
              {"decision_to_assess"});
  EXPECT_EQ(Row(EvaluateClocks(j.events(), Day("2024-03-01")),
                "decision_to_assess", "1")
                .status,
            S::kOverdue);
  EXPECT_EQ(Row(EvaluateClocks(j.events(), Day("2024-03-10")),
                "decision_to_assess", "1")
                .status,
            S::kExcused);
}

TEST(ClocksTest, FirstExcusingExceptionIsReported) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  j.Exception("2024-01-01", v1::EXCEPTION_LIMB_REG5_4_C,
              {"decision_to_assess"});  // before the trigger
  const std::string first = j.Exception(
      "2024-02-01", v1::EXCEPTION_LIMB_REG5_4_D, {"decision_to_assess"});
  j.Exception("2024-02-02", v1::EXCEPTION_LIMB_REG5_4_C,
              {"decision_to_assess"});
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2024-03-01")),
                         "decision_to_assess", "1");
  EXPECT_EQ(r.excused_by_event_id, first);
  EXPECT_EQ(r.excused_by_limb, "reg5_4_d");
}

TEST(ClocksTest, CovidExceptionOnlyForTriggersInWindow) {
  auto evaluate = [](const char* request) {
    JourneyBuilder j;
    j.Request(request);
    j.Exception("2020-06-15", v1::EXCEPTION_LIMB_COVID_2020,
                {"final_plan_20w"});
    j.Final("2020-12-01");
    return Row(EvaluateClocks(j.events(), Day("2021-01-01")),
               "final_plan_20w", "1");
  };
  EXPECT_EQ(evaluate("2020-04-30").status, S::kBreached);
  const ClockRow in_window = evaluate("2020-05-01");
  EXPECT_EQ(in_window.status, S::kExcused);
  EXPECT_EQ(in_window.excused_by_limb, "covid_2020");
  EXPECT_EQ(in_window.rule_version, "2014+covid_2020");
}

TEST(ClocksTest, CovidExceptionExcusesEveryDeadlineClockTriggeredInWindow) {
  JourneyBuilder j;
  j.Final("2020-07-01");  // annual review due 2021-06-30
  j.Exception("2021-03-01", v1::EXCEPTION_LIMB_COVID_2020, {"annual_review"});
  j.Meeting("2021-08-01");
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2021-09-01")),
                         "annual_review", "1");
  EXPECT_EQ(r.status, S::kExcused);
  EXPECT_EQ(r.days_late, 32);
  // The next review, triggered outside the window, is not covered.
  j.Exception("2022-08-10", v1::EXCEPTION_LIMB_COVID_2020, {"annual_review"});
  EXPECT_EQ(Row(EvaluateClocks(j.events(), Day("2022-09-01")),
                "annual_review", "2")
                .status,
            S::kOverdue);
}

TEST(ClocksTest, CovidExceptionDatedAfterWindowStillExcusesClockTriggeredInIt) {
  JourneyBuilder j;
  j.Request("2020-09-25");
  j.Exception("2020-12-01", v1::EXCEPTION_LIMB_COVID_2020, {"final_plan_20w"});
  EXPECT_EQ(Row(EvaluateClocks(j.events(), Day("2021-03-01")),
                "final_plan_20w", "1")
                .status,
            S::kExcused);
}

}  // namespace
}  // namespace ehcp::domain
