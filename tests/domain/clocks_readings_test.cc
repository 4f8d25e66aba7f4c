// Clock evaluation: one test per §8 "Per clock" reading.
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

// ---------------------------------------------------------------------------
// §8 Per clock: assessment cycle.

TEST(ClockReadingsTest, DecisionNotToIssueNeverOverdue) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  j.AssessDecision("2024-02-10");
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2025-01-01")),
                         "decision_not_to_issue", "1");
  EXPECT_EQ(r.status, S::kPending);
  EXPECT_EQ(r.days_late, 0);
  EXPECT_EQ(r.days_remaining,
            static_cast<int>(Day("2024-04-29") - Day("2025-01-01")));
  // Even with an exception recorded, PENDING is never turned into EXCUSED.
  j.Exception("2024-06-01", v1::EXCEPTION_LIMB_REG10_4_C,
              {"decision_not_to_issue"});
  EXPECT_EQ(Row(EvaluateClocks(j.events(), Day("2025-01-01")),
                "decision_not_to_issue", "1")
                .status,
            S::kPending);
}

TEST(ClockReadingsTest, DecisionNotToIssueMetBreachedOrExcusedOnlyByItsNotice) {
  JourneyBuilder met;
  met.Request("2024-01-08");
  met.AssessDecision("2024-02-10");
  const std::string notice = met.DecisionNotToIssue("2024-04-29");
  const auto rows = EvaluateClocks(met.events(), Day("2024-05-01"));
  EXPECT_EQ(Row(rows, "decision_not_to_issue", "1").status, S::kMet);
  EXPECT_EQ(Row(rows, "decision_not_to_issue", "1").stop_event_id, notice);

  JourneyBuilder late;
  late.Request("2024-01-08");
  late.AssessDecision("2024-02-10");
  late.Exception("2024-04-01", v1::EXCEPTION_LIMB_REG10_4_A,
                 {"decision_not_to_issue"});
  late.DecisionNotToIssue("2024-05-09");
  const ClockRow r = Row(EvaluateClocks(late.events(), Day("2024-06-01")),
                         "decision_not_to_issue", "1");
  EXPECT_EQ(r.status, S::kExcused);
  EXPECT_EQ(r.days_late, 10);
}

TEST(ClockReadingsTest, DecisionNotToIssueNotApplicableOnceDraftServed) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  j.AssessDecision("2024-02-10");
  j.Draft("2024-06-01");
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2024-06-02")),
                         "decision_not_to_issue", "1");
  EXPECT_EQ(r.status, S::kNotApplicable);
  EXPECT_FALSE(r.stop.has_value());
  EXPECT_TRUE(r.stop_event_id.empty());
  EXPECT_EQ(r.days_late, 0);
  EXPECT_EQ(r.days_remaining, 0);
}

TEST(ClockReadingsTest, DecisionNotToAssessClosesDecisionNotToIssueAndFinalPlan) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  j.AssessDecision("2024-03-01", /*assess=*/false);
  const auto rows = EvaluateClocks(j.events(), Day("2024-12-01"));
  EXPECT_EQ(Row(rows, "decision_to_assess", "1").status, S::kBreached);
  EXPECT_EQ(Row(rows, "decision_to_assess", "1").days_late, 11);
  EXPECT_EQ(Row(rows, "decision_not_to_issue", "1").status,
            S::kNotApplicable);
  EXPECT_EQ(Row(rows, "final_plan_20w", "1").status, S::kNotApplicable);
}

TEST(ClockReadingsTest, DecisionNotToIssueClosesFinalPlanNotApplicable) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  j.AssessDecision("2024-02-10");
  j.DecisionNotToIssue("2024-04-20");
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2024-12-01")),
                         "final_plan_20w", "1");
  EXPECT_EQ(r.status, S::kNotApplicable);
  EXPECT_EQ(r.days_late, 0);
  EXPECT_FALSE(r.stop.has_value());
}

TEST(ClockReadingsTest, FinalPlanAfterRefusalDoesNotReviveTwentyWeekClock) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  j.AssessDecision("2024-02-10", /*assess=*/false);
  j.Tribunal("2024-07-01", "T1", v1::TRIBUNAL_ORDER_KIND_ASSESS);
  const std::string decision = j.AssessDecision("2024-07-10");
  j.Draft("2024-10-01");
  j.Final("2024-11-01");
  const auto rows = EvaluateClocks(j.events(), Day("2024-12-01"));
  EXPECT_EQ(Row(rows, "final_plan_20w", "1").status, S::kNotApplicable);
  EXPECT_EQ(Row(rows, "decision_to_assess", "1").stop, Day("2024-02-10"));
  EXPECT_EQ(Row(rows, "tribunal_order", "T1").status, S::kMet);
  EXPECT_EQ(Row(rows, "tribunal_order", "T1").stop_event_id, decision);
  EXPECT_EQ(Row(rows, "annual_review", "1").trigger, Day("2024-11-01"));
}

TEST(ClockReadingsTest, NotApplicableRowsHaveNoStopAndZeroDaysLate) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  j.AssessDecision("2024-06-01", /*assess=*/false);  // long after every due
  for (const ClockRow& r : EvaluateClocks(j.events(), Day("2025-01-01"))) {
    if (r.status != S::kNotApplicable) continue;
    EXPECT_FALSE(r.stop.has_value()) << r.clock_id;
    EXPECT_TRUE(r.stop_event_id.empty()) << r.clock_id;
    EXPECT_EQ(r.days_late, 0) << r.clock_id;
  }
}

TEST(ClockReadingsTest, FinalPlanIssuedAfter144DaysIsFourDaysLate) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  j.Final("2024-05-31");
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2024-06-01")),
                         "final_plan_20w", "1");
  EXPECT_EQ(Day("2024-05-31") - Day("2024-01-08"), 144);
  EXPECT_EQ(r.days_late, 4);
}

// ---------------------------------------------------------------------------
// Draft representations and premature final plans.

TEST(ClockReadingsTest, DraftRepresentationsWindowIsPendingThenMetAndNeverBreached) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  j.Draft("2024-05-10");
  const ClockRow open = Row(EvaluateClocks(j.events(), Day("2024-05-24")),
                            "draft_representations", "1");
  EXPECT_EQ(open.status, S::kPending);
  EXPECT_EQ(open.due, Day("2024-05-24"));
  EXPECT_EQ(open.days_remaining, 0);
  const ClockRow closed = Row(EvaluateClocks(j.events(), Day("2024-05-25")),
                              "draft_representations", "1");
  EXPECT_EQ(closed.status, S::kMet);
  EXPECT_FALSE(closed.stop.has_value());
  EXPECT_EQ(closed.days_late, 0);
}

TEST(ClockReadingsTest, ProposedAmendmentsOpenARepresentationsWindow) {
  JourneyBuilder j;
  j.Final("2024-01-10");
  j.Draft("2024-02-01");  // numbering is shared with drafts
  j.Proposed("2024-06-03");
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2024-06-10")),
                         "draft_representations", "2");
  EXPECT_EQ(r.trigger, Day("2024-06-03"));
  EXPECT_EQ(r.due, Day("2024-06-17"));
  EXPECT_EQ(r.status, S::kPending);
  EXPECT_EQ(r.days_remaining, 7);
}

TEST(ClockReadingsTest, PrematureFinalPlanBreachedWithinWindowWithoutWaiver) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  const std::string draft = j.Draft("2024-05-10");
  const std::string final_plan = j.Final("2024-05-24");
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2024-06-01")),
                         "premature_final_plan", "1");
  EXPECT_EQ(r.status, S::kBreached);
  EXPECT_EQ(r.days_late, 0);
  EXPECT_EQ(r.trigger_event_id, draft);
  EXPECT_EQ(r.stop_event_id, final_plan);
  EXPECT_EQ(r.due, Day("2024-05-24"));
}

TEST(ClockReadingsTest, PrematureFinalPlanMetTheDayAfterTheWindow) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  j.Draft("2024-05-10");
  j.Final("2024-05-25");
  EXPECT_EQ(Row(EvaluateClocks(j.events(), Day("2024-06-01")),
                "premature_final_plan", "1")
                .status,
            S::kMet);
}

TEST(ClockReadingsTest, PrematureFinalPlanMetWhenWaived) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  j.Draft("2024-05-10");
  j.Waiver("2024-05-15");
  j.Final("2024-05-15");
  EXPECT_EQ(Row(EvaluateClocks(j.events(), Day("2024-06-01")),
                "premature_final_plan", "1")
                .status,
            S::kMet);
}

TEST(ClockReadingsTest, WaiverBeforeTheDraftDoesNotCount) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  j.Waiver("2024-05-09");
  j.Draft("2024-05-10");
  j.Final("2024-05-15");
  EXPECT_EQ(Row(EvaluateClocks(j.events(), Day("2024-06-01")),
                "premature_final_plan", "1")
                .status,
            S::kBreached);
}

TEST(ClockReadingsTest, PrematureFinalPlanUsesLatestDraftSinceLastFinal) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  j.Draft("2024-04-01");
  const std::string second = j.Draft("2024-05-10");
  j.Final("2024-05-20");
  const auto rows = EvaluateClocks(j.events(), Day("2024-06-01"));
  EXPECT_EQ(CountRows(rows, "premature_final_plan"), 1);
  const ClockRow r = Row(rows, "premature_final_plan", "1");
  EXPECT_EQ(r.trigger_event_id, second);
  EXPECT_EQ(r.status, S::kBreached);
}

TEST(ClockReadingsTest, FinalPlanWithoutDraftHasNoPrematureRow) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  j.Draft("2024-04-01");
  j.Final("2024-05-20");
  j.Final("2025-05-20");  // a second final plan with no new draft
  EXPECT_EQ(CountRows(EvaluateClocks(j.events(), Day("2025-06-01")),
                      "premature_final_plan"),
            1);
}

TEST(ClockReadingsTest, AmendedPlanIsNotCheckedForPrematurity) {
  JourneyBuilder j;
  j.Final("2024-01-10");
  j.Proposed("2024-06-03");
  j.Amended("2024-06-05");
  EXPECT_EQ(CountRows(EvaluateClocks(j.events(), Day("2024-07-01")),
                      "premature_final_plan"),
            0);
}

// ---------------------------------------------------------------------------
// Annual reviews.

TEST(ClockReadingsTest, AnnualReviewDueFromLeapDayIs27FebruaryNextYear) {
  JourneyBuilder j;
  j.Final("2024-02-29");
  EXPECT_EQ(Row(EvaluateClocks(j.events(), Day("2024-03-01")),
                "annual_review", "1")
                .due,
            Day("2025-02-27"));
}

TEST(ClockReadingsTest, AnnualReviewDueAtMonthEnds) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"2024-05-31", "2025-05-30"}, {"2023-03-31", "2024-03-30"},
      {"2024-01-31", "2025-01-30"}, {"2023-02-28", "2024-02-27"},
      {"2023-03-01", "2024-02-29"}, {"2024-12-31", "2025-12-30"}};
  for (const auto& [plan, due] : cases) {
    JourneyBuilder j;
    j.Final(plan);
    EXPECT_EQ(Row(EvaluateClocks(j.events(), Day(plan)), "annual_review", "1")
                  .due,
              Day(due))
        << plan;
  }
}

TEST(ClockReadingsTest, AnnualReviewChainRestartsAtEachMeeting) {
  JourneyBuilder j;
  j.Final("2022-03-15");
  const std::string m1 = j.Meeting("2023-03-20");  // late
  j.Meeting("2024-03-01");
  const auto rows = EvaluateClocks(j.events(), Day("2024-03-02"));
  const ClockRow first = Row(rows, "annual_review", "1");
  EXPECT_EQ(first.status, S::kBreached);
  EXPECT_EQ(first.days_late, 6);
  EXPECT_EQ(first.stop_event_id, m1);
  const ClockRow second = Row(rows, "annual_review", "2");
  EXPECT_EQ(second.trigger_event_id, m1);
  EXPECT_EQ(second.due, Day("2024-03-19"));
  EXPECT_EQ(second.status, S::kMet);
  EXPECT_EQ(Row(rows, "annual_review", "3").status, S::kPending);
}

TEST(ClockReadingsTest, AnnualReviewOverdueWhenNoMeeting) {
  JourneyBuilder j;
  j.Final("2024-05-31");
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2025-09-01")),
                         "annual_review", "1");
  EXPECT_EQ(r.status, S::kOverdue);
  EXPECT_EQ(r.days_late, 94);
}

TEST(ClockReadingsTest, ReplacementFinalPlanClosesOpenAnnualReviewAndOpensNew) {
  JourneyBuilder j;
  j.Final("2023-01-10");
  j.Reassess("2023-06-01");
  j.Draft("2023-08-01");
  const std::string replacement = j.Final("2023-08-20");
  const auto rows = EvaluateClocks(j.events(), Day("2023-09-01"));
  EXPECT_EQ(Row(rows, "annual_review", "1").status, S::kNotApplicable);
  const ClockRow next = Row(rows, "annual_review", "2");
  EXPECT_EQ(next.trigger_event_id, replacement);
  EXPECT_EQ(next.due, Day("2024-08-19"));
}

TEST(ClockReadingsTest, AmendedPlanDoesNotRestartAnnualReview) {
  JourneyBuilder j;
  j.Final("2023-01-10");
  j.Proposed("2023-06-01");
  j.Amended("2023-07-01");
  const auto rows = EvaluateClocks(j.events(), Day("2023-08-01"));
  EXPECT_EQ(CountRows(rows, "annual_review"), 1);
  EXPECT_EQ(Row(rows, "annual_review", "1").due, Day("2024-01-09"));
}

// ---------------------------------------------------------------------------
// Review report, decision, amendment.

TEST(ClockReadingsTest, ReviewReportDueTwoWeeksAfterMeeting) {
  JourneyBuilder j;
  j.Final("2024-01-10");
  j.Meeting("2024-12-02");
  j.Report("2024-12-17");
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2025-01-01")),
                         "review_report", "1");
  EXPECT_EQ(r.due, Day("2024-12-16"));
  EXPECT_EQ(r.status, S::kBreached);
  EXPECT_EQ(r.days_late, 1);
}

TEST(ClockReadingsTest, DevonReviewDecisionStopsAtLaterOfDecisionAndProposal) {
  JourneyBuilder j;
  j.Final("2022-03-01");
  j.Meeting("2023-01-10");
  j.ReviewDecision("2023-01-20", v1::REVIEW_OUTCOME_AMEND);
  const std::string proposed = j.Proposed("2023-02-10");
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2023-03-01")),
                         "review_decision", "1");
  EXPECT_EQ(r.due, Day("2023-02-07"));
  EXPECT_EQ(r.stop, Day("2023-02-10"));
  EXPECT_EQ(r.stop_event_id, proposed);
  EXPECT_EQ(r.status, S::kBreached);
  EXPECT_EQ(r.days_late, 3);
  EXPECT_EQ(r.rule_version, "devon_2022");
}

TEST(ClockReadingsTest, DevonAmendDecisionKeepsClockOpenUntilProposals) {
  JourneyBuilder j;
  j.Final("2022-03-01");
  j.Meeting("2023-01-10");
  j.ReviewDecision("2023-01-20", v1::REVIEW_OUTCOME_AMEND);
  EXPECT_EQ(Row(EvaluateClocks(j.events(), Day("2023-02-07")),
                "review_decision", "1")
                .status,
            S::kPending);
  const ClockRow overdue = Row(EvaluateClocks(j.events(), Day("2023-02-09")),
                               "review_decision", "1");
  EXPECT_EQ(overdue.status, S::kOverdue);
  EXPECT_EQ(overdue.days_late, 2);
}

TEST(ClockReadingsTest, DevonProposalsBeforeTheDecisionMakeTheDecisionTheStop) {
  JourneyBuilder j;
  j.Final("2022-03-01");
  j.Meeting("2023-01-10");
  j.Proposed("2023-01-15");
  const std::string decision =
      j.ReviewDecision("2023-01-20", v1::REVIEW_OUTCOME_AMEND);
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2023-03-01")),
                         "review_decision", "1");
  EXPECT_EQ(r.stop, Day("2023-01-20"));
  EXPECT_EQ(r.stop_event_id, decision);
  EXPECT_EQ(r.status, S::kMet);
}

TEST(ClockReadingsTest, DevonProposalsBeforeTheMeetingDoNotCount) {
  JourneyBuilder j;
  j.Final("2022-03-01");
  j.Proposed("2023-01-05");
  j.Meeting("2023-01-10");
  j.ReviewDecision("2023-01-20", v1::REVIEW_OUTCOME_AMEND);
  EXPECT_FALSE(Row(EvaluateClocks(j.events(), Day("2023-03-01")),
                   "review_decision", "1")
                   .stop.has_value());
}

TEST(ClockReadingsTest, PreDevonReviewDecisionStopsAtDecision) {
  JourneyBuilder j;
  j.Final("2020-03-01");
  j.Meeting("2022-03-07");
  const std::string decision =
      j.ReviewDecision("2022-03-20", v1::REVIEW_OUTCOME_AMEND);
  j.Proposed("2022-05-10");
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2022-06-01")),
                         "review_decision", "1");
  EXPECT_EQ(r.stop, Day("2022-03-20"));
  EXPECT_EQ(r.stop_event_id, decision);
  EXPECT_EQ(r.status, S::kMet);
  EXPECT_EQ(r.rule_version, "2014");
}

TEST(ClockReadingsTest, DevonAppliesToMeetingsFromEighthMarch2022) {
  JourneyBuilder j;
  j.Final("2020-03-01");
  j.Meeting("2022-03-08");
  j.ReviewDecision("2022-03-20", v1::REVIEW_OUTCOME_AMEND);
  const std::string proposed = j.Proposed("2022-05-10");
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2022-06-01")),
                         "review_decision", "1");
  EXPECT_EQ(r.stop_event_id, proposed);
  EXPECT_EQ(r.status, S::kBreached);
  EXPECT_EQ(r.days_late, 35);
}

TEST(ClockReadingsTest, ReviewDecisionMaintainOrCeaseStopsOnItsDate) {
  for (v1::ReviewOutcome outcome :
       {v1::REVIEW_OUTCOME_MAINTAIN, v1::REVIEW_OUTCOME_CEASE}) {
    JourneyBuilder j;
    j.Final("2023-01-10");
    j.Meeting("2024-01-08");
    const std::string d = j.ReviewDecision("2024-02-06", outcome);
    const ClockRow r = Row(EvaluateClocks(j.events(), Day("2024-03-01")),
                           "review_decision", "1");
    EXPECT_EQ(r.due, Day("2024-02-05"));
    EXPECT_EQ(r.stop_event_id, d);
    EXPECT_EQ(r.status, S::kBreached);
    EXPECT_EQ(r.days_late, 1);
  }
}

TEST(ClockReadingsTest, AmendmentDueEightWeeksAfterProposalNotCappedByMeeting) {
  JourneyBuilder j;
  j.Final("2023-01-10");
  j.Meeting("2024-01-08");
  j.ReviewDecision("2024-02-20", v1::REVIEW_OUTCOME_AMEND);
  j.Proposed("2024-02-20");
  j.Amended("2024-04-16");
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2024-05-01")),
                         "amendment", "1");
  // meeting + 12 weeks would be 2024-04-01.
  EXPECT_EQ(r.due, Day("2024-04-16"));
  EXPECT_EQ(r.status, S::kMet);
}

TEST(ClockReadingsTest, AmendmentStoppedByDecisionNotToAmend) {
  JourneyBuilder j;
  j.Final("2023-01-10");
  j.Proposed("2024-02-20");
  const std::string no = j.NotAmend("2024-04-20");
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2024-05-01")),
                         "amendment", "1");
  EXPECT_EQ(r.stop_event_id, no);
  EXPECT_EQ(r.status, S::kBreached);
  EXPECT_EQ(r.days_late, 4);
}

TEST(ClockReadingsTest, AmendedPlanStopsMostRecentlyOpenedAmendment) {
  JourneyBuilder j;
  j.Final("2023-01-10");
  j.Proposed("2024-02-20");
  j.Proposed("2024-03-20");
  j.Amended("2024-04-01");
  const auto rows = EvaluateClocks(j.events(), Day("2024-06-01"));
  EXPECT_EQ(Row(rows, "amendment", "2").status, S::kMet);
  EXPECT_EQ(Row(rows, "amendment", "1").status, S::kOverdue);
}

// ---------------------------------------------------------------------------
// Phase transfers.

TEST(ClockReadingsTest, PhaseTransferDueFourteenthFebruary) {
  JourneyBuilder j;
  j.Final("2023-01-10");
  j.PhaseTransfer("2024-09-10", v1::PHASE_TRANSFER_KIND_PRIMARY_TO_SECONDARY,
                  2025);
  j.Amended("2025-02-15");
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2025-03-01")),
                         "phase_transfer", "1");
  EXPECT_EQ(r.due, Day("2025-02-14"));
  EXPECT_EQ(r.status, S::kBreached);
  EXPECT_EQ(r.days_late, 1);
}

TEST(ClockReadingsTest, PhaseTransferSecondaryToPost16DueThirtiethMarch) {
  JourneyBuilder j;
  j.Final("2023-01-10");
  j.PhaseTransfer("2024-09-10", v1::PHASE_TRANSFER_KIND_SECONDARY_TO_POST16,
                  2025);
  j.Amended("2025-03-30");
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2025-04-01")),
                         "phase_transfer", "1");
  EXPECT_EQ(r.due, Day("2025-03-30"));
  EXPECT_EQ(r.status, S::kMet);
}

TEST(ClockReadingsTest, PhaseTransferIdentifiedAfterItsDueDateIsOverdueAtOnce) {
  JourneyBuilder j;
  j.Final("2023-01-10");
  j.PhaseTransfer("2024-09-10", v1::PHASE_TRANSFER_KIND_EARLY_YEARS_TO_SCHOOL,
                  2024);
  // Identified after its due date: overdue at once.
  EXPECT_EQ(Row(EvaluateClocks(j.events(), Day("2024-09-10")),
                "phase_transfer", "1")
                .status,
            S::kOverdue);
}

TEST(ClockReadingsTest, PhaseTransferStoppedForEveryOpenInstanceByAmendedOrFinalPlan) {
  JourneyBuilder j;
  j.Final("2023-01-10");
  j.PhaseTransfer("2024-09-10", v1::PHASE_TRANSFER_KIND_INFANT_TO_JUNIOR, 2025);
  j.PhaseTransfer("2024-09-11", v1::PHASE_TRANSFER_KIND_PRIMARY_TO_MIDDLE,
                  2025);
  const std::string plan = j.Final("2025-01-10");
  const auto rows = EvaluateClocks(j.events(), Day("2025-03-01"));
  EXPECT_EQ(Row(rows, "phase_transfer", "1").stop_event_id, plan);
  EXPECT_EQ(Row(rows, "phase_transfer", "2").stop_event_id, plan);
  EXPECT_EQ(Row(rows, "phase_transfer", "2").status, S::kMet);
}

// ---------------------------------------------------------------------------
// Transfers in and out.

TEST(ClockReadingsTest, TransferInNoticeDueSixWeeks) {
  JourneyBuilder j;
  j.TransferIn("2024-11-30");
  j.Notice("2025-01-13");
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2025-02-01")),
                         "transfer_in_notice", "1");
  EXPECT_EQ(r.due, Day("2025-01-11"));
  EXPECT_EQ(r.status, S::kBreached);
  EXPECT_EQ(r.days_late, 2);
}

TEST(ClockReadingsTest, TransferInReviewWithNoRunningReviewIsThreeMonths) {
  JourneyBuilder j;
  j.TransferIn("2024-11-30");
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2024-12-01")),
                         "transfer_in_review", "1");
  EXPECT_EQ(r.due, Day("2025-02-27"));
}

TEST(ClockReadingsTest, TransferInReviewIsDueOnTheLaterOfTheOldReviewYearAndThreeMonths) {
  struct Case {
    const char* transfer;
    const char* last_reviewed_on;  // "" when the transfer does not say
    const char* due;
  };
  for (const Case& c : {
           // §8 (issue example): the 12 months from the review end
           // 2024-01-19, after the 3 months from the transfer (2024-01-01).
           Case{"2023-10-02", "2023-01-20", "2024-01-19"},
           // Without last_reviewed_on: the 3 months beginning with the
           // transfer.
           Case{"2023-10-02", "", "2024-01-01"},
           // A review long ago: its 12 months ended before the 3 months.
           Case{"2023-10-02", "2022-05-01", "2024-01-01"},
           // Reviewed on a leap day: month-end clamp, then minus one day.
           Case{"2024-11-30", "2024-02-29", "2025-02-27"},
           // Reviewed the day of the transfer: due a year on.
           Case{"2024-01-31", "2024-01-31", "2025-01-30"},
       }) {
    JourneyBuilder j;
    j.TransferIn(c.transfer, c.last_reviewed_on);
    EXPECT_EQ(Row(EvaluateClocks(j.events(), Day(c.transfer) + 1),
                  "transfer_in_review", "1")
                  .due,
              Day(c.due))
        << c.transfer << " last reviewed " << c.last_reviewed_on;
  }
}

TEST(ClockReadingsTest, TransferredInPlanHasNoAnnualReviewUntilFirstMeeting) {
  JourneyBuilder j;
  j.TransferIn("2024-11-30");
  EXPECT_EQ(CountRows(EvaluateClocks(j.events(), Day("2025-06-01")),
                      "annual_review"),
            0);
  const std::string meeting = j.Meeting("2025-02-20");
  const auto rows = EvaluateClocks(j.events(), Day("2025-06-01"));
  const ClockRow review = Row(rows, "transfer_in_review", "1");
  EXPECT_EQ(review.status, S::kMet);
  EXPECT_EQ(review.stop_event_id, meeting);
  const ClockRow chain = Row(rows, "annual_review", "1");
  EXPECT_EQ(chain.trigger_event_id, meeting);
  EXPECT_EQ(chain.due, Day("2026-02-19"));
  // Meetings are numbered per case: the first here is 1.
  EXPECT_TRUE(HasRow(rows, "review_report", "1"));
}

TEST(ClockReadingsTest, PlanCeasedClosesReviewClocksNotApplicable) {
  JourneyBuilder j;
  j.Final("2023-01-10");
  j.TransferIn("2023-02-01");
  j.Meeting("2024-01-08");
  j.Proposed("2024-01-20");
  j.PhaseTransfer("2024-01-21", v1::PHASE_TRANSFER_KIND_PRIMARY_TO_SECONDARY,
                  2025);
  j.Reassess("2024-01-22");
  j.Ceased("2024-02-01");
  const auto rows = EvaluateClocks(j.events(), Day("2025-06-01"));
  for (const char* c : {"annual_review", "review_report", "review_decision",
                        "amendment", "phase_transfer", "transfer_in_notice",
                        "reassessment"}) {
    bool any = false;
    for (const ClockRow& r : rows) {
      if (r.clock_id != c || r.stop.has_value()) continue;
      any = true;
      EXPECT_EQ(r.status, S::kNotApplicable) << c << ":" << r.instance;
    }
    EXPECT_TRUE(any) << c;
  }
  // The clocks stopped by the meeting keep their status (the transfer says
  // nothing of the old LA's last review: 3 months, so late).
  EXPECT_EQ(Row(rows, "annual_review", "1").status, S::kMet);
  EXPECT_EQ(Row(rows, "transfer_in_review", "1").status, S::kBreached);
}

TEST(ClockReadingsTest, PlanCeasedLeavesAdviceAssessmentAndTribunalClocks) {
  JourneyBuilder j;
  j.Final("2023-01-10");
  j.Request("2023-06-01");
  j.AdviceRequested("2023-06-05", "EP1");
  j.Tribunal("2023-06-10", "T2", v1::TRIBUNAL_ORDER_KIND_AMEND);
  j.Ceased("2023-06-20");
  const auto rows = EvaluateClocks(j.events(), Day("2024-01-01"));
  EXPECT_EQ(Row(rows, "advice", "EP1").status, S::kOverdue);
  EXPECT_EQ(Row(rows, "decision_to_assess", "1").status, S::kOverdue);
  EXPECT_EQ(Row(rows, "final_plan_20w", "1").status, S::kOverdue);
  EXPECT_EQ(Row(rows, "tribunal_order", "T2").status, S::kOverdue);
}

TEST(ClockReadingsTest, PlanTransferredOutClosesClocksLikePlanCeased) {
  JourneyBuilder j("1999-03");
  j.Final("2023-01-10");
  j.Meeting("2024-01-08");
  j.TransferOut("2024-01-15");
  const auto rows = EvaluateClocks(j.events(), Day("2025-06-01"));
  EXPECT_EQ(Row(rows, "annual_review", "2").status, S::kNotApplicable);
  EXPECT_EQ(Row(rows, "review_report", "1").status, S::kNotApplicable);
  EXPECT_EQ(Row(rows, "review_decision", "1").status, S::kNotApplicable);
  // No plan active at the 25th birthday month (2024-03-01): no age-25 row.
  EXPECT_EQ(CountRows(rows, "age_25_cessation"), 0);
}

TEST(ClockReadingsTest, PlanTransferredOutAfterAge25TriggerClosesItNotApplicable) {
  JourneyBuilder j("1999-03");
  j.Final("2023-01-10");
  j.TransferOut("2024-04-15");
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2025-06-01")),
                         "age_25_cessation", "1");
  EXPECT_EQ(r.status, S::kNotApplicable);
}

// ---------------------------------------------------------------------------
// Re-assessment and tribunal orders.

TEST(ClockReadingsTest, ReassessmentStoppedByFinalReplacementPlanNotByDraft) {
  JourneyBuilder j;
  j.Final("2023-01-10");
  j.Reassess("2024-01-10");
  j.Draft("2024-03-01");
  const std::string replacement = j.Final("2024-04-20");
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2024-05-01")),
                         "reassessment", "1");
  EXPECT_EQ(r.due, Day("2024-04-17"));
  EXPECT_EQ(r.stop_event_id, replacement);
  EXPECT_EQ(r.status, S::kBreached);
  EXPECT_EQ(r.days_late, 3);
}

TEST(ClockReadingsTest, ReassessmentStoppedByAmendedPlanAndExcusedByReg27) {
  JourneyBuilder j;
  j.Final("2023-01-10");
  j.Reassess("2024-01-10");
  j.Exception("2024-02-01", v1::EXCEPTION_LIMB_REG27_3_C, {"reassessment:1"});
  j.Amended("2024-05-01");
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2024-06-01")),
                         "reassessment", "1");
  EXPECT_EQ(r.status, S::kExcused);
  EXPECT_EQ(r.days_late, 14);
}

TEST(ClockReadingsTest, TribunalAssessOrderStoppedByDecisionToAssessNotRefusal) {
  JourneyBuilder j;
  j.Request("2024-01-08");
  j.AssessDecision("2024-02-10", /*assess=*/false);
  j.Tribunal("2024-07-01", "T1", v1::TRIBUNAL_ORDER_KIND_ASSESS);
  j.AssessDecision("2024-07-05", /*assess=*/false);
  EXPECT_EQ(Row(EvaluateClocks(j.events(), Day("2024-07-16")),
                "tribunal_order", "T1")
                .status,
            S::kOverdue);
  j.AssessDecision("2024-07-16");
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2024-07-20")),
                         "tribunal_order", "T1");
  EXPECT_EQ(r.due, Day("2024-07-15"));
  EXPECT_EQ(r.status, S::kBreached);
  EXPECT_EQ(r.days_late, 1);
}

TEST(ClockReadingsTest, TribunalAssessOrderStoppedByReassessmentDecision) {
  JourneyBuilder j;
  j.Final("2023-01-10");
  j.Tribunal("2024-07-01", "T1", v1::TRIBUNAL_ORDER_KIND_ASSESS);
  j.Reassess("2024-07-10");
  EXPECT_EQ(Row(EvaluateClocks(j.events(), Day("2024-07-20")),
                "tribunal_order", "T1")
                .status,
            S::kMet);
}

TEST(ClockReadingsTest, TribunalAmendmentOrdersStoppedByAmendedPlan) {
  JourneyBuilder j;
  j.Final("2023-01-10");
  j.Tribunal("2024-07-01", "A", v1::TRIBUNAL_ORDER_KIND_AMEND);
  j.Tribunal("2024-07-01", "C", v1::TRIBUNAL_ORDER_KIND_CHANGE_SCHOOL);
  j.Tribunal("2024-07-01", "K", v1::TRIBUNAL_ORDER_KIND_CONTINUE_AND_AMEND);
  j.Amended("2024-07-20");
  const auto rows = EvaluateClocks(j.events(), Day("2024-08-01"));
  EXPECT_EQ(Row(rows, "tribunal_order", "A").due, Day("2024-08-05"));
  EXPECT_EQ(Row(rows, "tribunal_order", "A").status, S::kMet);
  EXPECT_EQ(Row(rows, "tribunal_order", "C").due, Day("2024-07-15"));
  EXPECT_EQ(Row(rows, "tribunal_order", "C").status, S::kBreached);
  EXPECT_EQ(Row(rows, "tribunal_order", "C").days_late, 5);
  EXPECT_EQ(Row(rows, "tribunal_order", "K").status, S::kMet);
}

TEST(ClockReadingsTest, TribunalOrderBeforeRulesIsNotProduced) {
  JourneyBuilder j;
  j.Tribunal("2014-08-01", "OLD", v1::TRIBUNAL_ORDER_KIND_AMEND);
  EXPECT_TRUE(EvaluateClocks(j.events(), Day("2015-01-01")).empty());
}

// ---------------------------------------------------------------------------
// Age 25 and preparing for adulthood.

TEST(ClockReadingsTest, Age25CessationAugustBirthdayDueNextJuly) {
  JourneyBuilder j("2000-08");
  j.TransferIn("2023-01-10");
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2025-09-01")),
                         "age_25_cessation", "1");
  EXPECT_EQ(r.trigger, Day("2025-08-01"));
  EXPECT_EQ(r.due, Day("2026-07-31"));
  EXPECT_EQ(r.status, S::kPending);
  EXPECT_TRUE(r.trigger_event_id.empty());
}

TEST(ClockReadingsTest, Age25CessationJulyBirthdayDueThatJuly) {
  JourneyBuilder j("2000-07");
  j.Final("2023-01-10");
  const ClockRow r = Row(EvaluateClocks(j.events(), Day("2025-09-01")),
                         "age_25_cessation", "1");
  EXPECT_EQ(r.trigger, Day("2025-07-01"));
  EXPECT_EQ(r.due, Day("2025-07-31"));
  EXPECT_EQ(r.status, S::kOverdue);
  EXPECT_EQ(r.days_late, 32);
}

TEST(ClockReadingsTest, Age25CessationStoppedByPlanCeased) {
  JourneyBuilder met("2000-03");
  met.Final("2023-01-10");
  const std::string ceased = met.Ceased("2025-07-31");
  const ClockRow m = Row(EvaluateClocks(met.events(), Day("2025-09-01")),
                         "age_25_cessation", "1");
  EXPECT_EQ(m.status, S::kMet);
  EXPECT_EQ(m.stop_event_id, ceased);
  JourneyBuilder late("2000-03");
  late.Final("2023-01-10");
  late.Ceased("2025-08-01");
  const ClockRow b = Row(EvaluateClocks(late.events(), Day("2025-09-01")),
                         "age_25_cessation", "1");
  EXPECT_EQ(b.status, S::kBreached);
  EXPECT_EQ(b.days_late, 1);
}

TEST(ClockReadingsTest, Age25CessationOnlyWhenPlanActiveOnTrigger) {
  JourneyBuilder ceased_on_trigger("2000-03");
  ceased_on_trigger.Final("2023-01-10");
  ceased_on_trigger.Ceased("2025-03-01");
  EXPECT_EQ(CountRows(EvaluateClocks(ceased_on_trigger.events(),
                                     Day("2025-09-01")),
                      "age_25_cessation"),
            0);
  JourneyBuilder issued_on_trigger("2000-03");
  issued_on_trigger.Final("2025-03-01");
  EXPECT_EQ(CountRows(EvaluateClocks(issued_on_trigger.events(),
                                     Day("2025-09-01")),
                      "age_25_cessation"),
            1);
  JourneyBuilder issued_after("2000-03");
  issued_after.Final("2025-03-02");
  EXPECT_EQ(CountRows(EvaluateClocks(issued_after.events(), Day("2025-09-01")),
                      "age_25_cessation"),
            0);
  JourneyBuilder no_birth_month;
  no_birth_month.Final("2023-01-10");
  EXPECT_EQ(CountRows(EvaluateClocks(no_birth_month.events(),
                                     Day("2040-01-01")),
                      "age_25_cessation"),
            0);
}

TEST(ClockReadingsTest, Age25CessationNotListedBeforeItsTrigger) {
  JourneyBuilder j("2000-03");
  j.Final("2023-01-10");
  EXPECT_EQ(CountRows(EvaluateClocks(j.events(), Day("2025-02-28")),
                      "age_25_cessation"),
            0);
  EXPECT_EQ(CountRows(EvaluateClocks(j.events(), Day("2025-03-01")),
                      "age_25_cessation"),
            1);
}

TEST(ClockReadingsTest, PreparingForAdulthoodFromYearNine) {
  JourneyBuilder j("2011-03");  // Year 9 from 2024-09-01
  j.Final("2023-06-01");
  j.Meeting("2024-06-10");                                  // Year 8
  const std::string m2 = j.Meeting("2024-10-10", true);     // Year 9
  j.Meeting("2025-06-10", false);                           // Year 9
  const auto rows = EvaluateClocks(j.events(), Day("2025-07-01"));
  EXPECT_EQ(CountRows(rows, "preparing_for_adulthood"), 2);
  EXPECT_FALSE(HasRow(rows, "preparing_for_adulthood", "1"));
  const ClockRow met = Row(rows, "preparing_for_adulthood", "2");
  EXPECT_EQ(met.status, S::kMet);
  EXPECT_EQ(met.trigger, Day("2024-10-10"));
  EXPECT_EQ(met.due, Day("2024-10-10"));
  EXPECT_EQ(met.stop, Day("2024-10-10"));
  EXPECT_EQ(met.stop_event_id, m2);
  const ClockRow breached = Row(rows, "preparing_for_adulthood", "3");
  EXPECT_EQ(breached.status, S::kBreached);
  EXPECT_EQ(breached.days_late, 0);
}

TEST(ClockReadingsTest, PreparingForAdulthoodNeedsBirthMonth) {
  JourneyBuilder j;
  j.Final("2023-06-01");
  j.Meeting("2024-06-10");
  EXPECT_EQ(CountRows(EvaluateClocks(j.events(), Day("2025-07-01")),
                      "preparing_for_adulthood"),
            0);
}

TEST(ClockReadingsTest, SupersededCaseOpenedBirthMonthIsUsed) {
  JourneyBuilder j("1990-01");
  j.Final("2023-06-01");
  j.Meeting("2024-06-10");
  // A corrected CaseOpened (birth month 2011-03, Year 8 on that date; Year
  // 9 from September) supersedes the first.
  v1::Event copy = j.events().front();
  v1::Event& fix = j.mutable_events().emplace_back(std::move(copy));
  fix.set_event_id("fix");
  fix.set_case_version(static_cast<int64_t>(j.events().size()));
  fix.set_supersedes_event_id(j.events().front().event_id());
  fix.mutable_recorded_at()->set_seconds(
      j.events()[j.events().size() - 2].recorded_at().seconds() + 1);
  fix.mutable_payload()->mutable_case_opened()->set_birth_month("2011-03");
  j.Meeting("2024-10-10");
  const auto rows = EvaluateClocks(j.events(), Day("2025-01-01"));
  EXPECT_FALSE(HasRow(rows, "preparing_for_adulthood", "1"));
  EXPECT_TRUE(HasRow(rows, "preparing_for_adulthood", "2"));
  EXPECT_EQ(CountRows(rows, "age_25_cessation"), 0);
}

TEST(ClockReadingsTest, ClockStatusNames) {
  EXPECT_EQ(ClockStatusName(S::kPending), "PENDING");
  EXPECT_EQ(ClockStatusName(S::kMet), "MET");
  EXPECT_EQ(ClockStatusName(S::kBreached), "BREACHED");
  EXPECT_EQ(ClockStatusName(S::kOverdue), "OVERDUE");
  EXPECT_EQ(ClockStatusName(S::kExcused), "EXCUSED");
  EXPECT_EQ(ClockStatusName(S::kNotApplicable), "NOT_APPLICABLE");
}

}  // namespace
}  // namespace ehcp::domain
