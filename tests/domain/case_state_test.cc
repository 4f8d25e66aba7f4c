#include "domain/case_state.h"

#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/domain/admission_facts.h"

namespace ehcp::domain {
namespace {

using namespace ::ehcp::domain::facts;  // NOLINT: test vocabulary
using ::testing::ElementsAre;
using ::testing::IsEmpty;

v1::CaseStage StageAfter(const std::vector<Fact>& facts) {
  return FoldCase(Stream(facts)).stage;
}

TEST(CaseStateTest, StagesFollowAFullJourney) {
  std::vector<Fact> journey;
  EXPECT_EQ(StageAfter(journey), v1::CASE_STAGE_OPENED);
  journey.push_back(At("2024-01-08", Request()));
  EXPECT_EQ(StageAfter(journey), v1::CASE_STAGE_AWAITING_DECISION);
  journey.push_back(At("2024-02-16", Assess()));
  EXPECT_EQ(StageAfter(journey), v1::CASE_STAGE_ASSESSING);
  journey.push_back(At("2024-02-20", AdviceRequested("H1")));
  EXPECT_EQ(StageAfter(journey), v1::CASE_STAGE_ASSESSING);
  journey.push_back(At("2024-05-10", Draft()));
  EXPECT_EQ(StageAfter(journey), v1::CASE_STAGE_DRAFT_ISSUED);
  journey.push_back(At("2024-05-31", Final()));
  EXPECT_EQ(StageAfter(journey), v1::CASE_STAGE_PLAN_MAINTAINED);
  journey.push_back(At("2025-05-20", Meeting()));
  EXPECT_EQ(StageAfter(journey), v1::CASE_STAGE_PLAN_MAINTAINED);
  journey.push_back(At("2026-01-10", Ceased()));
  EXPECT_EQ(StageAfter(journey), v1::CASE_STAGE_CEASED);
}

TEST(CaseStateTest, RefusalsToAssessAndToIssueHaveTheirStages) {
  EXPECT_EQ(
      StageAfter({At("2024-01-08", Request()), At("2024-02-16", NotAssess())}),
      v1::CASE_STAGE_NOT_ASSESSED);
  EXPECT_EQ(StageAfter({At("2024-01-08", Request()), At("2024-02-16", Assess()),
                        At("2024-04-01", NotIssue())}),
            v1::CASE_STAGE_NOT_ISSUED);
}

TEST(CaseStateTest, CycleIsOpenFromRequestUntilItsOutcome) {
  EXPECT_TRUE(FoldCase(Stream({At("2024-01-08", Request())})).cycle_open);
  EXPECT_TRUE(FoldCase(Stream({At("2024-01-08", Request()),
                               At("2024-02-16", Assess())}))
                  .cycle_open);
  EXPECT_FALSE(FoldCase(Stream({At("2024-01-08", Request()),
                                At("2024-02-16", NotAssess())}))
                   .cycle_open);
  EXPECT_FALSE(FoldCase(Stream(PlanInForce())).cycle_open);
  EXPECT_EQ(FoldCase(Stream(PlanInForce())).cycles, 1);
}

TEST(CaseStateTest, AReconsideredDecisionToAssessDoesNotReopenAClosedCycle) {
  const CaseState s = FoldCase(Stream(
      {At("2017-04-18", Request()), At("2017-08-01", Assess()),
       At("2018-07-19", NotIssue()), At("2018-10-11", Assess())}));
  EXPECT_FALSE(s.cycle_open);
  EXPECT_TRUE(s.assessing);
}

TEST(CaseStateTest, ReassessmentIsAssessingWithThePlanStillInForce) {
  const CaseState s =
      FoldCase(Stream(Concat(PlanInForce(), {At("2025-01-01", Reassess())})));
  EXPECT_EQ(s.stage, v1::CASE_STAGE_ASSESSING);
  EXPECT_TRUE(s.plan_in_force);
  EXPECT_TRUE(s.reassessing);
  const CaseState after =
      FoldCase(Stream(Concat(PlanInForce(), {At("2025-01-01", Reassess()),
                                             At("2025-03-01", Amended())})));
  EXPECT_EQ(after.stage, v1::CASE_STAGE_PLAN_MAINTAINED);
  EXPECT_FALSE(after.reassessing);
}

TEST(CaseStateTest, TransferOutEndsThePlan) {
  const CaseState s = FoldCase(
      Stream(Concat(PlanInForce(), {At("2025-01-10", TransferOut())})));
  EXPECT_EQ(s.stage, v1::CASE_STAGE_TRANSFERRED_OUT);
  EXPECT_FALSE(s.plan_in_force);
  EXPECT_EQ(s.ended_on, absl::CivilDay(2025, 1, 10));
  // The plan ended; the journey did not (§8 ends it at a cessation).
  EXPECT_FALSE(s.ended);
  EXPECT_FALSE(s.last_end_ceased);
}

TEST(CaseStateTest, TransferInStartsAJourneyWithAPlanOfUnknownIssueDate) {
  const CaseState s = FoldCase(Stream({At("2024-03-01", TransferIn())}));
  EXPECT_TRUE(s.plan_in_force);
  EXPECT_EQ(s.stage, v1::CASE_STAGE_PLAN_MAINTAINED);
  EXPECT_EQ(s.first_journey_on, absl::CivilDay(2024, 3, 1));
  EXPECT_FALSE(s.plan_issued_on.has_value());
  EXPECT_TRUE(s.transferred_in);
}

TEST(CaseStateTest, LateRecordedFactsFoldInOccurredOnOrder) {
  // Recorded: request, final, draft, decision; happened: request, decision,
  // draft, final.
  const CaseState s =
      FoldCase(Stream({At("2024-01-08", Request()), At("2024-05-31", Final()),
                       At("2024-05-10", Draft()), At("2024-02-16", Assess())}));
  EXPECT_EQ(s.stage, v1::CASE_STAGE_PLAN_MAINTAINED);
  EXPECT_FALSE(s.draft_since_final);
  EXPECT_EQ(s.version, 5);
}

TEST(CaseStateTest, VoidedAndSupersededEventsAreLeftOutAndCounted) {
  // Versions: 2 request, 3 decision, 4 draft, 5 final, 6 void of 5,
  // 7 supersedes 4 with a later draft.
  const CaseState s = FoldCase(Stream(
      Concat(PlanInForce(), {At("2024-06-01", Void(Id(5))),
                             Superseding(Id(4), At("2024-05-20", Draft()))})));
  EXPECT_EQ(s.voided_events, 2);
  EXPECT_EQ(s.stage, v1::CASE_STAGE_DRAFT_ISSUED);
  EXPECT_FALSE(s.plan_in_force);
  EXPECT_EQ(s.draft_served_on, absl::CivilDay(2024, 5, 20));
  EXPECT_EQ(s.version, 7);
}

TEST(CaseStateTest, VoidOfAnUnknownEventCountsNothing) {
  EXPECT_EQ(FoldCase(Stream({At("2024-01-08", Request()),
                             At("2024-01-09", Void(Id(77)))}))
                .voided_events,
            0);
}

TEST(CaseStateTest, AdviceIdsAreTrackedUntilReceived) {
  const CaseState s =
      FoldCase(Stream({At("2024-01-08", Request()), At("2024-02-16", Assess()),
                       At("2024-02-20", AdviceRequested("H1")),
                       At("2024-02-20", AdviceRequested("EP1")),
                       At("2024-04-15", AdviceReceived("H1"))}));
  EXPECT_THAT(s.open_advice_ids, ElementsAre("EP1"));
  EXPECT_THAT(s.known_advice_ids, ElementsAre("EP1", "H1"));
}

TEST(CaseStateTest, EachAnswerTakesOneSetOfProposedAmendments) {
  const std::vector<Fact> proposed =
      Concat(PlanInForce(), {At("2025-06-10", Proposed())});
  EXPECT_EQ(FoldCase(Stream(proposed)).open_proposals, 1);
  EXPECT_EQ(FoldCase(Stream(Concat(proposed, {At("2025-07-01", Amended())})))
                .open_proposals,
            0);
  EXPECT_EQ(FoldCase(Stream(Concat(proposed, {At("2025-07-01", NotAmend())})))
                .open_proposals,
            0);
  // Two sets, one amended plan: the first set still awaits its answer, as
  // its amendment clock is still open.
  EXPECT_EQ(FoldCase(Stream(Concat(proposed, {At("2025-06-20", Proposed()),
                                              At("2025-07-01", Amended())})))
                .open_proposals,
            1);
}

TEST(CaseStateTest, PlacementFollowsThePlanInForce) {
  const std::vector<Fact> plan = PlanInForce();  // "URN 118000"
  EXPECT_EQ(FoldCase(Stream(plan)).placement, "URN 118000");
  EXPECT_EQ(FoldCase(Stream(Concat(plan, {At("2025-06-10", Proposed()),
                                          At("2025-07-01", Amended())})))
                .placement,
            "URN 118000");
  EXPECT_EQ(FoldCase(Stream(Concat(plan, {At("2025-06-10", Proposed()),
                                          At("2025-07-01", Amended("URN 9"))})))
                .placement,
            "URN 9");
}

TEST(CaseStateTest, ContinueAndAmendOrderReinstatesACeasedPlan) {
  const CaseState s = FoldCase(Stream(
      Concat(PlanInForce(),
             {At("2025-01-10", Ceased()),
              At("2025-06-01",
                 Order("T1", v1::TRIBUNAL_ORDER_KIND_CONTINUE_AND_AMEND))})));
  EXPECT_TRUE(s.plan_in_force);
  EXPECT_EQ(s.stage, v1::CASE_STAGE_PLAN_MAINTAINED);
  EXPECT_FALSE(s.ended_on.has_value());
  EXPECT_FALSE(s.ended);
}

TEST(CaseStateTest, ContinueAndAmendOrderAfterATransferOutReinstatesNothing) {
  const CaseState s = FoldCase(Stream(
      Concat(PlanInForce(),
             {At("2025-01-10", TransferOut()),
              At("2025-06-01",
                 Order("T1", v1::TRIBUNAL_ORDER_KIND_CONTINUE_AND_AMEND))})));
  EXPECT_FALSE(s.plan_in_force);
  EXPECT_FALSE(s.ended);
}

TEST(CaseStateTest, ContinueAndAmendOrderOnTheCessationDayReinstatesNothing) {
  // Rule 1: the order comes before the cessation on the same day.
  const CaseState s = FoldCase(Stream(
      Concat(PlanInForce(),
             {At("2025-01-10", Ceased()),
              At("2025-01-10",
                 Order("T1", v1::TRIBUNAL_ORDER_KIND_CONTINUE_AND_AMEND))})));
  EXPECT_FALSE(s.plan_in_force);
  EXPECT_TRUE(s.ended);
}

TEST(CaseStateTest, AMakePlanOrderAuthorisesOneDraft) {
  const CaseState ordered = FoldCase(Stream(
      Concat(PlanInForce(),
             {At("2025-01-01", Order("T1", v1::TRIBUNAL_ORDER_KIND_MAKE_PLAN)),
              At("2025-01-02", Order("T2", v1::TRIBUNAL_ORDER_KIND_AMEND))})));
  EXPECT_TRUE(ordered.make_plan_authorises_draft);
  EXPECT_THAT(ordered.known_order_ids, ElementsAre("T1", "T2"));
  const CaseState drafted = FoldCase(Stream(
      Concat(PlanInForce(),
             {At("2025-01-01", Order("T1", v1::TRIBUNAL_ORDER_KIND_MAKE_PLAN)),
              At("2025-01-10", Draft())})));
  EXPECT_FALSE(drafted.make_plan_authorises_draft);
}

TEST(CaseStateTest, EvolveIsTotalForImpossibleAndMalformedEvents) {
  CaseState s;
  // A final plan with nothing before it, and a date that does not exist.
  s = Evolve(std::move(s), Stamp(At("2023-02-29", Final()), 2));
  EXPECT_TRUE(s.plan_in_force);
  EXPECT_FALSE(s.plan_issued_on.has_value());
  s = Evolve(std::move(s), Stamp(At("2024-01-01", v1::EventPayload()), 3));
  s = Evolve(std::move(s), Stamp(At("2024-01-01", AdviceReceived("X")), 4));
  EXPECT_EQ(s.version, 4);
}

TEST(CaseStateTest, IdentityComesFromCaseOpened) {
  const CaseState s = FoldCase(Stream({}, "2008-03"));
  EXPECT_EQ(s.case_id, "E06000035-0123456789abcdef");
  EXPECT_EQ(s.la_code, "E06000035");
  EXPECT_EQ(s.case_reference, "MED/2024/0001");
  EXPECT_EQ(s.birth_month, absl::CivilMonth(2008, 3));
  EXPECT_EQ(s.version, 1);
}

TEST(CaseStateTest, FoldCarriesDatesAndCounts) {
  const std::vector<v1::Event> events =
      Stream(Concat(PlanInForce(),
                    {At("2025-05-20", Meeting()), At("2025-06-10", Proposed()),
                     At("2025-07-01", Amended()), At("2025-07-02", Reassess()),
                     At("2025-07-03", AdviceRequested("EP2")),
                     At("2025-07-03", AdviceRequested("A-1"))}),
             "2008-03");
  const CaseState s = FoldCase(events);
  EXPECT_EQ(s.case_id, "E06000035-0123456789abcdef");
  EXPECT_EQ(s.la_code, "E06000035");
  EXPECT_EQ(s.case_reference, "MED/2024/0001");
  EXPECT_EQ(s.birth_month, absl::CivilMonth(2008, 3));
  EXPECT_EQ(s.version, 11);
  EXPECT_EQ(s.stage, v1::CASE_STAGE_ASSESSING);
  EXPECT_TRUE(s.plan_in_force);
  EXPECT_EQ(s.latest_request_on, absl::CivilDay(2024, 1, 8));
  EXPECT_EQ(s.assessment_decision_on, absl::CivilDay(2024, 2, 16));
  EXPECT_EQ(s.draft_served_on, absl::CivilDay(2024, 5, 10));
  EXPECT_EQ(s.plan_issued_on, absl::CivilDay(2024, 5, 31));
  EXPECT_EQ(s.last_amended_on, absl::CivilDay(2025, 7, 1));
  EXPECT_EQ(s.last_review_on, absl::CivilDay(2025, 5, 20));
  EXPECT_EQ(s.ended_on, std::nullopt);
  EXPECT_THAT(s.open_advice_ids, ElementsAre("A-1", "EP2"));
  EXPECT_EQ(s.review_meetings, 1);
  EXPECT_EQ(NoticesTo(s, absl::CivilDay(2025, 8, 1)),
            v1::NOTICE_RECIPIENT_YOUNG_PERSON);
  EXPECT_EQ(s.placement, "URN 118000");
  EXPECT_EQ(s.voided_events, 0);
}

TEST(CaseStateTest, AnOpenedCaseIsMostlyEmpty) {
  const CaseState s = FoldCase(Stream({}));
  EXPECT_EQ(s.stage, v1::CASE_STAGE_OPENED);
  EXPECT_FALSE(s.plan_in_force);
  EXPECT_EQ(s.latest_request_on, std::nullopt);
  EXPECT_EQ(s.birth_month, std::nullopt);
  EXPECT_THAT(s.open_advice_ids, IsEmpty());
  EXPECT_EQ(NoticesTo(s, kToday), v1::NOTICE_RECIPIENT_UNSPECIFIED);
}

// The young person's first day as notice recipient, for a birth month.
absl::CivilDay FirstYoungPersonDay(absl::string_view birth_month) {
  const CaseState s = FoldCase(Stream({}, birth_month));
  absl::CivilDay day(2020, 1, 1);
  while (NoticesTo(s, day) == v1::NOTICE_RECIPIENT_PARENT) ++day;
  return day;
}

TEST(CaseStateTest, RightsTransferFollowsTheSchoolYearOfTheSixteenthBirthday) {
  // Born March 2008: 16 in March 2024, school year 2023/24, whose last
  // Friday in June is 2024-06-28.
  EXPECT_EQ(FirstYoungPersonDay("2008-03"), absl::CivilDay(2024, 6, 29));
  // Born August 2008: still the school year 2023/24, so before the birthday.
  EXPECT_EQ(FirstYoungPersonDay("2008-08"), absl::CivilDay(2024, 6, 29));
  // Born September 2008 (read as 1 September): the school year 2024/25.
  EXPECT_EQ(FirstYoungPersonDay("2008-09"), absl::CivilDay(2025, 6, 28));
  // June 2028 ends on a Friday: the 30th itself is the last day for parents.
  EXPECT_EQ(FirstYoungPersonDay("2011-12"), absl::CivilDay(2028, 7, 1));
}

TEST(CaseStateTest,
     NoticesGoToTheYoungPersonFromTheDayAfterTheLastFridayOfJune) {
  const CaseState s = FoldCase(Stream({}, "2008-03"));
  EXPECT_EQ(NoticesTo(s, absl::CivilDay(2024, 6, 27)),
            v1::NOTICE_RECIPIENT_PARENT);
  EXPECT_EQ(NoticesTo(s, absl::CivilDay(2024, 6, 28)),
            v1::NOTICE_RECIPIENT_PARENT);
  EXPECT_EQ(NoticesTo(s, absl::CivilDay(2024, 6, 29)),
            v1::NOTICE_RECIPIENT_YOUNG_PERSON);
}

TEST(CaseStateTest, NoticesToIsUnspecifiedWithoutABirthMonth) {
  EXPECT_EQ(NoticesTo(FoldCase(Stream({})), kToday),
            v1::NOTICE_RECIPIENT_UNSPECIFIED);
}

}  // namespace
}  // namespace ehcp::domain
