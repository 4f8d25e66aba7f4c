// Test vocabulary for case state and admissibility: facts, stamped events,
// and given / when / then.
//
//   EXPECT_THAT(Given({At("2024-01-08", Request())})
//                   .When(At("2024-05-31", Final())),
//               Refused("final_plan.requires_draft"));
//
// Stored events get versions 2, 3, ... after the CaseOpened event (version
// 1) and ids Id(version); proposed events continue the numbering.
#ifndef EHCP_TESTS_DOMAIN_ADMISSION_FACTS_H_
#define EHCP_TESTS_DOMAIN_ADMISSION_FACTS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "domain/admissibility.h"
#include "ehcp/v1/events.pb.h"
#include "gmock/gmock.h"

namespace ehcp::domain::facts {

namespace v1 = ::ehcp::v1;

// "Today" for every test that does not choose one.
inline const absl::CivilDay kToday(2026, 6, 1);

// One fact of a journey as a caller states it.
struct Fact {
  std::string on;
  v1::EventPayload payload;
  std::string supersedes;  // event id, or empty
};

inline Fact At(absl::string_view on, v1::EventPayload payload) {
  return Fact{std::string(on), std::move(payload), ""};
}
inline Fact Superseding(std::string target, Fact fact) {
  fact.supersedes = std::move(target);
  return fact;
}

// The event id a test stamps on version `version`.
inline std::string Id(int version) { return absl::StrFormat("%032x", version); }

// Payloads.
inline v1::EventPayload Request() {
  v1::EventPayload p;
  p.mutable_request_received()->set_source(v1::REQUEST_SOURCE_PARENT);
  return p;
}
inline v1::EventPayload BecameResponsible() {
  v1::EventPayload p;
  p.mutable_became_responsible()->set_previous_la_code("E10000016");
  return p;
}
inline v1::EventPayload Assess() {
  v1::EventPayload p;
  p.mutable_assessment_decision()->set_outcome(
      v1::ASSESSMENT_DECISION_OUTCOME_ASSESS);
  return p;
}
inline v1::EventPayload NotAssess() {
  v1::EventPayload p;
  p.mutable_assessment_decision()->set_outcome(
      v1::ASSESSMENT_DECISION_OUTCOME_NOT_ASSESS);
  return p;
}
inline v1::EventPayload AdviceRequested(absl::string_view id) {
  v1::EventPayload p;
  p.mutable_advice_requested()->set_advice_id(std::string(id));
  p.mutable_advice_requested()->set_body(v1::ADVICE_BODY_HEALTH);
  return p;
}
inline v1::EventPayload AdviceReceived(absl::string_view id) {
  v1::EventPayload p;
  p.mutable_advice_received()->set_advice_id(std::string(id));
  return p;
}
inline v1::EventPayload Exception() {
  v1::EventPayload p;
  p.mutable_exception_recorded()->set_limb(v1::EXCEPTION_LIMB_REG10_4_C);
  p.mutable_exception_recorded()->add_clocks("final_plan_20w");
  return p;
}
inline v1::EventPayload NotIssue() {
  v1::EventPayload p;
  p.mutable_decision_not_to_issue();
  return p;
}
inline v1::EventPayload Draft() {
  v1::EventPayload p;
  p.mutable_draft_plan_served();
  return p;
}
inline v1::EventPayload Waiver() {
  v1::EventPayload p;
  p.mutable_representations_waived();
  return p;
}
inline v1::EventPayload Final(absl::string_view placement = "") {
  v1::EventPayload p;
  p.mutable_final_plan_issued()->set_placement(std::string(placement));
  return p;
}
inline v1::EventPayload Meeting() {
  v1::EventPayload p;
  p.mutable_review_meeting_held()->set_adulthood_considered(true);
  return p;
}
inline v1::EventPayload Report() {
  v1::EventPayload p;
  p.mutable_review_report_sent();
  return p;
}
inline v1::EventPayload ReviewDecision(
    v1::ReviewOutcome outcome = v1::REVIEW_OUTCOME_MAINTAIN) {
  v1::EventPayload p;
  p.mutable_review_decision()->set_outcome(outcome);
  return p;
}
inline v1::EventPayload Proposed() {
  v1::EventPayload p;
  p.mutable_amendments_proposed();
  return p;
}
inline v1::EventPayload Amended(absl::string_view placement = "") {
  v1::EventPayload p;
  p.mutable_amended_plan_issued()->set_placement(std::string(placement));
  return p;
}
inline v1::EventPayload NotAmend() {
  v1::EventPayload p;
  p.mutable_decision_not_to_amend();
  return p;
}
inline v1::EventPayload PhaseTransfer() {
  v1::EventPayload p;
  p.mutable_phase_transfer_identified()->set_kind(
      v1::PHASE_TRANSFER_KIND_PRIMARY_TO_SECONDARY);
  p.mutable_phase_transfer_identified()->set_transfer_year(2026);
  return p;
}
inline v1::EventPayload Reassess() {
  v1::EventPayload p;
  p.mutable_reassessment_decided();
  return p;
}
inline v1::EventPayload TransferIn() {
  v1::EventPayload p;
  p.mutable_plan_transferred_in()->set_from_la_code("E10000012");
  return p;
}
inline v1::EventPayload Notice() {
  v1::EventPayload p;
  p.mutable_transfer_notice_sent();
  return p;
}
inline v1::EventPayload TransferOut() {
  v1::EventPayload p;
  p.mutable_plan_transferred_out()->set_to_la_code("E06000033");
  return p;
}
inline v1::EventPayload Mediation() {
  v1::EventPayload p;
  p.mutable_mediation_requested()->set_subject(
      v1::DISPUTE_SUBJECT_REFUSAL_TO_ASSESS);
  return p;
}
inline v1::EventPayload Appeal(absl::string_view id) {
  v1::EventPayload p;
  p.mutable_appeal_registered()->set_appeal_id(std::string(id));
  p.mutable_appeal_registered()->set_subject(v1::DISPUTE_SUBJECT_CESSATION);
  return p;
}
inline v1::EventPayload AppealConcluded(absl::string_view id) {
  v1::EventPayload p;
  p.mutable_appeal_concluded()->set_appeal_id(std::string(id));
  p.mutable_appeal_concluded()->set_outcome(v1::DISPUTE_OUTCOME_UPHELD);
  return p;
}
inline v1::EventPayload Order(absl::string_view id,
                              v1::TribunalOrderKind kind) {
  v1::EventPayload p;
  p.mutable_tribunal_order_made()->set_order_id(std::string(id));
  p.mutable_tribunal_order_made()->set_kind(kind);
  return p;
}
inline v1::EventPayload AdultServices() {
  v1::EventPayload p;
  p.mutable_transferred_to_adult_services();
  return p;
}
inline v1::EventPayload Ceased() {
  v1::EventPayload p;
  p.mutable_plan_ceased()->set_reason(v1::CESSATION_REASON_NEEDS_MET);
  return p;
}
inline v1::EventPayload Void(std::string target) {
  v1::EventPayload p;
  p.mutable_event_voided()->set_target_event_id(std::move(target));
  return p;
}

// The stored event for `fact` at `version`.
inline v1::Event Stamp(const Fact& fact, int version) {
  v1::Event e;
  e.set_event_id(Id(version));
  e.set_case_id("E06000035-0123456789abcdef");
  e.set_case_version(version);
  e.mutable_recorded_at()->set_seconds(1'700'000'000 + version * 60);
  e.set_occurred_on(fact.on);
  e.set_supersedes_event_id(fact.supersedes);
  *e.mutable_payload() = fact.payload;
  return e;
}

// The CaseOpened event (version 1).
inline v1::Event Opened(absl::string_view birth_month = "") {
  v1::Event e;
  e.set_event_id(Id(1));
  e.set_case_id("E06000035-0123456789abcdef");
  e.set_case_version(1);
  e.mutable_recorded_at()->set_seconds(1'700'000'000);
  e.set_occurred_on("2015-01-01");
  v1::CaseOpened* o = e.mutable_payload()->mutable_case_opened();
  o->set_la_code("E06000035");
  o->set_case_reference("MED/2024/0001");
  o->set_birth_month(std::string(birth_month));
  return e;
}

// A stream: CaseOpened, then `facts` stamped 2, 3, ...
inline std::vector<v1::Event> Stream(const std::vector<Fact>& facts,
                                     absl::string_view birth_month = "") {
  std::vector<v1::Event> events{Opened(birth_month)};
  for (const Fact& f : facts) {
    events.push_back(Stamp(f, static_cast<int>(events.size()) + 1));
  }
  return events;
}

inline std::vector<Fact> Concat(std::vector<Fact> a,
                                const std::vector<Fact>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Given these stored facts ...
class Scenario {
 public:
  explicit Scenario(std::vector<Fact> given)
      : history_(Stream(given)), given_(std::move(given)) {}

  // ... and these too ...
  Scenario And(const std::vector<Fact>& more) const {
    return Scenario(Concat(given_, more));
  }

  // ... when these are appended (in this order, one call) on `today`:
  // Decide's answer.
  absl::Status WhenOn(absl::CivilDay today,
                      const std::vector<Fact>& proposed) const {
    std::vector<v1::Event> events;
    for (const Fact& f : proposed) {
      events.push_back(
          Stamp(f, static_cast<int>(history_.size() + events.size()) + 1));
    }
    return Decide(history_, events, today);
  }
  absl::Status When(const std::vector<Fact>& proposed) const {
    return WhenOn(kToday, proposed);
  }
  absl::Status When(const Fact& proposed) const {
    return WhenOn(kToday, {proposed});
  }

  const std::vector<v1::Event>& history() const { return history_; }

 private:
  std::vector<v1::Event> history_;
  std::vector<Fact> given_;
};

inline Scenario Given(std::vector<Fact> facts) {
  return Scenario(std::move(facts));
}

// Then: accepted.
MATCHER(Accepted, "is accepted (OK)") {
  if (arg.ok()) return true;
  *result_listener << "refused: " << arg;
  return false;
}

// Then: refused as impossible by `rule` (FAILED_PRECONDITION "rule <id>: ").
MATCHER_P(Refused, rule, absl::StrFormat("is refused by rule %s", rule)) {
  const std::string prefix = absl::StrFormat("rule %s: ", rule);
  if (arg.code() == absl::StatusCode::kFailedPrecondition &&
      absl::string_view(arg.message()).substr(0, prefix.size()) == prefix) {
    return true;
  }
  *result_listener << "got " << arg;
  return false;
}

// Then: refused as malformed, the message starting with `field`.
MATCHER_P(InvalidAt, field,
          absl::StrFormat("is INVALID_ARGUMENT at %s", field)) {
  const std::string prefix = absl::StrFormat("%s: ", field);
  if (arg.code() == absl::StatusCode::kInvalidArgument &&
      absl::string_view(arg.message()).substr(0, prefix.size()) == prefix) {
    return true;
  }
  *result_listener << "got " << arg;
  return false;
}

// Appends `facts` to `stream` one call at a time (as a frontend recording
// each fact as it happens would); the first refusal, or OK.
inline absl::Status AppendEach(std::vector<v1::Event>& stream,
                               const std::vector<Fact>& facts,
                               absl::CivilDay today = kToday) {
  for (const Fact& f : facts) {
    std::vector<v1::Event> one{Stamp(f, static_cast<int>(stream.size()) + 1)};
    absl::Status s = Decide(stream, one, today);
    if (!s.ok()) return s;
    stream.push_back(one.front());
  }
  return absl::OkStatus();
}

// A journey with a plan in force since 2024-05-31.
inline std::vector<Fact> PlanInForce() {
  return {At("2024-01-08", Request()), At("2024-02-16", Assess()),
          At("2024-05-10", Draft()), At("2024-05-31", Final("URN 118000"))};
}

}  // namespace ehcp::domain::facts

#endif  // EHCP_TESTS_DOMAIN_ADMISSION_FACTS_H_
