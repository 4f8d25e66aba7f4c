#include "domain/admission_rules.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "domain/dates.h"

namespace ehcp::domain {
namespace {

using Kind = v1::EventPayload::KindCase;

// A rule's test: the circumstance that refuses the event, or nullopt.
using Check = std::optional<std::string> (*)(const CaseState&,
                                             const v1::Event&,
                                             const JourneyStarts&);

struct JourneyRule {
  AdmissibilityRule rule;
  Kind kind;  // KIND_NOT_SET: applies to every kind
  Check check;
};

std::string On(const std::optional<absl::CivilDay>& day) {
  return day ? FormatDate(*day) : std::string("an unknown date");
}

std::optional<absl::CivilDay> DayOf(const v1::Event& e) {
  absl::StatusOr<absl::CivilDay> day = ParseDate(e.occurred_on());
  if (!day.ok()) return std::nullopt;
  return *day;
}

// Events that may start a journey (nothing else may precede them).
bool StartsJourney(Kind k) {
  return k == Kind::kRequestReceived || k == Kind::kBecameResponsible ||
         k == Kind::kPlanTransferredIn;
}

// New starts after an end (§8 Admissibility): the journey starters, and a
// tribunal order (the tribunal has ordered the LA to act).
bool IsNewStart(Kind k) {
  return StartsJourney(k) || k == Kind::kTribunalOrderMade;
}

// §8 Admissibility: what a cessation refuses until a new start: decisions, drafts, final plans, waivers,
// advice requests, transfer notices, and everything that needs an active
// plan. Everything else stays admissible after an end: new starts, voids,
// exceptions, the receipt of advice requested earlier, and what §8 does not
// list (mediation, appeals, the move to adult services).
bool RefusedAfterEnd(Kind k) {
  switch (k) {
    case Kind::kAssessmentDecision:
    case Kind::kDecisionNotToIssue:
    case Kind::kDraftPlanServed:
    case Kind::kFinalPlanIssued:
    case Kind::kRepresentationsWaived:
    case Kind::kAdviceRequested:
    case Kind::kTransferNoticeSent:
    case Kind::kReviewMeetingHeld:
    case Kind::kReviewReportSent:
    case Kind::kReviewDecision:
    case Kind::kAmendmentsProposed:
    case Kind::kPhaseTransferIdentified:
    case Kind::kReassessmentDecided:
    case Kind::kAmendedPlanIssued:
    case Kind::kDecisionNotToAmend:
    case Kind::kPlanCeased:
    case Kind::kPlanTransferredOut:
      return true;
    default:
      return false;
  }
}

// §8: "before" is by date: an event on the day of the first start is not
// before it, whatever rule 1's same-day order.
std::optional<std::string> BeforeFirstJourneyEvent(const CaseState&,
                                                   const v1::Event& e,
                                                   const JourneyStarts& j) {
  if (StartsJourney(e.payload().kind_case())) return std::nullopt;
  const std::optional<absl::CivilDay> on = DayOf(e);
  if (j.first && on && *j.first <= *on) return std::nullopt;
  return "before the case's first request, becoming responsible or plan "
         "transferred in";
}

// A new start dated the same day counts whatever rule 1's same-day order
// ("on or before it" is by date). Reading: §8 ends the journey at a
// cessation only; after a transfer out the plan is no longer active (its
// events are refused by their own rules) but nothing else is refused.
std::optional<std::string> AfterEnd(const CaseState& s, const v1::Event& e,
                                    const JourneyStarts& j) {
  if (!s.ended || !RefusedAfterEnd(e.payload().kind_case())) {
    return std::nullopt;
  }
  const std::optional<absl::CivilDay> on = DayOf(e);
  if (on && j.NewStartOn(*on)) return std::nullopt;
  return absl::StrCat(
      "after the plan ceased on ", On(s.ended_on),
      " with no new start since (a request, becoming responsible, a plan "
      "transferred in or a tribunal order)");
}

std::optional<std::string> CycleOpen(const CaseState& s, const v1::Event&,
                                     const JourneyStarts&) {
  if (!s.cycle_open) return std::nullopt;
  return absl::StrCat("while the assessment cycle opened on ",
                      On(s.latest_request_on), " is still open");
}

std::optional<std::string> PlanActive(const CaseState& s, const v1::Event&,
                                      const JourneyStarts&) {
  if (!s.plan_in_force) return std::nullopt;
  return "while a plan is active";
}

// §8 "a decision ... with no request". Reading: becoming responsible opens
// a cycle as a request does, and a tribunal order (an `assess` order, or
// one made on appeal against a refusal) is what a decision may comply with.
std::optional<std::string> DecisionWithoutRequest(const CaseState& s,
                                                  const v1::Event&,
                                                  const JourneyStarts&) {
  if (s.decision_may_follow) return std::nullopt;
  return "with no request, becoming responsible or tribunal order before it";
}

std::optional<std::string> AdviceIdReused(const CaseState& s,
                                          const v1::Event& e,
                                          const JourneyStarts&) {
  const std::string& id = e.payload().advice_requested().advice_id();
  if (!s.known_advice_ids.contains(id)) return std::nullopt;
  return absl::StrCat("reuses advice id \"", id, "\" already used in the case");
}

std::optional<std::string> AdviceNeverRequested(const CaseState& s,
                                                const v1::Event& e,
                                                const JourneyStarts&) {
  const std::string& id = e.payload().advice_received().advice_id();
  if (s.known_advice_ids.contains(id)) return std::nullopt;
  return absl::StrCat("for advice id \"", id, "\" that was never requested");
}

std::optional<std::string> AdviceAlreadyReceived(const CaseState& s,
                                                 const v1::Event& e,
                                                 const JourneyStarts&) {
  const std::string& id = e.payload().advice_received().advice_id();
  if (!s.known_advice_ids.contains(id) || s.open_advice_ids.contains(id)) {
    return std::nullopt;
  }
  return absl::StrCat("for advice id \"", id, "\" already received");
}

// Reading: only an initial assessment ends in a decision not to issue; a
// re-assessment that changes nothing ends in a decision not to amend.
std::optional<std::string> NotIssueWithoutAssessment(const CaseState& s,
                                                     const v1::Event&,
                                                     const JourneyStarts&) {
  if (s.assessing) return std::nullopt;
  return "with no assessment under way";
}

std::optional<std::string> NotIssueAfterDraft(const CaseState& s,
                                              const v1::Event&,
                                              const JourneyStarts&) {
  if (!s.assessing || !s.draft_served_on || !s.assessment_decision_on ||
      *s.draft_served_on < *s.assessment_decision_on) {
    return std::nullopt;
  }
  return absl::StrCat("after the draft plan served on ", On(s.draft_served_on),
                      " in this assessment");
}

std::optional<std::string> DraftWithoutAssessment(const CaseState& s,
                                                  const v1::Event&,
                                                  const JourneyStarts&) {
  if (s.assessing || s.reassessing || s.make_plan_authorises_draft) {
    return std::nullopt;
  }
  return "with neither an assessment nor a re-assessment under way, nor a "
         "make_plan tribunal order not yet followed by a draft";
}

std::optional<std::string> FinalWithoutDraft(const CaseState& s,
                                             const v1::Event&,
                                             const JourneyStarts&) {
  if (s.draft_since_final) return std::nullopt;
  return "with no draft plan served since the last final plan";
}

std::optional<std::string> NoPlan(const CaseState& s, const v1::Event&,
                                  const JourneyStarts&) {
  if (s.plan_in_force) return std::nullopt;
  return "with no plan active";
}

// §8: a transfer notice needs a plan transferred in on or before it; a
// repeat (or corrected) notice for the same transfer is admissible. A
// transfer dated the same day always precedes the notice in rule 1's order.
std::optional<std::string> NoticeWithoutTransfer(const CaseState& s,
                                                 const v1::Event&,
                                                 const JourneyStarts&) {
  if (s.transferred_in) return std::nullopt;
  return "with no plan transferred in on or before it";
}

std::optional<std::string> OrderIdReused(const CaseState& s,
                                         const v1::Event& e,
                                         const JourneyStarts&) {
  const std::string& id = e.payload().tribunal_order_made().order_id();
  if (!s.known_order_ids.contains(id)) return std::nullopt;
  return absl::StrCat("reuses order id \"", id, "\" already used in the case");
}

std::optional<std::string> AppealIdReused(const CaseState& s,
                                          const v1::Event& e,
                                          const JourneyStarts&) {
  const std::string& id = e.payload().appeal_registered().appeal_id();
  if (!s.known_appeal_ids.contains(id)) return std::nullopt;
  return absl::StrCat("reuses appeal id \"", id, "\" already used in the case");
}

// Reading: an appeal ends once, and only after it was registered.
std::optional<std::string> AppealNotOpen(const CaseState& s,
                                         const v1::Event& e,
                                         const JourneyStarts&) {
  const std::string& id = e.payload().appeal_concluded().appeal_id();
  if (s.open_appeal_ids.contains(id)) return std::nullopt;
  return absl::StrCat("for appeal id \"", id,
                      "\" that is not registered or already concluded");
}

// Every journey rule, in the order they are checked: the cross-cutting
// ones first, then each kind's own.
constexpr JourneyRule kJourneyRules[] = {
    {{"journey.before_first_request",
      "any event other than a request, becoming responsible or plan "
      "transferred in, dated (by date) before the case's first such event"},
     Kind::KIND_NOT_SET,
     BeforeFirstJourneyEvent},
    {{"journey.after_end",
      "after a cessation, until a new start (a request, "
      "becoming responsible, a plan transferred in or a tribunal order): a "
      "decision, draft, final plan, waiver, advice request, transfer notice, "
      "or anything that needs an active plan"},
     Kind::KIND_NOT_SET,
     AfterEnd},
    {{"request.while_cycle_open",
      "a request while an assessment cycle is open"},
     Kind::kRequestReceived,
     CycleOpen},
    {{"request.while_plan_active",
      "a request while a plan is active (that is a re-assessment)"},
     Kind::kRequestReceived,
     PlanActive},
    {{"became_responsible.while_cycle_open",
      "becoming responsible while an assessment cycle is open"},
     Kind::kBecameResponsible,
     CycleOpen},
    {{"became_responsible.while_plan_active",
      "becoming responsible while a plan is active (a plan transferred in)"},
     Kind::kBecameResponsible,
     PlanActive},
    {{"assessment_decision.requires_request",
      "a decision whether to assess with no request, becoming responsible "
      "or tribunal order before it"},
     Kind::kAssessmentDecision,
     DecisionWithoutRequest},
    {{"advice_requested.reused_id", "an advice id used before in the case"},
     Kind::kAdviceRequested,
     AdviceIdReused},
    {{"advice_received.not_requested", "advice received never requested"},
     Kind::kAdviceReceived,
     AdviceNeverRequested},
    {{"advice_received.already_received", "advice received twice"},
     Kind::kAdviceReceived,
     AdviceAlreadyReceived},
    {{"decision_not_to_issue.requires_assessment",
      "a decision not to issue with no assessment under way"},
     Kind::kDecisionNotToIssue,
     NotIssueWithoutAssessment},
    {{"decision_not_to_issue.after_draft",
      "a decision not to issue after a draft plan in the same assessment"},
     Kind::kDecisionNotToIssue,
     NotIssueAfterDraft},
    {{"draft_plan.requires_assessment",
      "a draft plan with neither an assessment nor a re-assessment under way "
      "nor a make_plan tribunal order that still authorises a draft"},
     Kind::kDraftPlanServed,
     DraftWithoutAssessment},
    {{"final_plan.requires_draft",
      "a final plan with no draft served since the last final plan"},
     Kind::kFinalPlanIssued,
     FinalWithoutDraft},
    {{"review_meeting.requires_plan", "a review meeting with no plan active"},
     Kind::kReviewMeetingHeld,
     NoPlan},
    {{"review_report.requires_plan", "a review report with no plan active"},
     Kind::kReviewReportSent,
     NoPlan},
    {{"review_decision.requires_plan",
      "a review decision with no plan active"},
     Kind::kReviewDecision,
     NoPlan},
    {{"amendments_proposed.requires_plan",
      "amendments proposed with no plan active"},
     Kind::kAmendmentsProposed,
     NoPlan},
    {{"phase_transfer.requires_plan", "a phase transfer with no plan active"},
     Kind::kPhaseTransferIdentified,
     NoPlan},
    {{"reassessment.requires_plan", "a re-assessment with no plan active"},
     Kind::kReassessmentDecided,
     NoPlan},
    {{"amended_plan.requires_plan", "an amended plan with no plan active"},
     Kind::kAmendedPlanIssued,
     NoPlan},
    {{"decision_not_to_amend.requires_plan",
      "a decision not to amend with no plan active"},
     Kind::kDecisionNotToAmend,
     NoPlan},
    {{"plan_transferred_in.while_plan_active",
      "a plan transferred in while a plan is active"},
     Kind::kPlanTransferredIn,
     PlanActive},
    {{"transfer_notice.requires_transfer_in",
      "a transfer notice with no plan transferred in on or before it"},
     Kind::kTransferNoticeSent,
     NoticeWithoutTransfer},
    {{"plan_transferred_out.requires_plan",
      "a transfer out with no plan active"},
     Kind::kPlanTransferredOut,
     NoPlan},
    {{"plan_ceased.requires_plan", "a cessation with no plan active"},
     Kind::kPlanCeased,
     NoPlan},
    {{"tribunal_order.reused_id", "an order id used before in the case"},
     Kind::kTribunalOrderMade,
     OrderIdReused},
    {{"appeal_registered.reused_id", "an appeal id used before in the case"},
     Kind::kAppealRegistered,
     AppealIdReused},
    {{"appeal_concluded.requires_appeal",
      "an appeal concluded that was not registered or already concluded"},
     Kind::kAppealConcluded,
     AppealNotOpen},
};

// Rules Decide checks with the clocks of the journey (admissibility.cc).
constexpr AdmissibilityRule kClockRules[] = {
    {"exception.covid_window",
     "a covid_2020 exception naming a clock instance triggered outside "
     "2020-05-01..2020-09-25"},
};

// Rules Decide checks on the envelope of each proposed event.
constexpr AdmissibilityRule kEnvelopeRules[] = {
    {"event.not_in_future", "an event dated after today"},
    {"exception.limb_allowed",
     "an exception naming a clock that does not exist, or a limb a named "
     "clock does not allow"},
    {"void.target_not_found",
     "a void of an event not in this case (or not yet appended)"},
    {"void.of_void", "a void of a void"},
    {"void.of_case_opened", "a void of the case's opening"},
    {"void.target_already_voided",
     "a void of an event already voided or superseded"},
    {"supersede.target_not_found",
     "a supersede of an event not in this case (or not yet appended)"},
    {"supersede.of_void", "a supersede of a void"},
    {"supersede.of_case_opened", "a supersede of the case's opening"},
    {"supersede.target_already_voided",
     "a supersede of an event already voided or superseded"},
};

}  // namespace

absl::Span<const AdmissibilityRule> AdmissibilityRules() {
  static const auto* const kAll = [] {
    auto* all = new std::vector<AdmissibilityRule>(std::begin(kEnvelopeRules),
                                                   std::end(kEnvelopeRules));
    for (const JourneyRule& r : kJourneyRules) all->push_back(r.rule);
    all->insert(all->end(), std::begin(kClockRules), std::end(kClockRules));
    return all;
  }();
  return *kAll;
}

bool JourneyStarts::NewStartOn(absl::CivilDay day) const {
  return std::binary_search(new_start_days.begin(), new_start_days.end(), day);
}

void AddJourneyStart(const v1::Event& e, JourneyStarts* starts) {
  const Kind k = e.payload().kind_case();
  if (!IsNewStart(k)) return;
  const std::optional<absl::CivilDay> on = DayOf(e);
  if (!on) return;
  if (StartsJourney(k) && (!starts->first || *on < *starts->first)) {
    starts->first = on;
  }
  // Journey order is date order: the days come sorted.
  if (starts->new_start_days.empty() || starts->new_start_days.back() != *on) {
    starts->new_start_days.push_back(*on);
  }
}

JourneyStarts FindJourneyStarts(absl::Span<const v1::Event* const> journey) {
  JourneyStarts starts;
  for (const v1::Event* e : journey) AddJourneyStart(*e, &starts);
  return starts;
}

std::optional<Refusal> CheckJourneyEvent(const CaseState& before,
                                         const v1::Event& event,
                                         const JourneyStarts& starts) {
  const Kind kind = event.payload().kind_case();
  for (const JourneyRule& r : kJourneyRules) {
    if (r.kind != Kind::KIND_NOT_SET && r.kind != kind) continue;
    std::optional<std::string> why = r.check(before, event, starts);
    if (why) return Refusal{r.rule.id, *std::move(why)};
  }
  return std::nullopt;
}

absl::string_view EventNoun(const v1::EventPayload& payload) {
  switch (payload.kind_case()) {
    case Kind::kCaseOpened:
      return "case opening";
    case Kind::kRequestReceived:
      return "request";
    case Kind::kBecameResponsible:
      return "becoming responsible";
    case Kind::kAssessmentDecision:
      return "decision whether to assess";
    case Kind::kAdviceRequested:
      return "advice request";
    case Kind::kAdviceReceived:
      return "advice received";
    case Kind::kExceptionRecorded:
      return "exception";
    case Kind::kDecisionNotToIssue:
      return "decision not to issue";
    case Kind::kDraftPlanServed:
      return "draft plan";
    case Kind::kRepresentationsWaived:
      return "waiver of representations";
    case Kind::kReassessmentDecided:
      return "re-assessment";
    case Kind::kFinalPlanIssued:
      return "final plan";
    case Kind::kReviewMeetingHeld:
      return "review meeting";
    case Kind::kReviewReportSent:
      return "review report";
    case Kind::kReviewDecision:
      return "review decision";
    case Kind::kAmendmentsProposed:
      return "proposed amendments";
    case Kind::kAmendedPlanIssued:
      return "amended plan";
    case Kind::kDecisionNotToAmend:
      return "decision not to amend";
    case Kind::kPhaseTransferIdentified:
      return "phase transfer";
    case Kind::kPlanTransferredIn:
      return "plan transferred in";
    case Kind::kTransferNoticeSent:
      return "transfer notice";
    case Kind::kPlanTransferredOut:
      return "plan transferred out";
    case Kind::kMediationRequested:
      return "mediation request";
    case Kind::kMediationArranged:
      return "mediation arranged";
    case Kind::kMediationConcluded:
      return "mediation concluded";
    case Kind::kAppealRegistered:
      return "appeal";
    case Kind::kAppealConcluded:
      return "appeal concluded";
    case Kind::kTribunalOrderMade:
      return "tribunal order";
    case Kind::kTransferredToAdultServices:
      return "transfer to adult services";
    case Kind::kPlanCeased:
      return "cessation";
    case Kind::kEventVoided:
      return "void";
    case Kind::KIND_NOT_SET:
      return "event";
  }
  return "event";
}

}  // namespace ehcp::domain
