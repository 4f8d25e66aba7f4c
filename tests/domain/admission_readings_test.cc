// The admissibility readings of docs/law.md §8, one test per class: the
// log records what happened and refuses only what cannot have happened.
// Each test is given / when / then on Decide, and where the reading is
// about what a recorded fact does, on the clocks it then shows.
#include <string>
#include <vector>

#include "domain/admissibility.h"
#include "domain/clocks.h"
#include "domain/validation.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/domain/admission_facts.h"
#include "tests/domain/clock_test_util.h"

namespace ehcp::domain {
namespace {

using namespace ::ehcp::domain::facts;  // NOLINT: test vocabulary
using ::ehcp::domain::testing::Day;
using ::ehcp::domain::testing::HasRow;
using ::ehcp::domain::testing::Row;
using S = ClockStatus;

v1::EventPayload TransferInReviewed(absl::string_view last_reviewed_on) {
  v1::EventPayload p = TransferIn();
  p.mutable_plan_transferred_in()->set_last_reviewed_on(
      std::string(last_reviewed_on));
  return p;
}

v1::EventPayload ExceptionFor(v1::ExceptionLimb limb,
                              std::vector<std::string> clocks) {
  v1::EventPayload p;
  p.mutable_exception_recorded()->set_limb(limb);
  for (std::string& c : clocks) {
    p.mutable_exception_recorded()->add_clocks(std::move(c));
  }
  p.mutable_exception_recorded()->set_reason("recorded in a test");
  return p;
}

v1::EventPayload AmendDecision() {
  return ReviewDecision(v1::REVIEW_OUTCOME_AMEND);
}

v1::EventPayload PhaseTransferIn(int year) {
  v1::EventPayload p = PhaseTransfer();
  p.mutable_phase_transfer_identified()->set_transfer_year(year);
  return p;
}

// Decide's answer to appending `facts` one call at a time to a new case.
absl::Status AppendEach(const std::vector<Fact>& facts) {
  std::vector<v1::Event> stream{Opened()};
  return facts::AppendEach(stream, facts);
}

std::vector<ClockRow> ClocksOf(const std::vector<Fact>& facts,
                               absl::string_view as_of) {
  return EvaluateClocks(Stream(facts), Day(std::string(as_of).c_str()));
}

// -------------------------------------------- amendments without proposals

TEST(AdmissionReadingsTest, AmendedPlanWithoutProposalsIsRecordedAndStopsThePhaseTransfer) {
  const std::vector<Fact> journey = {
      At("2022-01-10", TransferIn()), At("2022-01-20", PhaseTransferIn(2022)),
      At("2022-03-01", Amended())};
  EXPECT_THAT(AppendEach(journey), Accepted());
  const ClockRow pt = Row(ClocksOf(journey, "2022-06-01"), "phase_transfer", "1");
  EXPECT_EQ(pt.stop, Day("2022-03-01"));
  EXPECT_EQ(pt.status, S::kBreached);
  EXPECT_EQ(pt.days_late, 15);
}

TEST(AdmissionReadingsTest, ProposalsThenAnAmendedPlanAfterATransferAreAllRecorded) {
  // The old model refused these while its clocks showed amendment 1 open.
  const std::vector<Fact> journey = {
      At("2023-12-04", TransferIn()), At("2025-01-24", Proposed()),
      At("2025-02-03", Proposed()), At("2025-02-20", Amended())};
  EXPECT_THAT(AppendEach(journey), Accepted());
  const auto rows = ClocksOf(journey, "2025-06-01");
  // The amended plan stops the most recently opened open instance.
  EXPECT_EQ(Row(rows, "amendment", "2").stop, Day("2025-02-20"));
  EXPECT_EQ(Row(rows, "amendment", "1").status, S::kOverdue);
}

TEST(AdmissionReadingsTest, DecisionNotToAmendWithoutProposalsIsRecordedWithAPlanOnly) {
  EXPECT_THAT(Given({At("2022-01-10", TransferIn())})
                  .When(At("2022-02-01", NotAmend())),
              Accepted());
  EXPECT_THAT(Given({At("2022-01-10", Request())})
                  .When(At("2022-02-01", NotAmend())),
              Refused("decision_not_to_amend.requires_plan"));
  EXPECT_THAT(Given({At("2022-01-10", Request())})
                  .When(At("2022-02-01", Amended())),
              Refused("amended_plan.requires_plan"));
}

// --------------------------------------------------- advice at a later stage

TEST(AdmissionReadingsTest, AdviceRequestedAfterADecisionNotToIssueIsRecordedAndItsClockRuns) {
  const std::vector<Fact> journey = {
      At("2019-11-07", Request()), At("2020-01-22", Assess()),
      At("2020-01-26", NotIssue()), At("2020-02-10", AdviceRequested("EP1"))};
  EXPECT_THAT(AppendEach(journey), Accepted());
  const ClockRow advice = Row(ClocksOf(journey, "2020-04-01"), "advice", "EP1");
  EXPECT_EQ(advice.due, Day("2020-03-23"));
  EXPECT_EQ(advice.status, S::kOverdue);
  EXPECT_EQ(advice.days_late, 9);
}

// ------------------------------------------- transfer in: last_reviewed_on

TEST(AdmissionReadingsTest, TransferInCarriesTheOldAuthoritysReviewDate) {
  const std::vector<Fact> journey = {
      At("2023-10-02", TransferInReviewed("2023-01-20"))};
  EXPECT_THAT(AppendEach(journey), Accepted());
  EXPECT_EQ(Row(ClocksOf(journey, "2023-10-02"), "transfer_in_review", "1").due,
            Day("2024-01-19"));
}

TEST(AdmissionReadingsTest, LastReviewedOnAfterTheTransferIsInvalidArgument) {
  v1::ProposedEvent e;
  e.set_occurred_on("2023-10-02");
  *e.mutable_payload() = TransferInReviewed("2023-10-03");
  EXPECT_THAT(
      ValidateProposedEvent(e, "events[0]"),
      InvalidAt("events[0].payload.plan_transferred_in.last_reviewed_on"));
  *e.mutable_payload() = TransferInReviewed("2023-02-30");
  EXPECT_THAT(
      ValidateProposedEvent(e, "events[0]"),
      InvalidAt("events[0].payload.plan_transferred_in.last_reviewed_on"));
  // On the transfer's own day: valid.
  *e.mutable_payload() = TransferInReviewed("2023-10-02");
  EXPECT_TRUE(ValidateProposedEvent(e, "events[0]").ok());
}

TEST(AdmissionReadingsTest, TransferInWhileAPlanIsActiveStaysRefused) {
  EXPECT_THAT(Given({At("2022-01-10", TransferIn())})
                  .When(At("2022-05-01", TransferIn())),
              Refused("plan_transferred_in.while_plan_active"));
  // After that plan ceased, the case may take a plan in again.
  EXPECT_THAT(Given({At("2022-01-10", TransferIn()), At("2022-03-01", Ceased())})
                  .When(At("2022-05-01", TransferIn())),
              Accepted());
}

// --------------------------------------- continue_and_amend reinstatement

TEST(AdmissionReadingsTest, ContinueAndAmendOrderAfterCessationReinstatesThePlan) {
  const std::vector<Fact> journey = {
      At("2021-03-01", TransferIn()), At("2022-07-29", Ceased()),
      At("2022-11-14", Order("T1", v1::TRIBUNAL_ORDER_KIND_CONTINUE_AND_AMEND))};
  EXPECT_THAT(AppendEach(journey), Accepted());
  const ClockRow review =
      Row(ClocksOf(journey, "2023-12-01"), "annual_review", "1");
  EXPECT_EQ(review.trigger, Day("2022-11-14"));
  EXPECT_EQ(review.due, Day("2023-11-13"));
  EXPECT_EQ(review.status, S::kOverdue);
  EXPECT_EQ(review.days_late, 18);
}

TEST(AdmissionReadingsTest, AReinstatedPlanIsANewStartForEverything) {
  const std::vector<Fact> reinstated = {
      At("2021-03-01", TransferIn()), At("2022-07-29", Ceased()),
      At("2022-11-14", Order("T1", v1::TRIBUNAL_ORDER_KIND_CONTINUE_AND_AMEND))};
  // A re-assessment, its draft and its final plan; reviews; the amendment
  // the order asked for.
  EXPECT_THAT(AppendEach(Concat(reinstated, {At("2022-12-01", Reassess()),
                                             At("2023-01-10", Draft()),
                                             At("2023-02-01", Final()),
                                             At("2023-10-01", Meeting())})),
              Accepted());
  EXPECT_THAT(Given(reinstated).When(At("2022-12-19", Amended())), Accepted());
  // The order's own clock is stopped by that amended plan.
  const ClockRow order = Row(
      ClocksOf(Concat(reinstated, {At("2022-12-19", Amended())}), "2023-01-01"),
      "tribunal_order", "T1");
  EXPECT_EQ(order.stop, Day("2022-12-19"));
  EXPECT_EQ(order.status, S::kMet);
}

TEST(AdmissionReadingsTest, ContinueAndAmendOrderOnTheCessationDayReinstatesNothing) {
  // Rule 1: the order sorts before the cessation of the same day.
  const std::vector<Fact> journey = {
      At("2021-03-01", TransferIn()), At("2022-07-29", Ceased()),
      At("2022-07-29", Order("T1", v1::TRIBUNAL_ORDER_KIND_CONTINUE_AND_AMEND))};
  EXPECT_THAT(Given(journey).When(At("2022-09-01", Meeting())),
              Refused("journey.after_end"));
  EXPECT_FALSE(HasRow(ClocksOf(journey, "2023-12-01"), "annual_review", "1"));
}

// -------------------------------- proposals attach to the latest instance

TEST(AdmissionReadingsTest, ProposalsAttachOnlyToTheMostRecentlyOpenedReviewDecision) {
  const std::vector<Fact> journey = {
      At("2023-01-09", TransferIn()),     At("2023-03-20", Meeting()),
      At("2023-04-12", AmendDecision()),  At("2024-02-26", Meeting()),
      At("2024-03-08", Proposed())};
  EXPECT_THAT(AppendEach(journey), Accepted());
  const auto rows = ClocksOf(journey, "2024-06-03");
  const ClockRow first = Row(rows, "review_decision", "1");
  EXPECT_EQ(first.status, S::kOverdue);
  EXPECT_EQ(first.days_late, 413);
  EXPECT_FALSE(first.stop.has_value());
  // The second has its proposals but no decision yet.
  EXPECT_FALSE(Row(rows, "review_decision", "2").stop.has_value());
}

TEST(AdmissionReadingsTest, ADecisionAttachesToTheLatestOpenInstanceWithoutOne) {
  // Meeting 2 is armed by an amend decision; a maintain decision then
  // attaches to meeting 1, the latest open instance with no decision.
  const std::vector<Fact> journey = {
      At("2023-01-09", TransferIn()),    At("2023-03-20", Meeting()),
      At("2024-02-26", Meeting()),       At("2024-03-01", AmendDecision()),
      At("2024-03-05", ReviewDecision())};
  const auto rows = ClocksOf(journey, "2024-06-03");
  EXPECT_EQ(Row(rows, "review_decision", "1").stop, Day("2024-03-05"));
  EXPECT_FALSE(Row(rows, "review_decision", "2").stop.has_value());
}

// --------------------------------------------------------- covid_2020 window

TEST(AdmissionReadingsTest, CovidExceptionNamingAClockTriggeredOutsideTheWindowIsRefusedWhole) {
  const std::vector<Fact> request = {At("2020-04-30", Request())};
  EXPECT_THAT(
      Given(request).When(At(
          "2020-06-01",
          ExceptionFor(v1::EXCEPTION_LIMB_COVID_2020, {"final_plan_20w"}))),
      Refused("exception.covid_window"));
  // Naming an in-window advice clock beside it does not save it.
  EXPECT_THAT(
      Given(Concat(request, {At("2020-05-10", AdviceRequested("EP1"))}))
          .When(At("2020-06-01",
                   ExceptionFor(v1::EXCEPTION_LIMB_COVID_2020,
                                {"advice:EP1", "final_plan_20w:1"}))),
      Refused("exception.covid_window"));
  // The in-window advice clock alone: accepted, and it excuses.
  const std::vector<Fact> excused = Concat(
      request,
      {At("2020-05-10", AdviceRequested("EP1")),
       At("2020-06-01",
          ExceptionFor(v1::EXCEPTION_LIMB_COVID_2020, {"advice:EP1"}))});
  EXPECT_THAT(AppendEach(excused), Accepted());
  EXPECT_EQ(Row(ClocksOf(excused, "2020-08-01"), "advice", "EP1").status,
            S::kExcused);
}

TEST(AdmissionReadingsTest, CovidExceptionForACycleOpenedInTheWindowIsAccepted) {
  EXPECT_THAT(
      Given({At("2020-05-01", Request())})
          .When(At("2020-10-20", ExceptionFor(v1::EXCEPTION_LIMB_COVID_2020,
                                              {"final_plan_20w"}))),
      Accepted());
  // The window's last day is in it; the day after is not.
  EXPECT_THAT(
      Given({At("2020-09-25", Request())})
          .When(At("2020-09-30", ExceptionFor(v1::EXCEPTION_LIMB_COVID_2020,
                                              {"decision_to_assess"}))),
      Accepted());
  EXPECT_THAT(
      Given({At("2020-09-26", Request())})
          .When(At("2020-09-30", ExceptionFor(v1::EXCEPTION_LIMB_COVID_2020,
                                              {"decision_to_assess"}))),
      Refused("exception.covid_window"));
}

// ------------------------------------------------- before the start, by date

TEST(AdmissionReadingsTest, EventsOnTheDayOfTheFirstStartAreNotBeforeIt) {
  // Rule 1 sorts an advice request and an exception before a transfer in
  // of the same day; by date they are not before it.
  EXPECT_THAT(
      Given({At("2020-07-07", TransferIn())})
          .When({At("2020-07-07", AdviceRequested("A1")),
                 At("2020-07-07", ExceptionFor(v1::EXCEPTION_LIMB_REG8_2_A,
                                               {"advice"}))}),
      Accepted());
  EXPECT_THAT(AppendEach({At("2020-07-07", TransferIn()),
                          At("2020-07-07",
                             ExceptionFor(v1::EXCEPTION_LIMB_COVID_2020,
                                          {"transfer_in_notice"}))}),
              Accepted());
  // The day before is before it.
  EXPECT_THAT(Given({At("2020-07-07", TransferIn())})
                  .When(At("2020-07-06", AdviceRequested("A1"))),
              Refused("journey.before_first_request"));
}

TEST(AdmissionReadingsTest, AVoidThatLeavesLaterEventsBeforeTheStartIsRefused) {
  const Scenario s = Given({At("2024-01-08", Request()),
                            At("2024-02-16", Assess()),
                            At("2024-03-01", Request())});
  // Voiding the first request leaves the decision before any start.
  EXPECT_THAT(s.When(At("2024-06-01", Void(Id(2)))),
              Refused("journey.before_first_request"));
}

// ------------------------------------------------------- transfer notices

TEST(AdmissionReadingsTest, ASecondTransferNoticeIsRecordedAndStopsNothing) {
  const std::vector<Fact> journey = {At("2022-01-10", TransferIn()),
                                     At("2022-01-20", Notice()),
                                     At("2022-02-01", Notice())};
  EXPECT_THAT(AppendEach(journey), Accepted());
  const ClockRow notice =
      Row(ClocksOf(journey, "2022-06-01"), "transfer_in_notice", "1");
  EXPECT_EQ(notice.stop, Day("2022-01-20"));
  EXPECT_EQ(notice.status, S::kMet);
}

TEST(AdmissionReadingsTest, ACorrectedNoticeRecordedLateStopsTheClockOnItsOwnDate) {
  const std::vector<Fact> journey = {At("2022-01-10", TransferIn()),
                                     At("2022-03-15", Notice()),
                                     At("2022-02-01", Notice())};
  EXPECT_THAT(AppendEach(journey), Accepted());
  const ClockRow notice =
      Row(ClocksOf(journey, "2022-06-01"), "transfer_in_notice", "1");
  EXPECT_EQ(notice.stop, Day("2022-02-01"));
  EXPECT_EQ(notice.status, S::kMet);
}

// ------------------------------------------------ after a cessation

std::vector<Fact> Ended() {
  return Concat(PlanInForce(), {At("2024-06-10", AdviceRequested("H1")),
                                At("2024-09-01", Ceased())});
}

TEST(AdmissionReadingsTest, AfterACessationTheJourneyWaitsForANewStart) {
  for (const v1::EventPayload& p :
       {Assess(), NotAssess(), NotIssue(), Draft(), Final(), Waiver(),
        AdviceRequested("H2"), Notice(), Meeting(), Report(), ReviewDecision(),
        Proposed(), PhaseTransfer(), Reassess(), Amended(), NotAmend(),
        Ceased(), TransferOut()}) {
    EXPECT_THAT(Given(Ended()).When(At("2024-10-01", p)),
                Refused("journey.after_end"))
        << p.ShortDebugString();
  }
}

TEST(AdmissionReadingsTest, AfterACessationVoidsAdviceOwedExceptionsAndDisputesStayAdmissible) {
  for (const v1::EventPayload& p :
       {AdviceReceived("H1"), Exception(), Void(Id(6)), Mediation(),
        Appeal("AP1"), AdultServices(),
        Order("T9", v1::TRIBUNAL_ORDER_KIND_ASSESS)}) {
    EXPECT_THAT(Given(Ended()).When(At("2024-10-01", p)), Accepted())
        << p.ShortDebugString();
  }
}

TEST(AdmissionReadingsTest, ANewStartOnOrBeforeItGoesByDate) {
  // A transfer in sorts after an advice request of the same day; by date
  // the new start is on or before it.
  EXPECT_THAT(Given(Ended()).When({At("2024-10-01", AdviceRequested("H2")),
                                   At("2024-10-01", TransferIn())}),
              Accepted());
  // A request a day later does not reach back.
  EXPECT_THAT(Given(Ended()).When({At("2024-10-01", AdviceRequested("H2")),
                                   At("2024-10-02", Request())}),
              Refused("journey.after_end"));
}

TEST(AdmissionReadingsTest, ATribunalOrderAfterACessationIsANewStart) {
  EXPECT_THAT(
      Given(Concat(Ended(),
                   {At("2024-10-01", Order("T1", v1::TRIBUNAL_ORDER_KIND_ASSESS))}))
          .When({At("2024-10-10", Assess()),
                 At("2024-10-12", AdviceRequested("H2"))}),
      Accepted());
}

// ------------------------------------------------ cycles and new requests

TEST(AdmissionReadingsTest, ARequestAfterAReconsideredDecisionToAssessIsRecorded) {
  // The cycle closed with the decision not to issue; a later decision to
  // assess does not reopen it (its clocks stay closed), so a new request
  // or becoming responsible opens the next cycle.
  const std::vector<Fact> reconsidered = {
      At("2017-04-18", Request()), At("2017-08-01", Assess()),
      At("2018-07-19", NotIssue()), At("2018-10-11", Assess())};
  EXPECT_THAT(Given(reconsidered).When(At("2018-12-15", BecameResponsible())),
              Accepted());
  EXPECT_THAT(Given(reconsidered).When(At("2018-12-15", Request())),
              Accepted());
}

// ------------------------------------------ a make_plan order, one draft

TEST(AdmissionReadingsTest, AMakePlanOrderAuthorisesOneDraft) {
  const std::vector<Fact> ordered = {
      At("2024-01-08", Request()), At("2024-02-16", Assess()),
      At("2024-04-01", NotIssue()),
      At("2024-08-01", Order("T1", v1::TRIBUNAL_ORDER_KIND_MAKE_PLAN))};
  EXPECT_THAT(Given(ordered).When(At("2024-08-20", Draft())), Accepted());
  EXPECT_THAT(Given(Concat(ordered, {At("2024-08-20", Draft())}))
                  .When(At("2024-08-27", Draft())),
              Refused("draft_plan.requires_assessment"));
  // Its final plan follows the one draft.
  EXPECT_THAT(Given(Concat(ordered, {At("2024-08-20", Draft())}))
                  .When(At("2024-09-10", Final())),
              Accepted());
}

}  // namespace
}  // namespace ehcp::domain
