#include "domain/case_state.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "domain/calendar.h"
#include "domain/dates.h"
#include "domain/journey.h"

namespace ehcp::domain {
namespace {

using Kind = v1::EventPayload::KindCase;

std::optional<absl::CivilDay> DayOf(const v1::Event& event) {
  absl::StatusOr<absl::CivilDay> day = ParseDate(event.occurred_on());
  if (!day.ok()) return std::nullopt;
  return *day;
}

// A new start (§8 Admissibility): a request, becoming responsible, a plan
// transferred in or a tribunal order ends an ended journey.
void NewStart(CaseState& s) { s.ended = false; }

// A new assessment cycle: a request, or the LA becoming responsible.
void OpenCycle(CaseState& s, std::optional<absl::CivilDay> on) {
  if (!s.first_journey_on) s.first_journey_on = on;
  NewStart(s);
  s.latest_request_on = on;
  s.cycle_open = true;
  s.decision_may_follow = true;
  ++s.cycles;
  s.stage = v1::CASE_STAGE_AWAITING_DECISION;
}

void ApplyAssessmentDecision(CaseState& s, const v1::AssessmentDecision& d,
                             std::optional<absl::CivilDay> on) {
  s.assessment_decision_on = on;
  if (d.outcome() == v1::ASSESSMENT_DECISION_OUTCOME_ASSESS) {
    s.assessing = true;
    s.stage = v1::CASE_STAGE_ASSESSING;
  } else {
    s.cycle_open = false;
    s.assessing = false;
    if (!s.plan_in_force) s.stage = v1::CASE_STAGE_NOT_ASSESSED;
  }
}

// The plan is in force from here: issued, transferred in or reinstated.
void StartPlan(CaseState& s) {
  s.plan_in_force = true;
  s.ended_on.reset();
  s.ended = false;
  s.stage = v1::CASE_STAGE_PLAN_MAINTAINED;
}

void ApplyFinalPlan(CaseState& s, const v1::FinalPlanIssued& plan,
                    std::optional<absl::CivilDay> on) {
  StartPlan(s);
  s.plan_issued_on = on;
  s.cycle_open = false;
  s.assessing = false;
  s.reassessing = false;
  s.draft_since_final = false;
  s.placement = plan.placement();
}

void ApplyAmendedPlan(CaseState& s, const v1::AmendedPlanIssued& plan,
                      std::optional<absl::CivilDay> on) {
  s.last_amended_on = on;
  // It answers the latest proposals still unanswered (§8: the amendment
  // clock it stops is the most recently opened open one).
  if (s.open_proposals > 0) --s.open_proposals;
  s.reassessing = false;
  if (!plan.placement().empty()) s.placement = plan.placement();
  if (s.plan_in_force) s.stage = v1::CASE_STAGE_PLAN_MAINTAINED;
}

// The plan stops being maintained here (ceased or transferred out). A
// cessation also ends the journey until a new start (§8); a transfer out
// only ends the plan (§8 refuses nothing else after it).
void EndPlan(CaseState& s, std::optional<absl::CivilDay> on, bool ceased) {
  s.plan_in_force = false;
  s.ended_on = on;
  s.ended = ceased;
  s.last_end_ceased = ceased;
  s.reassessing = false;
  s.open_proposals = 0;
  s.stage = ceased ? v1::CASE_STAGE_CEASED : v1::CASE_STAGE_TRANSFERRED_OUT;
}

void ApplyTribunalOrder(CaseState& s, const v1::TribunalOrderMade& order) {
  // §8: the tribunal has ordered the LA to act, a new start.
  NewStart(s);
  s.decision_may_follow = true;
  s.known_order_ids.insert(order.order_id());
  if (order.kind() == v1::TRIBUNAL_ORDER_KIND_MAKE_PLAN) {
    s.make_plan_authorises_draft = true;
  }
  // §8 Per clock: a continue_and_amend order made while no plan is active,
  // after a cessation, reinstates the plan from the order's date.
  if (order.kind() == v1::TRIBUNAL_ORDER_KIND_CONTINUE_AND_AMEND &&
      !s.plan_in_force && s.last_end_ceased) {
    StartPlan(s);
  }
}

}  // namespace

CaseState Evolve(CaseState s, const v1::Event& event) {
  s.version = std::max(s.version, event.case_version());
  const std::optional<absl::CivilDay> on = DayOf(event);
  const v1::EventPayload& p = event.payload();
  switch (p.kind_case()) {
    case Kind::kCaseOpened: {
      const v1::CaseOpened& o = p.case_opened();
      s.case_id = event.case_id();
      s.la_code = o.la_code();
      s.case_reference = o.case_reference();
      absl::StatusOr<absl::CivilMonth> month = ParseMonth(o.birth_month());
      if (month.ok()) s.birth_month = *month;
      break;
    }
    case Kind::kRequestReceived:
    case Kind::kBecameResponsible:
      OpenCycle(s, on);
      break;
    case Kind::kAssessmentDecision:
      ApplyAssessmentDecision(s, p.assessment_decision(), on);
      break;
    case Kind::kAdviceRequested:
      s.known_advice_ids.insert(p.advice_requested().advice_id());
      s.open_advice_ids.insert(p.advice_requested().advice_id());
      break;
    case Kind::kAdviceReceived:
      s.open_advice_ids.erase(p.advice_received().advice_id());
      break;
    case Kind::kDecisionNotToIssue:
      s.cycle_open = false;
      s.assessing = false;
      if (!s.plan_in_force) s.stage = v1::CASE_STAGE_NOT_ISSUED;
      break;
    case Kind::kDraftPlanServed:
      s.draft_served_on = on;
      s.draft_since_final = true;
      s.make_plan_authorises_draft = false;
      s.stage = v1::CASE_STAGE_DRAFT_ISSUED;
      break;
    case Kind::kFinalPlanIssued:
      ApplyFinalPlan(s, p.final_plan_issued(), on);
      break;
    case Kind::kReviewMeetingHeld:
      ++s.review_meetings;
      s.last_review_on = on;
      break;
    case Kind::kAmendmentsProposed:
      ++s.open_proposals;
      break;
    case Kind::kAmendedPlanIssued:
      ApplyAmendedPlan(s, p.amended_plan_issued(), on);
      break;
    case Kind::kDecisionNotToAmend:
      // It answers the latest proposed amendments still unanswered when
      // there are any, otherwise the re-assessment (its outcome: the plan
      // stays as it is).
      if (s.open_proposals > 0) {
        --s.open_proposals;
      } else {
        s.reassessing = false;
      }
      if (s.plan_in_force) s.stage = v1::CASE_STAGE_PLAN_MAINTAINED;
      break;
    case Kind::kReassessmentDecided:
      s.reassessing = true;
      s.stage = v1::CASE_STAGE_ASSESSING;
      break;
    case Kind::kPlanTransferredIn:
      if (!s.first_journey_on) s.first_journey_on = on;
      StartPlan(s);
      s.transferred_in = true;
      // Issued by another LA: the date of its issue is not known here.
      s.plan_issued_on.reset();
      s.placement.clear();
      break;
    case Kind::kPlanTransferredOut:
      EndPlan(s, on, /*ceased=*/false);
      break;
    case Kind::kPlanCeased:
      EndPlan(s, on, /*ceased=*/true);
      break;
    case Kind::kAppealRegistered:
      s.known_appeal_ids.insert(p.appeal_registered().appeal_id());
      s.open_appeal_ids.insert(p.appeal_registered().appeal_id());
      break;
    case Kind::kAppealConcluded:
      s.open_appeal_ids.erase(p.appeal_concluded().appeal_id());
      break;
    case Kind::kTribunalOrderMade:
      ApplyTribunalOrder(s, p.tribunal_order_made());
      break;
    // Facts that do not move the state the rules reason about.
    case Kind::kExceptionRecorded:
    case Kind::kRepresentationsWaived:
    case Kind::kTransferNoticeSent:
    case Kind::kReviewReportSent:
    case Kind::kReviewDecision:
    case Kind::kPhaseTransferIdentified:
    case Kind::kMediationRequested:
    case Kind::kMediationArranged:
    case Kind::kMediationConcluded:
    case Kind::kTransferredToAdultServices:
    case Kind::kEventVoided:
    case Kind::KIND_NOT_SET:
      break;
  }
  return s;
}

CaseState FoldCase(absl::Span<const v1::Event> events) {
  std::vector<const v1::Event*> ptrs;
  ptrs.reserve(events.size());
  for (const v1::Event& e : events) ptrs.push_back(&e);
  return FoldCase(absl::MakeConstSpan(ptrs));
}

CaseState FoldCase(absl::Span<const v1::Event* const> events) {
  CaseState state;
  absl::flat_hash_set<std::string> ids;
  absl::flat_hash_set<std::string> targets;
  bool opened = false;
  for (const v1::Event* event : events) {
    const v1::Event& e = *event;
    state.version = std::max(state.version, e.case_version());
    ids.insert(e.event_id());
    if (e.payload().has_case_opened() && !opened) {
      state = Evolve(std::move(state), e);
      opened = true;
    }
    if (e.payload().has_event_voided()) {
      targets.insert(e.payload().event_voided().target_event_id());
    }
    if (!e.supersedes_event_id().empty()) {
      targets.insert(e.supersedes_event_id());
    }
  }
  for (const std::string& target : targets) {
    if (ids.contains(target)) ++state.voided_events;
  }
  if (state.case_id.empty() && !events.empty()) {
    state.case_id = events.front()->case_id();
  }
  for (const v1::Event* e : EffectiveJourney(events)) {
    state = Evolve(std::move(state), *e);
  }
  return state;
}

v1::NoticeRecipient NoticesTo(const CaseState& state, absl::CivilDay today) {
  if (!state.birth_month) return v1::NOTICE_RECIPIENT_UNSPECIFIED;
  return today > EndOfCompulsorySchoolAge(*state.birth_month)
             ? v1::NOTICE_RECIPIENT_YOUNG_PERSON
             : v1::NOTICE_RECIPIENT_PARENT;
}

}  // namespace ehcp::domain
