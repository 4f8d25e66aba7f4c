// The §8 readings of docs/law.md (latest revision) over gRPC against
// a real ehcpd and a real RocksDB: what the log admits (it refuses only what
// cannot have happened) and the clocks that follow from it. One test per
// reading; each opens its own cases. Every expected date is worked out by
// hand from §2 (weeks = +7·N days; "12 months starting with X" = X + 12
// months − 1 day) and noted next to the assertion.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ehcp/v1/clock_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/services/journey_builder.h"

namespace ehcp::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kKent[] = "E10000016";

// --- Builders for the events journey_builder.h does not provide. ---

v1::ProposedEvent At(const std::string& on) {
  v1::ProposedEvent e;
  e.set_occurred_on(on);
  return e;
}

v1::ProposedEvent TransferIn(const std::string& on,
                             const std::string& last_reviewed_on = "") {
  v1::ProposedEvent e = At(on);
  auto* p = e.mutable_payload()->mutable_plan_transferred_in();
  p->set_from_la_code(kKent);
  p->set_last_reviewed_on(last_reviewed_on);
  return e;
}

v1::ProposedEvent TransferNotice(const std::string& on) {
  v1::ProposedEvent e = At(on);
  e.mutable_payload()->mutable_transfer_notice_sent();
  return e;
}

v1::ProposedEvent PhaseTransfer(const std::string& on, v1::PhaseTransferKind kind,
                                int transfer_year) {
  v1::ProposedEvent e = At(on);
  auto* p = e.mutable_payload()->mutable_phase_transfer_identified();
  p->set_kind(kind);
  p->set_transfer_year(transfer_year);
  return e;
}

v1::ProposedEvent AmendedPlan(const std::string& on) {
  v1::ProposedEvent e = At(on);
  auto* p = e.mutable_payload()->mutable_amended_plan_issued();
  p->set_placement("URN 136000");
  p->set_phase(v1::EDUCATION_PHASE_SECONDARY);
  return e;
}

v1::ProposedEvent ProposeAmendments(const std::string& on) {
  v1::ProposedEvent e = At(on);
  e.mutable_payload()->mutable_amendments_proposed();
  return e;
}

v1::ProposedEvent DecideNotToAmend(const std::string& on) {
  v1::ProposedEvent e = At(on);
  e.mutable_payload()->mutable_decision_not_to_amend();
  return e;
}

v1::ProposedEvent DecideToAmend(const std::string& on) {
  v1::ProposedEvent e = At(on);
  e.mutable_payload()->mutable_review_decision()->set_outcome(
      v1::REVIEW_OUTCOME_AMEND);
  return e;
}

v1::ProposedEvent DecideNotToIssue(const std::string& on) {
  v1::ProposedEvent e = At(on);
  e.mutable_payload()->mutable_decision_not_to_issue();
  return e;
}

v1::ProposedEvent Order(const std::string& on, const std::string& id,
                        v1::TribunalOrderKind kind) {
  v1::ProposedEvent e = At(on);
  auto* p = e.mutable_payload()->mutable_tribunal_order_made();
  p->set_order_id(id);
  p->set_kind(kind);
  return e;
}

v1::ProposedEvent Exception(const std::string& on, v1::ExceptionLimb limb,
                            const std::vector<std::string>& clocks) {
  v1::ProposedEvent e = At(on);
  auto* p = e.mutable_payload()->mutable_exception_recorded();
  p->set_limb(limb);
  for (const std::string& c : clocks) p->add_clocks(c);
  p->set_reason("Service closures and staff redeployment");
  return e;
}

v1::ProposedEvent Waiver(const std::string& on) {
  v1::ProposedEvent e = At(on);
  e.mutable_payload()->mutable_representations_waived();
  return e;
}

v1::ProposedEvent Void(const std::string& on, const std::string& target) {
  v1::ProposedEvent e = At(on);
  auto* p = e.mutable_payload()->mutable_event_voided();
  p->set_target_event_id(target);
  p->set_reason("Recorded against the wrong advice request");
  return e;
}

class ReadingsApiTest : public ::testing::Test {
 protected:
  // Opens a case of Medway whose record starts on `opened_on`.
  std::string Open(const std::string& ref, const std::string& opened_on) {
    grpc::ClientContext context;
    v1::OpenCaseRequest request;
    request.set_la_code("E06000035");
    request.set_case_reference(ref);
    request.set_birth_month("2011-03");
    request.set_opened_on(opened_on);
    v1::OpenCaseResponse response;
    grpc::Status status = server_.stub().OpenCase(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.case_id();
  }

  grpc::Status Append(const std::string& case_id,
                      const std::vector<v1::ProposedEvent>& events,
                      v1::AppendEventsResponse* response = nullptr) {
    v1::AppendEventsResponse ignored;
    grpc::ClientContext context;
    return server_.stub().AppendEvents(
        &context, AppendRequest(case_id, events),
        response != nullptr ? response : &ignored);
  }

  // The case's version as ReadCase reports it.
  int64_t Version(const std::string& case_id) {
    grpc::ClientContext context;
    v1::ReadCaseRequest request;
    request.set_case_id(case_id);
    request.set_max_count(1000);
    v1::ReadCaseResponse response;
    grpc::Status status = server_.stub().ReadCase(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.case_version();
  }

  // The case's clocks as of a date, by "<clock_id>:<instance>".
  std::map<std::string, v1::Clock> ClocksAsOf(const std::string& case_id,
                                              const std::string& as_of) {
    return testing::ClocksAsOf(*clocks_, case_id, as_of);
  }

  // One clock row; a test failure listing the rows when it is missing.
  static v1::Clock Row(const std::map<std::string, v1::Clock>& clocks,
                       const std::string& name) {
    auto it = clocks.find(name);
    if (it != clocks.end()) return it->second;
    std::string listed;
    for (const auto& [n, c] : clocks) {
      listed += " " + n + "(" + c.trigger_on() + ")";
    }
    ADD_FAILURE() << "no clock row " << name << "; rows:" << listed;
    return v1::Clock();
  }

  // Appends `events`, expects a refusal by `rule`, and that nothing was
  // written.
  void ExpectRefused(const std::string& case_id,
                     const std::vector<v1::ProposedEvent>& events,
                     const std::string& rule) {
    const int64_t before = Version(case_id);
    grpc::Status status = Append(case_id, events);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
        << status.error_message();
    EXPECT_THAT(status.error_message(), StartsWith("rule " + rule + ":"));
    EXPECT_EQ(Version(case_id), before) << "a refused append wrote events";
  }

  TempDir dir_;
  TestServer server_{dir_.path()};
  std::unique_ptr<v1::ClockService::Stub> clocks_ =
      v1::ClockService::NewStub(server_.channel());
};

#define EXPECT_OK(expr)                                        \
  do {                                                         \
    const grpc::Status ok_status_ = (expr);                    \
    EXPECT_TRUE(ok_status_.ok()) << ok_status_.error_message(); \
  } while (false)

// §8: the log records what happened. An amended plan that was issued
// without proposed amendments being recorded first is a fact; it stops the
// phase transfer clock (any amended or final plan on or after its
// identification).
TEST_F(ReadingsApiTest, AmendedPlanWithoutProposalsIsRecordedAndStopsThePhaseTransfer) {
  const std::string id = Open("MED-R01", "2022-01-10");
  EXPECT_OK(Append(id, {TransferIn("2022-01-10"),
                        PhaseTransfer("2022-01-20",
                                      v1::PHASE_TRANSFER_KIND_PRIMARY_TO_SECONDARY,
                                      2022)}));
  EXPECT_OK(Append(id, {AmendedPlan("2022-03-01")}));

  const auto c = ClocksAsOf(id, "2022-04-01");
  const v1::Clock phase = Row(c, "phase_transfer:1");
  EXPECT_EQ(phase.trigger_on(), "2022-01-20");
  EXPECT_EQ(phase.due_on(), "2022-02-14");  // before 15 February 2022
  EXPECT_EQ(phase.stop_on(), "2022-03-01");
  EXPECT_EQ(phase.status(), v1::CLOCK_STATUS_BREACHED);
  EXPECT_EQ(phase.days_late(), 15);  // 14 Feb → 1 Mar 2022
}

// §8 Per clock: an amendment stop goes to the most recently opened open
// instance; a decision not to amend with nothing proposed is a fact too.
TEST_F(ReadingsApiTest, ProposalsAndAmendedPlanAfterTransferStopTheAmendmentClocks) {
  const std::string id = Open("MED-R02", "2023-12-04");
  EXPECT_OK(Append(id, {TransferIn("2023-12-04")}));
  EXPECT_OK(Append(id, {ProposeAmendments("2025-01-24")}));
  EXPECT_OK(Append(id, {ProposeAmendments("2025-02-03")}));
  EXPECT_OK(Append(id, {AmendedPlan("2025-02-20")}));

  const auto c = ClocksAsOf(id, "2025-06-01");
  const v1::Clock second = Row(c, "amendment:2");
  EXPECT_EQ(second.trigger_on(), "2025-02-03");
  EXPECT_EQ(second.due_on(), "2025-03-31");  // + 8 weeks
  EXPECT_EQ(second.stop_on(), "2025-02-20");
  EXPECT_EQ(second.status(), v1::CLOCK_STATUS_MET);
  const v1::Clock first = Row(c, "amendment:1");
  EXPECT_EQ(first.trigger_on(), "2025-01-24");
  EXPECT_EQ(first.due_on(), "2025-03-21");  // + 8 weeks
  EXPECT_EQ(first.stop_on(), "");
  EXPECT_EQ(first.status(), v1::CLOCK_STATUS_OVERDUE);
  EXPECT_EQ(first.days_late(), 72);  // 21 Mar → 1 Jun 2025

  // Another transferred-in plan: a decision not to amend with no proposals.
  const std::string other = Open("MED-R02B", "2023-12-04");
  EXPECT_OK(Append(other, {TransferIn("2023-12-04")}));
  EXPECT_OK(Append(other, {DecideNotToAmend("2024-02-01")}));
  for (const auto& [name, clock] : ClocksAsOf(other, "2024-03-01")) {
    EXPECT_NE(clock.clock_id(), "amendment") << name;
  }
}

// §8 Admissibility: advice may be sought at any later stage, including
// after a decision not to issue; its clock runs as any advice clock.
TEST_F(ReadingsApiTest, AdviceRequestedAfterADecisionNotToIssueIsRecordedAndItsClockRuns) {
  const std::string id = Open("MED-R03", "2019-11-07");
  EXPECT_OK(Append(id, {Request("2019-11-07"), DecideToAssess("2020-01-22"),
                        DecideNotToIssue("2020-01-26")}));
  EXPECT_OK(Append(id, {AskAdvice("2020-02-10", "EP1")}));

  const v1::Clock advice = Row(ClocksAsOf(id, "2020-04-01"), "advice:EP1");
  EXPECT_EQ(advice.trigger_on(), "2020-02-10");
  EXPECT_EQ(advice.due_on(), "2020-03-23");  // + 6 weeks (2020 is a leap year)
  EXPECT_EQ(advice.status(), v1::CLOCK_STATUS_OVERDUE);
  EXPECT_EQ(advice.days_late(), 9);  // 23 Mar → 1 Apr 2020
}

// §8 Per clock: transfer_in_review is due on the later of the 12 months
// beginning with the old LA's last review and the 3 months beginning with
// the transfer; a last review after the transfer is invalid input.
TEST_F(ReadingsApiTest, TransferInCarriesTheOldAuthoritysReviewDate) {
  const std::string with = Open("MED-R04A", "2023-10-02");
  EXPECT_OK(Append(with, {TransferIn("2023-10-02", "2023-01-20")}));
  const v1::Clock review_with =
      Row(ClocksAsOf(with, "2023-11-01"), "transfer_in_review:1");
  EXPECT_EQ(review_with.trigger_on(), "2023-10-02");
  // max(2023-01-20 + 12m − 1d = 2024-01-19, 2023-10-02 + 3m − 1d = 2024-01-01)
  EXPECT_EQ(review_with.due_on(), "2024-01-19");
  EXPECT_EQ(review_with.status(), v1::CLOCK_STATUS_PENDING);

  const std::string without = Open("MED-R04B", "2023-10-02");
  EXPECT_OK(Append(without, {TransferIn("2023-10-02")}));
  const v1::Clock review_without =
      Row(ClocksAsOf(without, "2023-11-01"), "transfer_in_review:1");
  EXPECT_EQ(review_without.trigger_on(), "2023-10-02");
  EXPECT_EQ(review_without.due_on(), "2024-01-01");  // 2023-10-02 + 3m − 1d
  EXPECT_EQ(review_without.status(), v1::CLOCK_STATUS_PENDING);

  const std::string later = Open("MED-R04C", "2023-10-02");
  const int64_t before = Version(later);
  grpc::Status status = Append(later, {TransferIn("2023-10-02", "2023-10-03")});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
  EXPECT_THAT(status.error_message(),
              HasSubstr("events[0].payload.plan_transferred_in.last_reviewed_on"));
  EXPECT_EQ(Version(later), before);
}

// §8 Per clock: a continue_and_amend order after a cessation reinstates the
// plan; the annual review chain opens from the order's date.
TEST_F(ReadingsApiTest, ContinueAndAmendOrderAfterCessationReinstatesThePlan) {
  const std::string id = Open("MED-R05", "2021-03-01");
  EXPECT_OK(Append(id, {TransferIn("2021-03-01"), Cease("2022-07-29")}));
  EXPECT_OK(Append(id, {Order("2022-11-14", "T1",
                              v1::TRIBUNAL_ORDER_KIND_CONTINUE_AND_AMEND)}));

  const v1::Clock review = Row(ClocksAsOf(id, "2023-12-01"), "annual_review:1");
  EXPECT_EQ(review.trigger_on(), "2022-11-14");
  EXPECT_EQ(review.due_on(), "2023-11-13");  // 2022-11-14 + 12m − 1d
  EXPECT_EQ(review.status(), v1::CLOCK_STATUS_OVERDUE);
  EXPECT_EQ(review.days_late(), 18);  // 13 Nov → 1 Dec 2023

  // The plan is active again: a review meeting is admissible and stops it.
  EXPECT_OK(Append(id, {Review("2023-12-15")}));
  const v1::Clock held = Row(ClocksAsOf(id, "2024-01-02"), "annual_review:1");
  EXPECT_EQ(held.stop_on(), "2023-12-15");
  EXPECT_EQ(held.status(), v1::CLOCK_STATUS_BREACHED);
  EXPECT_EQ(held.days_late(), 32);  // 13 Nov → 15 Dec 2023
}

// §8 Per clock (review_decision): proposed amendments attach to the most
// recently opened open review_decision instance only, never falling back to
// an older one; an amend decision (meetings from 2022-03-08) needs both.
TEST_F(ReadingsApiTest, ProposalsAttachOnlyToTheLatestOpenReviewDecision) {
  const std::string id = Open("MED-R06", "2023-01-09");
  EXPECT_OK(Append(id, {TransferIn("2023-01-09"), Review("2023-03-20"),
                        DecideToAmend("2023-04-12"), Review("2024-02-26")}));
  EXPECT_OK(Append(id, {ProposeAmendments("2024-03-08")}));

  const auto c = ClocksAsOf(id, "2024-06-03");
  const v1::Clock first = Row(c, "review_decision:1");
  EXPECT_EQ(first.trigger_on(), "2023-03-20");
  EXPECT_EQ(first.due_on(), "2023-04-17");  // + 4 weeks
  EXPECT_EQ(first.stop_on(), "");
  EXPECT_EQ(first.status(), v1::CLOCK_STATUS_OVERDUE);
  EXPECT_EQ(first.days_late(), 413);  // 17 Apr 2023 → 3 Jun 2024
  // The proposals went to meeting 2, which has no decision yet.
  const v1::Clock second = Row(c, "review_decision:2");
  EXPECT_EQ(second.trigger_on(), "2024-02-26");
  EXPECT_EQ(second.due_on(), "2024-03-25");  // + 4 weeks
  EXPECT_EQ(second.stop_on(), "");
  EXPECT_EQ(second.status(), v1::CLOCK_STATUS_OVERDUE);
  EXPECT_EQ(second.days_late(), 70);  // 25 Mar → 3 Jun 2024
}

// §8 Exceptions: covid_2020 covers only clocks triggered in 2020-05-01..
// 2020-09-25; one naming a clock triggered outside is refused whole.
TEST_F(ReadingsApiTest, CovidExceptionForAClockTriggeredOutsideTheWindowIsRefusedWhole) {
  const std::string id = Open("MED-R07", "2020-04-30");
  EXPECT_OK(Append(id, {Request("2020-04-30")}));
  ExpectRefused(id,
                {Exception("2020-06-01", v1::EXCEPTION_LIMB_COVID_2020,
                           {"final_plan_20w"})},
                "exception.covid_window");

  EXPECT_OK(Append(id, {AskAdvice("2020-06-10", "EP1")}));
  EXPECT_OK(Append(id, {Exception("2020-07-01", v1::EXCEPTION_LIMB_COVID_2020,
                                  {"advice:EP1"})}));
  const v1::Clock advice = Row(ClocksAsOf(id, "2020-09-01"), "advice:EP1");
  EXPECT_EQ(advice.due_on(), "2020-07-22");  // + 6 weeks
  EXPECT_EQ(advice.status(), v1::CLOCK_STATUS_EXCUSED);
  EXPECT_EQ(advice.excused_by_limb(), "covid_2020");
  EXPECT_EQ(advice.days_late(), 41);  // 22 Jul → 1 Sep 2020
}

// §8 Admissibility: "before" the start is by date; an event on the day of
// the first start is not before it, whatever rule 1's same-day order (which
// puts advice and exceptions before a transfer in).
TEST_F(ReadingsApiTest, EventsOnTheDayOfTheFirstStartAreNotBeforeIt) {
  const std::string together = Open("MED-R08A", "2020-07-07");
  EXPECT_OK(Append(together, {TransferIn("2020-07-07"),
                              AskAdvice("2020-07-07", "A1"),
                              Exception("2020-07-07", v1::EXCEPTION_LIMB_REG8_2_A,
                                        {"advice"})}));
  const v1::Clock advice = Row(ClocksAsOf(together, "2020-07-08"), "advice:A1");
  EXPECT_EQ(advice.trigger_on(), "2020-07-07");
  EXPECT_EQ(advice.due_on(), "2020-08-18");  // + 6 weeks
  EXPECT_EQ(advice.status(), v1::CLOCK_STATUS_PENDING);

  const std::string apart = Open("MED-R08B", "2020-07-07");
  EXPECT_OK(Append(apart, {TransferIn("2020-07-07")}));
  EXPECT_OK(Append(apart, {AskAdvice("2020-07-07", "A1")}));
  EXPECT_OK(Append(apart, {Exception("2020-07-07", v1::EXCEPTION_LIMB_COVID_2020,
                                     {"transfer_in_notice"})}));
  EXPECT_EQ(Version(apart), 4);
}

// §8 Admissibility: a transfer notice needs a transfer in; a repeat is
// admissible. The first qualifying stop (by occurred_on) wins, so a notice
// recorded late but dated earlier stops the clock on its own date.
TEST_F(ReadingsApiTest, ASecondTransferNoticeIsRecorded) {
  const std::string id = Open("MED-R09A", "2022-01-10");
  EXPECT_OK(Append(id, {TransferIn("2022-01-10"), TransferNotice("2022-01-20")}));
  EXPECT_OK(Append(id, {TransferNotice("2022-02-01")}));
  const v1::Clock notice = Row(ClocksAsOf(id, "2022-03-01"), "transfer_in_notice:1");
  EXPECT_EQ(notice.trigger_on(), "2022-01-10");
  EXPECT_EQ(notice.due_on(), "2022-02-21");  // + 6 weeks
  EXPECT_EQ(notice.stop_on(), "2022-01-20");
  EXPECT_EQ(notice.status(), v1::CLOCK_STATUS_MET);

  const std::string corrected = Open("MED-R09B", "2022-01-10");
  EXPECT_OK(Append(corrected, {TransferIn("2022-01-10"),
                               TransferNotice("2022-03-15")}));
  const v1::Clock late =
      Row(ClocksAsOf(corrected, "2022-04-01"), "transfer_in_notice:1");
  EXPECT_EQ(late.stop_on(), "2022-03-15");
  EXPECT_EQ(late.status(), v1::CLOCK_STATUS_BREACHED);
  EXPECT_EQ(late.days_late(), 22);  // 21 Feb → 15 Mar 2022
  EXPECT_OK(Append(corrected, {TransferNotice("2022-02-01")}));
  const v1::Clock fixed =
      Row(ClocksAsOf(corrected, "2022-04-01"), "transfer_in_notice:1");
  EXPECT_EQ(fixed.stop_on(), "2022-02-01");
  EXPECT_EQ(fixed.status(), v1::CLOCK_STATUS_MET);
  EXPECT_EQ(fixed.days_late(), 0);
}

// §8 Admissibility: a cessation ends the journey until a new start; the
// receipt of advice asked for earlier, exceptions and voids stay admissible.
TEST_F(ReadingsApiTest, AfterACessationOnlyANewStartReopensTheJourney) {
  const std::string id = Open("MED-R10", "2021-01-11");
  EXPECT_OK(Append(id, {Request("2021-01-11"), DecideToAssess("2021-02-15"),
                        Draft("2021-05-10"), Final("2021-05-28"),
                        AskAdvice("2022-06-01", "EP2"), Cease("2022-06-30")}));

  ExpectRefused(id, {Draft("2022-07-10")}, "journey.after_end");
  ExpectRefused(id, {DecideToAssess("2022-07-10")}, "journey.after_end");
  ExpectRefused(id, {AskAdvice("2022-07-10", "X1")}, "journey.after_end");
  ExpectRefused(id, {TransferNotice("2022-07-10")}, "journey.after_end");
  ExpectRefused(id, {Waiver("2022-07-10")}, "journey.after_end");

  v1::AppendEventsResponse excepted;
  EXPECT_OK(Append(id, {Exception("2022-07-05", v1::EXCEPTION_LIMB_REG8_2_B,
                                  {"advice:EP2"})},
                   &excepted));
  EXPECT_OK(Append(id, {GetAdvice("2022-07-15", "EP2")}));
  ASSERT_EQ(excepted.events_size(), 1);
  EXPECT_OK(Append(id, {Void("2022-07-20", excepted.events(0).event_id())}));

  // A new request (a new start) reopens the journey.
  EXPECT_OK(Append(id, {Request("2022-09-05")}));
  EXPECT_OK(Append(id, {DecideToAssess("2022-09-20")}));
}

// Appends are atomic: a refused append writes none of its events, not even
// the admissible ones before the refused one.
TEST_F(ReadingsApiTest, NothingIsWrittenWhenAnAppendIsRefused) {
  const std::string id = Open("MED-R11", "2024-01-08");
  EXPECT_OK(Append(id, {Request("2024-01-08")}));
  EXPECT_EQ(Version(id), 2);
  // A final plan with no draft served.
  ExpectRefused(id, {DecideToAssess("2024-02-16"), Final("2024-03-01")},
                "final_plan.requires_draft");
  EXPECT_EQ(Version(id), 2);
  grpc::ClientContext context;
  v1::ReadCaseRequest request;
  request.set_case_id(id);
  v1::ReadCaseResponse response;
  ASSERT_TRUE(server_.stub().ReadCase(&context, request, &response).ok());
  EXPECT_EQ(response.events_size(), 2);
}

}  // namespace
}  // namespace ehcp::testing
