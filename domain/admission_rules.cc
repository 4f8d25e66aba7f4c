#include "domain/admission_rules.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "domain/dates.h"

namespace ehcp::domain {
namespace {

using Kind = v1::EventPayload::KindCase;

// A rule's test: the circumstance that refuses the event, or nullopt.
using Check = std::optional<std::string> (*)(const CaseState&,
                                             const v1::EventPayload&);

struct JourneyRule {
  AdmissibilityRule rule;
  Kind kind;  // KIND_NOT_SET: applies to every kind
  Check check;
};

std::string On(const std::optional<absl::CivilDay>& day) {
  return day ? FormatDate(*day) : std::string("an unknown date");
}

// Events that may start a journey (nothing else may precede them).
bool StartsJourney(Kind k) {
  return k == Kind::kRequestReceived || k == Kind::kBecameResponsible ||
         k == Kind::kPlanTransferredIn;
}

// Reading (§8 is silent on what may follow an end): after a cessation or a
// transfer out, while no tribunal order is outstanding, only these may
// follow: a new journey (request, becoming responsible, plan transferred
// in), disputes (mediation, appeals, tribunal orders, which may overturn
// the end), exceptions, advice still owed (advice clocks run on, §8
// "plan_ceased"), and the transfer to adult services that often follows a
// cessation the same day. While a tribunal order is outstanding (made
// after the end, or before it and not yet carried out) this rule stands
// aside and each event's own rules judge it: the order may reinstate the
// plan (continue_and_amend) or require a new one (make_plan, assess).
bool MayFollowEnd(Kind k) {
  switch (k) {
    case Kind::kRequestReceived:
    case Kind::kBecameResponsible:
    case Kind::kPlanTransferredIn:
    case Kind::kMediationRequested:
    case Kind::kMediationArranged:
    case Kind::kMediationConcluded:
    case Kind::kAppealRegistered:
    case Kind::kAppealConcluded:
    case Kind::kTribunalOrderMade:
    case Kind::kExceptionRecorded:
    case Kind::kAdviceReceived:
    case Kind::kTransferredToAdultServices:
    case Kind::kEventVoided:
      return true;
    default:
      return false;
  }
}

std::optional<std::string> BeforeFirstJourneyEvent(const CaseState& s,
                                                   const v1::EventPayload& p) {
  if (s.first_journey_on || StartsJourney(p.kind_case())) return std::nullopt;
  return "before the case's first request, becoming responsible or plan "
         "transferred in";
}

std::optional<std::string> AfterEnd(const CaseState& s,
                                    const v1::EventPayload& p) {
  if (!s.ended() || !s.open_orders.empty() || MayFollowEnd(p.kind_case())) {
    return std::nullopt;
  }
  return absl::StrCat(
      "after the plan ",
      s.stage == v1::CASE_STAGE_CEASED ? "ceased" : "was transferred out",
      " on ", On(s.ended_on),
      " (only a new request, a plan transferred in, disputes, "
      "exceptions and advice still owed may follow)");
}

std::optional<std::string> CycleOpen(const CaseState& s,
                                     const v1::EventPayload&) {
  if (!s.cycle_open()) return std::nullopt;
  return absl::StrCat("while the assessment cycle opened on ",
                      On(s.latest_request_on), " is still open");
}

std::optional<std::string> PlanActive(const CaseState& s,
                                      const v1::EventPayload&) {
  if (!s.plan_in_force) return std::nullopt;
  return "while a plan is in force (that is a re-assessment)";
}

// Reading: a decision whether to assess answers a request awaiting it; it
// may also carry out a tribunal `assess` order, or reconsider a refusal to
// assess (after mediation or an appeal) while no new cycle has started.
std::optional<std::string> DecisionWithoutRequest(const CaseState& s,
                                                  const v1::EventPayload&) {
  if (s.awaiting_decision || s.HasOpenOrder(v1::TRIBUNAL_ORDER_KIND_ASSESS) ||
      s.stage == v1::CASE_STAGE_NOT_ASSESSED) {
    return std::nullopt;
  }
  return "with no request awaiting a decision";
}

// Reading: advice is gathered for an assessment: while a cycle is open
// (also before the decision, reg 5 lets the LA consult), during a
// re-assessment, or for a tribunal `assess` or `make_plan` order.
std::optional<std::string> AdviceWithoutRequest(const CaseState& s,
                                                const v1::EventPayload&) {
  if (s.cycle_open() || s.reassessing ||
      s.HasOpenOrder(v1::TRIBUNAL_ORDER_KIND_ASSESS) ||
      s.HasOpenOrder(v1::TRIBUNAL_ORDER_KIND_MAKE_PLAN)) {
    return std::nullopt;
  }
  return "with no request or re-assessment open";
}

std::optional<std::string> AdviceIdReused(const CaseState& s,
                                          const v1::EventPayload& p) {
  const std::string& id = p.advice_requested().advice_id();
  if (!s.known_advice_ids.contains(id)) return std::nullopt;
  return absl::StrCat("reuses advice id \"", id, "\" already used in the case");
}

std::optional<std::string> AdviceNeverRequested(const CaseState& s,
                                                const v1::EventPayload& p) {
  const std::string& id = p.advice_received().advice_id();
  if (s.known_advice_ids.contains(id)) return std::nullopt;
  return absl::StrCat("for advice id \"", id, "\" that was never requested");
}

std::optional<std::string> AdviceAlreadyReceived(const CaseState& s,
                                                 const v1::EventPayload& p) {
  const std::string& id = p.advice_received().advice_id();
  if (!s.known_advice_ids.contains(id) || s.open_advice_ids.contains(id)) {
    return std::nullopt;
  }
  return absl::StrCat("for advice id \"", id, "\" already received");
}

// Reading: only an initial assessment ends in a decision not to issue; a
// re-assessment that changes nothing ends in a decision not to amend.
std::optional<std::string> NotIssueWithoutAssessment(const CaseState& s,
                                                     const v1::EventPayload&) {
  if (s.assessing) return std::nullopt;
  return "with no assessment under way";
}

std::optional<std::string> NotIssueAfterDraft(const CaseState& s,
                                              const v1::EventPayload&) {
  if (!s.assessing || !s.draft_served_on || !s.assessment_decision_on ||
      *s.draft_served_on < *s.assessment_decision_on) {
    return std::nullopt;
  }
  return absl::StrCat("after the draft plan served on ", On(s.draft_served_on),
                      " in this assessment");
}

std::optional<std::string> DraftWithoutAssessment(const CaseState& s,
                                                  const v1::EventPayload&) {
  if (s.assessing || s.reassessing ||
      s.HasOpenOrder(v1::TRIBUNAL_ORDER_KIND_MAKE_PLAN)) {
    return std::nullopt;
  }
  return "with neither an assessment nor a re-assessment under way, nor a "
         "tribunal order to make a plan";
}

std::optional<std::string> FinalWithoutDraft(const CaseState& s,
                                             const v1::EventPayload&) {
  if (s.draft_since_final) return std::nullopt;
  return "with no draft plan served since the last final plan";
}

std::optional<std::string> NoPlan(const CaseState& s, const v1::EventPayload&) {
  if (s.plan_in_force) return std::nullopt;
  return "with no plan in force";
}

// Reading: an amended plan answers proposed amendments; it may also carry
// out a tribunal order to amend (amend, change_school, continue_and_amend,
// which need no proposal first) or end a re-assessment (reg 27: "amend"
// is one of its outcomes).
std::optional<std::string> AmendedWithoutProposal(const CaseState& s,
                                                  const v1::EventPayload&) {
  if (s.amendments_open || s.reassessing ||
      s.HasOpenOrder(v1::TRIBUNAL_ORDER_KIND_AMEND) ||
      s.HasOpenOrder(v1::TRIBUNAL_ORDER_KIND_CHANGE_SCHOOL) ||
      s.HasOpenOrder(v1::TRIBUNAL_ORDER_KIND_CONTINUE_AND_AMEND)) {
    return std::nullopt;
  }
  return "with no proposed amendments, re-assessment or tribunal order to "
         "amend open";
}

// Reading: a decision not to amend answers proposed amendments or ends a
// re-assessment; with neither open there is nothing to decide.
std::optional<std::string> NotAmendWithoutProposal(const CaseState& s,
                                                   const v1::EventPayload&) {
  if (s.amendments_open || s.reassessing) return std::nullopt;
  return "with no proposed amendments or re-assessment open";
}

// Reading: one notice per transfer in (reg 15(4)); a second notice for the
// same transfer, or one with no transfer, is refused.
std::optional<std::string> NoticeWithoutTransfer(const CaseState& s,
                                                 const v1::EventPayload&) {
  if (s.awaiting_transfer_notice) return std::nullopt;
  return "with no plan transferred in awaiting its notice";
}

std::optional<std::string> OrderIdReused(const CaseState& s,
                                         const v1::EventPayload& p) {
  const std::string& id = p.tribunal_order_made().order_id();
  if (!s.known_order_ids.contains(id)) return std::nullopt;
  return absl::StrCat("reuses order id \"", id, "\" already used in the case");
}

std::optional<std::string> AppealIdReused(const CaseState& s,
                                          const v1::EventPayload& p) {
  const std::string& id = p.appeal_registered().appeal_id();
  if (!s.known_appeal_ids.contains(id)) return std::nullopt;
  return absl::StrCat("reuses appeal id \"", id, "\" already used in the case");
}

// Reading: an appeal ends once, and only after it was registered.
std::optional<std::string> AppealNotOpen(const CaseState& s,
                                         const v1::EventPayload& p) {
  const std::string& id = p.appeal_concluded().appeal_id();
  if (s.open_appeal_ids.contains(id)) return std::nullopt;
  return absl::StrCat("for appeal id \"", id,
                      "\" that is not registered or already concluded");
}

// Every journey rule, in the order they are checked: the cross-cutting
// ones first, then each kind's own.
constexpr JourneyRule kJourneyRules[] = {
    {{"journey.before_first_request",
      "any event other than a request, becoming responsible or plan "
      "transferred in, dated before the case's first such event"},
     Kind::KIND_NOT_SET,
     BeforeFirstJourneyEvent},
    {{"journey.after_end",
      "after a cessation or transfer out, anything but a new request, a plan "
      "transferred in, disputes, exceptions, advice still owed and the move "
      "to adult services (unless a tribunal order is outstanding)"},
     Kind::KIND_NOT_SET,
     AfterEnd},
    {{"request.while_cycle_open",
      "a request while an assessment cycle is open"},
     Kind::kRequestReceived,
     CycleOpen},
    {{"request.while_plan_active",
      "a request while a plan is in force (a re-assessment)"},
     Kind::kRequestReceived,
     PlanActive},
    {{"became_responsible.while_cycle_open",
      "becoming responsible while an assessment cycle is open"},
     Kind::kBecameResponsible,
     CycleOpen},
    {{"became_responsible.while_plan_active",
      "becoming responsible while a plan is in force (a plan transferred in)"},
     Kind::kBecameResponsible,
     PlanActive},
    {{"assessment_decision.requires_request",
      "a decision whether to assess with no request awaiting one, no "
      "tribunal assess order and no refusal to reconsider"},
     Kind::kAssessmentDecision,
     DecisionWithoutRequest},
    {{"advice_requested.requires_request",
      "an advice request with no request, re-assessment or tribunal order "
      "to assess or make a plan open"},
     Kind::kAdviceRequested,
     AdviceWithoutRequest},
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
      "nor a make_plan tribunal order"},
     Kind::kDraftPlanServed,
     DraftWithoutAssessment},
    {{"final_plan.requires_draft",
      "a final plan with no draft served since the last final plan"},
     Kind::kFinalPlanIssued,
     FinalWithoutDraft},
    {{"review_meeting.requires_plan", "a review meeting with no plan"},
     Kind::kReviewMeetingHeld,
     NoPlan},
    {{"review_report.requires_plan", "a review report with no plan"},
     Kind::kReviewReportSent,
     NoPlan},
    {{"review_decision.requires_plan", "a review decision with no plan"},
     Kind::kReviewDecision,
     NoPlan},
    {{"amendments_proposed.requires_plan", "amendments proposed with no plan"},
     Kind::kAmendmentsProposed,
     NoPlan},
    {{"phase_transfer.requires_plan", "a phase transfer with no plan"},
     Kind::kPhaseTransferIdentified,
     NoPlan},
    {{"reassessment.requires_plan", "a re-assessment with no plan"},
     Kind::kReassessmentDecided,
     NoPlan},
    {{"amended_plan.requires_plan", "an amended plan with no plan"},
     Kind::kAmendedPlanIssued,
     NoPlan},
    {{"amended_plan.requires_proposal",
      "an amended plan with no proposed amendments, re-assessment or "
      "tribunal order to amend open"},
     Kind::kAmendedPlanIssued,
     AmendedWithoutProposal},
    {{"decision_not_to_amend.requires_plan",
      "a decision not to amend with no plan"},
     Kind::kDecisionNotToAmend,
     NoPlan},
    {{"decision_not_to_amend.requires_proposal",
      "a decision not to amend with no proposed amendments or re-assessment "
      "open"},
     Kind::kDecisionNotToAmend,
     NotAmendWithoutProposal},
    {{"plan_transferred_in.while_plan_active",
      "a plan transferred in while a plan is in force"},
     Kind::kPlanTransferredIn,
     PlanActive},
    {{"transfer_notice.requires_transfer_in",
      "a transfer notice with no plan transferred in awaiting it"},
     Kind::kTransferNoticeSent,
     NoticeWithoutTransfer},
    {{"plan_transferred_out.requires_plan", "a transfer out with no plan"},
     Kind::kPlanTransferredOut,
     NoPlan},
    {{"plan_ceased.requires_plan", "a cessation with no plan"},
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

// Rules Decide checks on the envelope of each proposed event.
constexpr AdmissibilityRule kEnvelopeRules[] = {
    {"event.not_in_future", "an event dated after today"},
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
    return all;
  }();
  return *kAll;
}

std::optional<Refusal> CheckJourneyEvent(const CaseState& before,
                                         const v1::Event& event) {
  const v1::EventPayload& p = event.payload();
  for (const JourneyRule& r : kJourneyRules) {
    if (r.kind != Kind::KIND_NOT_SET && r.kind != p.kind_case()) continue;
    std::optional<std::string> why = r.check(before, p);
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
