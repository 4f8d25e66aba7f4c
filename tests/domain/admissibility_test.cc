#include "domain/admissibility.h"

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "domain/admission_rules.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/domain/admission_facts.h"

namespace ehcp::domain {
namespace {

using namespace ::ehcp::domain::facts;  // NOLINT: test vocabulary
using ::testing::HasSubstr;

// A cycle open and an assessment under way since 2024-02-16.
std::vector<Fact> Assessing() {
  return {At("2024-01-08", Request()), At("2024-02-16", Assess())};
}

// ---------------------------------------------------------------- envelope

TEST(AdmissibilityTest, FutureDatedEventIsRefused) {
  const absl::Status s = Given(Assessing())
                             .WhenOn(absl::CivilDay(2026, 12, 31),
                                     {At("2027-01-01", AdviceRequested("H1"))});
  EXPECT_THAT(s, Refused("event.not_in_future"));
  EXPECT_THAT(s.message(),
              HasSubstr("occurred_on 2027-01-01 is in the future"));
}

TEST(AdmissibilityTest, EventDatedTodayIsAccepted) {
  EXPECT_THAT(
      Given(Assessing())
          .WhenOn(absl::CivilDay(2024, 3, 1), {At("2024-03-01", Draft())}),
      Accepted());
}

TEST(AdmissibilityTest, UnparsableDateIsInvalidArgumentNamingTheEvent) {
  EXPECT_THAT(Given(Assessing()).When(At("2023-02-29", Draft())),
              InvalidAt("events[0].occurred_on"));
}

TEST(AdmissibilityTest, CaseOpenedCannotBeAppended) {
  v1::EventPayload opened;
  opened.mutable_case_opened()->set_la_code("E06000035");
  EXPECT_THAT(Given(Assessing()).When(At("2024-03-01", opened)),
              InvalidAt("events[0].payload.case_opened"));
}

TEST(AdmissibilityTest, VoidOfAStoredEventIsAccepted) {
  // Versions: 2 request, 3 decision.
  EXPECT_THAT(Given(Assessing()).When(At("2024-03-01", Void(Id(3)))),
              Accepted());
}

TEST(AdmissibilityTest, VoidOfAVoidIsRefused) {
  // Versions: 2 request, 3 decision, 4 void of 3.
  EXPECT_THAT(Given(Assessing())
                  .And({At("2024-03-01", Void(Id(3)))})
                  .When(At("2024-03-02", Void(Id(4)))),
              Refused("void.of_void"));
}

TEST(AdmissibilityTest, VoidOfAnUnknownEventIsRefused) {
  EXPECT_THAT(Given(Assessing()).When(At("2024-03-01", Void(Id(99)))),
              Refused("void.target_not_found"));
}

TEST(AdmissibilityTest, VoidOfTheCaseOpeningIsRefused) {
  EXPECT_THAT(Given(Assessing()).When(At("2024-03-01", Void(Id(1)))),
              Refused("void.of_case_opened"));
}

TEST(AdmissibilityTest, VoidOfAnAlreadyVoidedEventIsRefused) {
  EXPECT_THAT(Given(Assessing())
                  .And({At("2024-03-01", Void(Id(3)))})
                  .When(At("2024-03-02", Void(Id(3)))),
              Refused("void.target_already_voided"));
}

TEST(AdmissibilityTest, VoidOfASupersededEventIsRefused) {
  EXPECT_THAT(Given(Assessing())
                  .And({Superseding(Id(3), At("2024-02-17", Assess()))})
                  .When(At("2024-03-02", Void(Id(3)))),
              Refused("void.target_already_voided"));
}

TEST(AdmissibilityTest, VoidMayNameAnEarlierEventOfTheSameAppend) {
  // Versions: 2 request, 3 decision; proposed 4 draft, 5 void of 4.
  EXPECT_THAT(
      Given(Assessing())
          .When({At("2024-03-01", Draft()), At("2024-03-02", Void(Id(4)))}),
      Accepted());
}

TEST(AdmissibilityTest, VoidOfALaterEventOfTheSameAppendIsRefused) {
  EXPECT_THAT(
      Given(Assessing())
          .When({At("2024-03-02", Void(Id(5))), At("2024-03-01", Draft())}),
      Refused("void.target_not_found"));
}

TEST(AdmissibilityTest, TwoVoidsOfOneEventInOneAppendAreRefused) {
  EXPECT_THAT(
      Given(Assessing())
          .When({At("2024-03-01", Void(Id(3))), At("2024-03-02", Void(Id(3)))}),
      Refused("void.target_already_voided"));
}

TEST(AdmissibilityTest, SupersedeOfAVoidIsRefused) {
  EXPECT_THAT(Given(Assessing())
                  .And({At("2024-03-01", Void(Id(3)))})
                  .When(Superseding(Id(4), At("2024-02-17", Assess()))),
              Refused("supersede.of_void"));
}

TEST(AdmissibilityTest, SupersedeOfAnUnknownEventIsRefused) {
  EXPECT_THAT(
      Given(Assessing()).When(Superseding(Id(42), At("2024-02-17", Assess()))),
      Refused("supersede.target_not_found"));
}

TEST(AdmissibilityTest, SupersedeOfTheCaseOpeningIsRefused) {
  EXPECT_THAT(
      Given(Assessing()).When(Superseding(Id(1), At("2024-01-08", Request()))),
      Refused("supersede.of_case_opened"));
}

TEST(AdmissibilityTest, SupersedeOfAnAlreadySupersededEventIsRefused) {
  EXPECT_THAT(Given(Assessing())
                  .And({Superseding(Id(3), At("2024-02-17", Assess()))})
                  .When(Superseding(Id(3), At("2024-02-18", Assess()))),
              Refused("supersede.target_already_voided"));
}

TEST(AdmissibilityTest, SupersedeCorrectsADateInPlace) {
  // The decision was recorded on the wrong day; the correction stands in
  // its place and the draft after it stays possible.
  EXPECT_THAT(Given(Assessing())
                  .And({At("2024-05-10", Draft())})
                  .When(Superseding(Id(3), At("2024-02-20", Assess()))),
              Accepted());
}

TEST(AdmissibilityTest, VoidThatMakesAStoredFinalPlanImpossibleIsRefused) {
  // Versions: 2 request, 3 decision, 4 draft, 5 final.
  const absl::Status s =
      Given(PlanInForce()).When(At("2024-06-01", Void(Id(4))));
  EXPECT_THAT(s, Refused("final_plan.requires_draft"));
  EXPECT_THAT(s.message(), HasSubstr("final plan on 2024-05-31 (version 5)"));
}

// ----------------------------------------------------- order and late facts

TEST(AdmissibilityTest, RefusalNamesRuleEventAndDate) {
  const absl::Status s = Given(Assessing()).When(At("2024-05-31", Final()));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(),
            "rule final_plan.requires_draft: final plan on 2024-05-31 "
            "(events[0]) with no draft plan served since the last final plan");
}

TEST(AdmissibilityTest,
     LateRecordedDecisionIsAcceptedWhenJourneyStaysPossible) {
  EXPECT_THAT(Given({At("2024-01-08", Request()),
                     At("2024-05-10", Draft())})  // refused when stored alone
                  .When(At("2024-02-16", Assess())),
              Accepted());
  EXPECT_THAT(Given({At("2024-01-08", Request())})
                  .And({At("2024-02-20", AdviceRequested("H1"))})
                  .When(At("2024-02-16", Assess())),
              Accepted());
}

TEST(AdmissibilityTest, LateCessationThatInvalidatesALaterReviewIsRefused) {
  // Versions 2-5 the plan, 6 the review meeting.
  const absl::Status s = Given(PlanInForce())
                             .And({At("2025-05-20", Meeting())})
                             .When(At("2025-01-10", Ceased()));
  EXPECT_THAT(s, Refused("journey.after_end"));
  EXPECT_THAT(s.message(),
              HasSubstr("review meeting on 2025-05-20 (version 6)"));
}

TEST(AdmissibilityTest,
     LateRequestThatLeavesAStoredRequestInAnOpenCycleIsRefused) {
  EXPECT_THAT(
      Given({At("2024-03-01", Request())}).When(At("2024-01-08", Request())),
      Refused("request.while_cycle_open"));
}

TEST(AdmissibilityTest, LateRecordedAdviceBeforeItsRequestIsRefused) {
  EXPECT_THAT(Given(Assessing())
                  .And({At("2024-03-01", AdviceRequested("H1"))})
                  .When(At("2024-02-20", AdviceReceived("H1"))),
              Refused("advice_received.not_requested"));
}

TEST(AdmissibilityTest, SameDayFactsFollowJourneyOrderNotAppendOrder) {
  EXPECT_THAT(
      Given({}).When({At("2024-01-08", Assess()), At("2024-01-08", Request())}),
      Accepted());
}

TEST(AdmissibilityTest, WholeJourneyInOneScrambledAppendIsAccepted) {
  EXPECT_THAT(
      Given({}).When({At("2025-05-20", Meeting()), At("2024-05-31", Final()),
                      At("2024-01-08", Request()), At("2024-05-10", Draft()),
                      At("2024-02-16", Assess())}),
      Accepted());
}

TEST(AdmissibilityTest, StoredEventAlreadyRefusedDoesNotBlockLaterAppends) {
  // A final plan stored without a draft (say, imported before the rules).
  const Scenario imported = Given(Assessing()).And({At("2024-05-31", Final())});
  EXPECT_THAT(imported.When(At("2025-05-20", Meeting())), Accepted());
  // But an append cannot rely on it to excuse a new impossibility.
  EXPECT_THAT(imported.When(At("2025-05-20", Final())),
              Refused("final_plan.requires_draft"));
}

// ------------------------------------------------------- journey.* rules

TEST(AdmissibilityTest, EventBeforeTheFirstRequestIsRefused) {
  EXPECT_THAT(
      Given({At("2024-01-08", Request())}).When(At("2024-01-07", Mediation())),
      Refused("journey.before_first_request"));
  EXPECT_THAT(Given({}).When(At("2024-01-07", Exception())),
              Refused("journey.before_first_request"));
}

TEST(AdmissibilityTest, EveryJourneyStartIsAcceptedFirst) {
  EXPECT_THAT(Given({}).When(At("2024-01-08", Request())), Accepted());
  EXPECT_THAT(Given({}).When(At("2024-01-08", BecameResponsible())),
              Accepted());
  EXPECT_THAT(Given({}).When(At("2024-01-08", TransferIn())), Accepted());
}

TEST(AdmissibilityTest, EventAfterCessationIsRefused) {
  const Scenario ceased =
      Given(PlanInForce()).And({At("2025-01-10", Ceased())});
  EXPECT_THAT(ceased.When(At("2025-02-01", Meeting())),
              Refused("journey.after_end"));
  EXPECT_THAT(ceased.When(At("2025-02-01", Waiver())),
              Refused("journey.after_end"));
}

TEST(AdmissibilityTest, AfterATransferOutOnlyPlanEventsAreRefused) {
  // §8 ends the journey at a cessation only: a transfer out ends the plan.
  const Scenario moved =
      Given(PlanInForce()).And({At("2025-01-10", TransferOut())});
  EXPECT_THAT(moved.When(At("2025-02-01", Proposed())),
              Refused("amendments_proposed.requires_plan"));
  EXPECT_THAT(moved.When(At("2025-02-01", AdviceRequested("H9"))), Accepted());
  EXPECT_THAT(moved.When(At("2025-02-01", Waiver())), Accepted());
}

TEST(AdmissibilityTest, DisputesNewRequestsAndExceptionsMayFollowAnEnd) {
  const Scenario ceased =
      Given(PlanInForce()).And({At("2025-01-10", Ceased())});
  for (const Fact& f :
       {At("2025-02-01", Mediation()), At("2025-02-01", Appeal("A1")),
        At("2025-02-01", Order("T1", v1::TRIBUNAL_ORDER_KIND_MAKE_PLAN)),
        At("2025-02-01", Exception()), At("2025-02-01", Request()),
        At("2025-02-01", TransferIn()), At("2025-02-01", AdultServices())}) {
    SCOPED_TRACE(EventNoun(f.payload));
    EXPECT_THAT(ceased.When(f), Accepted());
  }
}

TEST(AdmissibilityTest, AdviceStillOwedMayArriveAfterAnEnd) {
  EXPECT_THAT(Given(PlanInForce())
                  .And({At("2025-01-01", Reassess()),
                        At("2025-01-02", AdviceRequested("EP2")),
                        At("2025-01-10", Ceased())})
                  .When(At("2025-02-01", AdviceReceived("EP2"))),
              Accepted());
}

TEST(AdmissibilityTest, ContinueAndAmendOrderAfterCessationReinstatesThePlan) {
  EXPECT_THAT(
      Given(PlanInForce())
          .And({At("2025-01-10", Ceased()), At("2025-02-01", Appeal("A1")),
                At("2025-06-01",
                   Order("T1", v1::TRIBUNAL_ORDER_KIND_CONTINUE_AND_AMEND))})
          .When(At("2025-07-01", Amended())),
      Accepted());
}

TEST(AdmissibilityTest, MakePlanOrderAfterCessationAllowsANewPlan) {
  EXPECT_THAT(Given(PlanInForce())
                  .And({At("2025-01-10", Ceased()),
                        At("2025-06-01",
                           Order("T1", v1::TRIBUNAL_ORDER_KIND_MAKE_PLAN))})
                  .When({At("2025-07-01", Draft()), At("2025-08-01", Final())}),
              Accepted());
}

// --------------------------------------------------- requests and cycles

TEST(AdmissibilityTest, RequestWhileACycleIsOpenIsRefused) {
  EXPECT_THAT(
      Given({At("2024-01-08", Request())}).When(At("2024-02-01", Request())),
      Refused("request.while_cycle_open"));
  EXPECT_THAT(Given(Assessing()).When(At("2024-03-01", Request())),
              Refused("request.while_cycle_open"));
}

TEST(AdmissibilityTest, RequestAfterARefusalToAssessIsAccepted) {
  EXPECT_THAT(
      Given({At("2024-01-08", Request()), At("2024-02-16", NotAssess())})
          .When(At("2024-09-01", Request())),
      Accepted());
}

TEST(AdmissibilityTest, RequestAfterADecisionNotToIssueIsAccepted) {
  EXPECT_THAT(Given(Assessing())
                  .And({At("2024-04-01", NotIssue())})
                  .When(At("2024-09-01", Request())),
              Accepted());
}

TEST(AdmissibilityTest, RequestWhileAPlanIsActiveIsRefused) {
  EXPECT_THAT(Given(PlanInForce()).When(At("2024-09-01", Request())),
              Refused("request.while_plan_active"));
}

TEST(AdmissibilityTest, RequestAfterCessationIsAccepted) {
  EXPECT_THAT(Given(PlanInForce())
                  .And({At("2025-01-10", Ceased())})
                  .When(At("2025-09-01", Request())),
              Accepted());
}

TEST(AdmissibilityTest, BecomingResponsibleWhileACycleIsOpenIsRefused) {
  EXPECT_THAT(Given(Assessing()).When(At("2024-03-01", BecameResponsible())),
              Refused("became_responsible.while_cycle_open"));
}

TEST(AdmissibilityTest, BecomingResponsibleWhileAPlanIsActiveIsRefused) {
  EXPECT_THAT(Given(PlanInForce()).When(At("2024-09-01", BecameResponsible())),
              Refused("became_responsible.while_plan_active"));
}

TEST(AdmissibilityTest, BecomingResponsibleOpensACycleLikeARequest) {
  EXPECT_THAT(Given({At("2024-01-08", BecameResponsible())})
                  .When({At("2024-02-16", Assess()), At("2024-05-10", Draft()),
                         At("2024-05-31", Final())}),
              Accepted());
}

// ---------------------------------------------------------- decisions

TEST(AdmissibilityTest, DecisionWhetherToAssessNeedsARequestBeforeIt) {
  // §8: "a decision ... with no request". A plan transferred in is a start
  // but not a request.
  EXPECT_THAT(Given({At("2024-01-08", TransferIn())})
                  .When(At("2024-09-01", Assess())),
              Refused("assessment_decision.requires_request"));
  // A request answered long ago is still a request: a second decision is
  // what happened, and is recorded.
  EXPECT_THAT(Given(PlanInForce()).When(At("2024-09-01", Assess())),
              Accepted());
  EXPECT_THAT(Given(Assessing()).When(At("2024-03-01", Assess())), Accepted());
  // A tribunal order is something a decision may comply with.
  EXPECT_THAT(
      Given({At("2024-01-08", TransferIn()),
             At("2024-06-01", Order("T1", v1::TRIBUNAL_ORDER_KIND_ASSESS))})
          .When(At("2024-06-10", Assess())),
      Accepted());
}

TEST(AdmissibilityTest, DecisionOnARequestIsAccepted) {
  EXPECT_THAT(
      Given({At("2024-01-08", Request())}).When(At("2024-02-16", NotAssess())),
      Accepted());
}

TEST(AdmissibilityTest, ReconsideredRefusalToAssessIsAccepted) {
  EXPECT_THAT(Given({At("2024-01-08", Request()), At("2024-02-16", NotAssess()),
                     At("2024-03-01", Mediation())})
                  .When(At("2024-04-01", Assess())),
              Accepted());
}

TEST(AdmissibilityTest, DecisionOrderedByTheTribunalIsAccepted) {
  EXPECT_THAT(
      Given(PlanInForce())
          .And({At("2025-01-01", Order("T1", v1::TRIBUNAL_ORDER_KIND_ASSESS))})
          .When(At("2025-01-10", Assess())),
      Accepted());
}

TEST(AdmissibilityTest, DecisionNotToIssueWithNoAssessmentIsRefused) {
  EXPECT_THAT(
      Given({At("2024-01-08", Request())}).When(At("2024-04-01", NotIssue())),
      Refused("decision_not_to_issue.requires_assessment"));
  EXPECT_THAT(Given(PlanInForce())
                  .And({At("2025-01-01", Reassess())})
                  .When(At("2025-02-01", NotIssue())),
              Refused("decision_not_to_issue.requires_assessment"));
}

TEST(AdmissibilityTest, DecisionNotToIssueAfterADraftIsRefused) {
  EXPECT_THAT(Given(Assessing())
                  .And({At("2024-05-10", Draft())})
                  .When(At("2024-05-20", NotIssue())),
              Refused("decision_not_to_issue.after_draft"));
}

TEST(AdmissibilityTest, DecisionNotToIssueDuringAnAssessmentIsAccepted) {
  EXPECT_THAT(Given(Assessing()).When(At("2024-04-01", NotIssue())),
              Accepted());
}

TEST(AdmissibilityTest, DecisionNotToIssueInANewCycleIgnoresAnOldDraft) {
  EXPECT_THAT(Given(PlanInForce())
                  .And({At("2025-01-10", Ceased()), At("2025-09-01", Request()),
                        At("2025-10-01", Assess())})
                  .When(At("2025-12-01", NotIssue())),
              Accepted());
}

// -------------------------------------------------------------- advice

TEST(AdmissibilityTest, AdviceMayBeSoughtAtAnyLaterStageOfTheJourney) {
  // §8: after a decision not to assess or not to issue, while a plan is
  // active: accepted.
  EXPECT_THAT(
      Given(PlanInForce()).When(At("2024-09-01", AdviceRequested("H1"))),
      Accepted());
  EXPECT_THAT(
      Given({At("2024-01-08", Request()), At("2024-02-16", NotAssess())})
          .When(At("2024-03-01", AdviceRequested("H1"))),
      Accepted());
  EXPECT_THAT(Given({At("2024-01-08", TransferIn())})
                  .When(At("2024-03-01", AdviceRequested("H1"))),
              Accepted());
  // With no start on or before it: refused.
  EXPECT_THAT(Given({At("2024-01-08", Request())})
                  .When(At("2024-01-07", AdviceRequested("H1"))),
              Refused("journey.before_first_request"));
}

TEST(AdmissibilityTest, AdviceRequestDuringACycleOrReassessmentIsAccepted) {
  EXPECT_THAT(Given({At("2024-01-08", Request())})
                  .When(At("2024-01-20", AdviceRequested("H1"))),
              Accepted());
  EXPECT_THAT(Given(Assessing()).When(At("2024-02-20", AdviceRequested("H1"))),
              Accepted());
  EXPECT_THAT(Given(PlanInForce())
                  .And({At("2025-01-01", Reassess())})
                  .When(At("2025-01-10", AdviceRequested("EP2"))),
              Accepted());
}

TEST(AdmissibilityTest, ReusedAdviceIdIsRefused) {
  EXPECT_THAT(Given(Assessing())
                  .And({At("2024-02-20", AdviceRequested("H1")),
                        At("2024-03-20", AdviceReceived("H1"))})
                  .When(At("2024-04-01", AdviceRequested("H1"))),
              Refused("advice_requested.reused_id"));
}

TEST(AdmissibilityTest, DistinctAdviceIdsAreAccepted) {
  EXPECT_THAT(Given(Assessing())
                  .And({At("2024-02-20", AdviceRequested("H1"))})
                  .When(At("2024-02-20", AdviceRequested("EP1"))),
              Accepted());
}

TEST(AdmissibilityTest, AdviceReceivedNeverRequestedIsRefused) {
  EXPECT_THAT(Given(Assessing()).When(At("2024-04-01", AdviceReceived("H1"))),
              Refused("advice_received.not_requested"));
}

TEST(AdmissibilityTest, AdviceReceivedTwiceIsRefused) {
  EXPECT_THAT(Given(Assessing())
                  .And({At("2024-02-20", AdviceRequested("H1")),
                        At("2024-03-20", AdviceReceived("H1"))})
                  .When(At("2024-04-01", AdviceReceived("H1"))),
              Refused("advice_received.already_received"));
}

TEST(AdmissibilityTest, AdviceReceivedAfterItsRequestIsAccepted) {
  EXPECT_THAT(Given(Assessing())
                  .And({At("2024-02-20", AdviceRequested("H1"))})
                  .When(At("2024-04-15", AdviceReceived("H1"))),
              Accepted());
}

// --------------------------------------------------------- plans

TEST(AdmissibilityTest, DraftWithNoAssessmentIsRefused) {
  EXPECT_THAT(
      Given({At("2024-01-08", Request())}).When(At("2024-02-01", Draft())),
      Refused("draft_plan.requires_assessment"));
  EXPECT_THAT(Given(PlanInForce()).When(At("2024-09-01", Draft())),
              Refused("draft_plan.requires_assessment"));
}

TEST(AdmissibilityTest, DraftDuringAnAssessmentIsAccepted) {
  EXPECT_THAT(Given(Assessing()).When(At("2024-05-10", Draft())), Accepted());
}

TEST(AdmissibilityTest, DraftDuringAReassessmentIsAccepted) {
  EXPECT_THAT(Given(PlanInForce())
                  .And({At("2025-01-01", Reassess())})
                  .When(At("2025-03-01", Draft())),
              Accepted());
}

TEST(AdmissibilityTest, DraftUnderAMakePlanOrderIsAccepted) {
  EXPECT_THAT(Given(Assessing())
                  .And({At("2024-04-01", NotIssue()),
                        At("2024-10-01",
                           Order("T1", v1::TRIBUNAL_ORDER_KIND_MAKE_PLAN))})
                  .When({At("2024-11-01", Draft()), At("2024-12-01", Final())}),
              Accepted());
}

TEST(AdmissibilityTest, FinalPlanWithoutDraftIsRefused) {
  EXPECT_THAT(Given(Assessing()).When(At("2024-05-31", Final())),
              Refused("final_plan.requires_draft"));
}

TEST(AdmissibilityTest, FinalPlanWithNoDecisionToAssessIsRefused) {
  // Covered by the draft rule: no draft without an assessment.
  EXPECT_THAT(Given({At("2024-01-08", Request())})
                  .When({At("2024-05-10", Draft()), At("2024-05-31", Final())}),
              Refused("draft_plan.requires_assessment"));
}

TEST(AdmissibilityTest, FinalPlanAfterADraftIsAccepted) {
  EXPECT_THAT(Given(Assessing())
                  .And({At("2024-05-10", Draft())})
                  .When(At("2024-05-31", Final())),
              Accepted());
}

TEST(AdmissibilityTest, EachFinalPlanNeedsItsOwnDraft) {
  EXPECT_THAT(Given(PlanInForce())
                  .And({At("2025-01-01", Reassess())})
                  .When(At("2025-03-01", Final())),
              Refused("final_plan.requires_draft"));
  EXPECT_THAT(
      Given(PlanInForce())
          .And({At("2025-01-01", Reassess()), At("2025-02-01", Draft())})
          .When(At("2025-03-01", Final())),
      Accepted());
}

// The facts that need a plan in force, each with what else it needs.
struct PlanFact {
  const char* rule;
  std::vector<Fact> prerequisites;  // after the plan
  Fact fact;
};

std::vector<PlanFact> PlanFacts() {
  return {
      {"review_meeting.requires_plan", {}, At("2025-05-20", Meeting())},
      {"review_report.requires_plan", {}, At("2025-05-20", Report())},
      {"review_decision.requires_plan", {}, At("2025-05-20", ReviewDecision())},
      {"amendments_proposed.requires_plan", {}, At("2025-05-20", Proposed())},
      {"phase_transfer.requires_plan", {}, At("2025-05-20", PhaseTransfer())},
      {"reassessment.requires_plan", {}, At("2025-05-20", Reassess())},
      {"amended_plan.requires_plan",
       {At("2025-05-01", Proposed())},
       At("2025-05-20", Amended())},
      {"decision_not_to_amend.requires_plan",
       {At("2025-05-01", Proposed())},
       At("2025-05-20", NotAmend())},
      {"plan_ceased.requires_plan", {}, At("2025-05-20", Ceased())},
      {"plan_transferred_out.requires_plan",
       {},
       At("2025-05-20", TransferOut())},
  };
}

TEST(AdmissibilityTest, EveryPlanFactWithNoPlanIsRefused) {
  for (const PlanFact& f : PlanFacts()) {
    SCOPED_TRACE(f.rule);
    EXPECT_THAT(Given(Assessing()).When(f.fact), Refused(f.rule));
  }
}

TEST(AdmissibilityTest, EveryPlanFactWithAPlanIsAccepted) {
  for (const PlanFact& f : PlanFacts()) {
    SCOPED_TRACE(f.rule);
    EXPECT_THAT(Given(PlanInForce()).And(f.prerequisites).When(f.fact),
                Accepted());
  }
}

TEST(AdmissibilityTest, AmendedPlanWithoutProposalsIsRecordedWhileAPlanIsActive) {
  // Unlawful without the reg 22 notice, not impossible: the clocks show it.
  EXPECT_THAT(Given(PlanInForce()).When(At("2025-06-01", Amended())),
              Accepted());
  EXPECT_THAT(Given({At("2024-01-08", Request()), At("2024-02-16", Assess())})
                  .When(At("2024-03-01", Amended())),
              Refused("amended_plan.requires_plan"));
}

TEST(AdmissibilityTest, SecondAmendedPlanForOneProposalIsRecorded) {
  EXPECT_THAT(
      Given(PlanInForce())
          .And({At("2025-06-10", Proposed()), At("2025-07-01", Amended())})
          .When(At("2025-07-02", Amended())),
      Accepted());
}

TEST(AdmissibilityTest, AmendedPlanAfterProposedAmendmentsIsAccepted) {
  EXPECT_THAT(Given(PlanInForce())
                  .And({At("2025-06-10", Proposed())})
                  .When(At("2025-07-01", Amended())),
              Accepted());
}

TEST(AdmissibilityTest, AmendedPlanCarryingOutATribunalOrderIsAccepted) {
  for (v1::TribunalOrderKind kind :
       {v1::TRIBUNAL_ORDER_KIND_AMEND, v1::TRIBUNAL_ORDER_KIND_CHANGE_SCHOOL,
        v1::TRIBUNAL_ORDER_KIND_CONTINUE_AND_AMEND}) {
    SCOPED_TRACE(kind);
    EXPECT_THAT(Given(PlanInForce())
                    .And({At("2025-06-10", Order("T1", kind))})
                    .When(At("2025-07-01", Amended())),
                Accepted());
  }
}

TEST(AdmissibilityTest, AmendedPlanEndingAReassessmentIsAccepted) {
  EXPECT_THAT(Given(PlanInForce())
                  .And({At("2025-01-01", Reassess())})
                  .When(At("2025-04-01", Amended())),
              Accepted());
}

TEST(AdmissibilityTest, DecisionNotToAmendWithoutProposalsIsRecordedWhileAPlanIsActive) {
  EXPECT_THAT(Given(PlanInForce()).When(At("2025-06-01", NotAmend())),
              Accepted());
  EXPECT_THAT(Given({At("2024-01-08", Request())})
                  .When(At("2024-03-01", NotAmend())),
              Refused("decision_not_to_amend.requires_plan"));
}

TEST(AdmissibilityTest,
     DecisionNotToAmendAfterProposalOrReassessmentIsAccepted) {
  EXPECT_THAT(Given(PlanInForce())
                  .And({At("2025-06-10", Proposed())})
                  .When(At("2025-07-01", NotAmend())),
              Accepted());
  EXPECT_THAT(Given(PlanInForce())
                  .And({At("2025-01-01", Reassess())})
                  .When(At("2025-04-01", NotAmend())),
              Accepted());
}

// ---------------------------------------------------------- transfers

TEST(AdmissibilityTest, PlanTransferredInWhileAPlanIsActiveIsRefused) {
  EXPECT_THAT(Given(PlanInForce()).When(At("2024-09-01", TransferIn())),
              Refused("plan_transferred_in.while_plan_active"));
}

TEST(AdmissibilityTest, PlanTransferredInAfterTransferOutIsAccepted) {
  EXPECT_THAT(Given(PlanInForce())
                  .And({At("2025-01-10", TransferOut())})
                  .When(At("2025-09-01", TransferIn())),
              Accepted());
}

TEST(AdmissibilityTest, TransferNoticeNeedsATransferInOnOrBeforeIt) {
  EXPECT_THAT(Given(PlanInForce()).When(At("2024-09-01", Notice())),
              Refused("transfer_notice.requires_transfer_in"));
  // A repeat or corrected notice for the same transfer is admissible.
  EXPECT_THAT(
      Given({At("2024-01-08", TransferIn()), At("2024-02-01", Notice())})
          .When(At("2024-02-02", Notice())),
      Accepted());
  // So is a notice on the transfer's own day.
  EXPECT_THAT(Given({At("2024-01-08", TransferIn())})
                  .When(At("2024-01-08", Notice())),
              Accepted());
}

TEST(AdmissibilityTest, TransferNoticeAfterTransferInIsAccepted) {
  EXPECT_THAT(
      Given({At("2024-01-08", TransferIn())})
          .When({At("2024-02-01", Notice()), At("2024-04-01", Meeting())}),
      Accepted());
}

// ---------------------------------------------------------- disputes

TEST(AdmissibilityTest, ReusedOrderIdIsRefused) {
  EXPECT_THAT(
      Given(PlanInForce())
          .And({At("2025-01-01", Order("T1", v1::TRIBUNAL_ORDER_KIND_AMEND))})
          .When(At("2025-02-01", Order("T1", v1::TRIBUNAL_ORDER_KIND_AMEND))),
      Refused("tribunal_order.reused_id"));
}

TEST(AdmissibilityTest, DistinctOrderIdsAreAccepted) {
  EXPECT_THAT(
      Given(PlanInForce())
          .And({At("2025-01-01", Order("T1", v1::TRIBUNAL_ORDER_KIND_AMEND))})
          .When(At("2025-02-01", Order("T2", v1::TRIBUNAL_ORDER_KIND_AMEND))),
      Accepted());
}

TEST(AdmissibilityTest, ReusedAppealIdIsRefused) {
  EXPECT_THAT(Given(PlanInForce())
                  .And({At("2025-01-01", Appeal("A1")),
                        At("2025-03-01", AppealConcluded("A1"))})
                  .When(At("2025-04-01", Appeal("A1"))),
              Refused("appeal_registered.reused_id"));
}

TEST(AdmissibilityTest, AppealConcludedThatWasNeverRegisteredIsRefused) {
  EXPECT_THAT(
      Given(PlanInForce()).When(At("2025-03-01", AppealConcluded("A1"))),
      Refused("appeal_concluded.requires_appeal"));
  EXPECT_THAT(Given(PlanInForce())
                  .And({At("2025-01-01", Appeal("A1")),
                        At("2025-03-01", AppealConcluded("A1"))})
                  .When(At("2025-03-02", AppealConcluded("A1"))),
              Refused("appeal_concluded.requires_appeal"));
}

TEST(AdmissibilityTest, AppealRegisteredThenConcludedIsAccepted) {
  EXPECT_THAT(Given(PlanInForce())
                  .When({At("2025-01-01", Appeal("A1")),
                         At("2025-03-01", AppealConcluded("A1"))}),
              Accepted());
}

// ---------------------------------------------------------- the catalogue

TEST(AdmissibilityTest, RuleIdsAreUniqueAndDotted) {
  absl::flat_hash_set<absl::string_view> ids;
  for (const AdmissibilityRule& r : AdmissibilityRules()) {
    EXPECT_TRUE(ids.insert(r.id).second) << r.id;
    EXPECT_TRUE(absl::StrContains(r.id, ".")) << r.id;
    EXPECT_FALSE(r.refuses.empty()) << r.id;
  }
  EXPECT_GE(ids.size(), 40u);
}

}  // namespace
}  // namespace ehcp::domain

// Exceptions are checked against the clock catalogue at append (§8
// Exceptions): a limb the clock does not allow, or an unknown clock, refuses
// the whole event.
namespace ehcp::domain {
namespace {

v1::Event ExceptionEvent(v1::ExceptionLimb limb,
                         std::initializer_list<const char*> clocks) {
  v1::Event e;
  e.set_event_id("0123456789abcdef0123456789abcdef");
  e.set_case_version(1);
  e.set_occurred_on("2024-02-01");
  auto* x = e.mutable_payload()->mutable_exception_recorded();
  x->set_limb(limb);
  for (const char* c : clocks) x->add_clocks(c);
  x->set_reason("family abroad for six weeks");
  return e;
}

TEST(ExceptionAdmissibilityTest, LimbNotAllowedForANamedClockIsRefusedWhole) {
  v1::Event bad = ExceptionEvent(v1::EXCEPTION_LIMB_REG5_4_D,
                                 {"decision_to_assess", "advice:EP1"});
  absl::Status s = Decide({}, {bad}, absl::CivilDay(2024, 3, 1));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("exception.limb_allowed"), absl::string_view::npos)
      << s;
  EXPECT_NE(s.message().find("advice"), absl::string_view::npos) << s;
}

TEST(ExceptionAdmissibilityTest, UnknownClockIsRefused) {
  v1::Event bad = ExceptionEvent(v1::EXCEPTION_LIMB_REG10_4_C,
                                 {"waiting_list"});
  absl::Status s = Decide({}, {bad}, absl::CivilDay(2024, 3, 1));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("waiting_list"), absl::string_view::npos) << s;
}

}  // namespace
}  // namespace ehcp::domain
