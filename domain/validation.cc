#include "domain/validation.h"

#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/utf8.h"
#include "domain/dates.h"

namespace ehcp::domain {
namespace {

using Kind = v1::EventPayload::KindCase;

// The clock ids of the catalogue (docs/law.md §3). The clock rules
// (rules.h) own the catalogue itself; this list only checks spelling.
// clang-format off
constexpr absl::string_view kClockIds[] = {
    "decision_to_assess", "advice", "decision_not_to_issue", "final_plan_20w",
    "draft_representations", "annual_review", "review_report",
    "review_decision", "amendment", "phase_transfer", "transfer_in_notice",
    "transfer_in_review", "reassessment", "tribunal_order",
    "age_25_cessation"};
// clang-format on

std::string Join(absl::string_view path, absl::string_view name) {
  if (path.empty()) return std::string(name);
  return absl::StrCat(path, ".", name);
}

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

// Echoes a short code or id back, cut to keep messages small.
std::string Quoted(absl::string_view text) {
  if (text.size() > 40) return absl::StrCat("\"", text.substr(0, 40), "…\"");
  return absl::StrCat("\"", text, "\"");
}

bool AllDigits(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// An enum that must be known and not UNSPECIFIED (0).
absl::Status CheckEnum(int value, bool (*is_valid)(int),
                       absl::string_view field) {
  if (value == 0) return Invalid(field, "is required (UNSPECIFIED given)");
  if (!is_valid(value)) {
    return Invalid(field, absl::StrCat("unknown value ", value));
  }
  return absl::OkStatus();
}

// An enum whose UNSPECIFIED means "not recorded": only unknown numbers fail.
absl::Status CheckOptionalEnum(int value, bool (*is_valid)(int),
                               absl::string_view field) {
  if (!is_valid(value)) {
    return Invalid(field, absl::StrCat("unknown value ", value));
  }
  return absl::OkStatus();
}

absl::Status CheckText(absl::string_view text, size_t max_bytes,
                       absl::string_view field) {
  if (text.size() > max_bytes) {
    return Invalid(field, absl::StrCat("must be at most ", max_bytes,
                                       " bytes (", text.size(), " given)"));
  }
  if (!IsValidUtf8(std::string_view(text.data(), text.size()))) {
    return Invalid(field, "must be valid UTF-8");
  }
  return absl::OkStatus();
}

absl::Status CheckCallerId(absl::string_view id, absl::string_view field) {
  if (!IsCallerId(id)) {
    return Invalid(field, "must be 1-32 characters of [A-Za-z0-9_-]");
  }
  return absl::OkStatus();
}

absl::Status CheckEventIdField(absl::string_view id, absl::string_view field) {
  if (!IsEventId(id)) {
    return Invalid(field, "must be an event id (32 lowercase hex digits)");
  }
  return absl::OkStatus();
}

absl::Status CheckException(const v1::ExceptionRecorded& e,
                            absl::string_view path) {
  EHCP_RETURN_IF_ERROR(
      CheckEnum(e.limb(), v1::ExceptionLimb_IsValid, Join(path, "limb")));
  if (e.clocks().empty()) {
    return Invalid(Join(path, "clocks"), "must name at least one clock");
  }
  if (e.clocks_size() > kMaxExceptionClocks) {
    return Invalid(
        Join(path, "clocks"),
        absl::StrCat("must name at most ", kMaxExceptionClocks, " clocks"));
  }
  for (int i = 0; i < e.clocks_size(); ++i) {
    if (!IsExceptionClockName(e.clocks(i))) {
      return Invalid(
          absl::StrCat(path, ".clocks[", i, "]"),
          absl::StrCat(Quoted(e.clocks(i)),
                       " is not \"<clock_id>\" or \"<clock_id>:<instance>\" "
                       "with a clock id of the catalogue"));
    }
  }
  return CheckText(e.reason(), kMaxReasonBytes, Join(path, "reason"));
}

absl::Status CheckPlanCeased(const v1::PlanCeased& c, absl::string_view path) {
  EHCP_RETURN_IF_ERROR(
      CheckEnum(c.reason(), v1::CessationReason_IsValid, Join(path, "reason")));
  if (c.reason() == v1::CESSATION_REASON_OTHER && c.detail().empty()) {
    return Invalid(Join(path, "detail"), "is required when reason is OTHER");
  }
  return CheckText(c.detail(), kMaxReasonBytes, Join(path, "detail"));
}

absl::Status CheckPlacement(absl::string_view placement,
                            v1::EducationPhase phase, absl::string_view path) {
  EHCP_RETURN_IF_ERROR(
      CheckText(placement, kMaxPlacementBytes, Join(path, "placement")));
  return CheckOptionalEnum(phase, v1::EducationPhase_IsValid,
                           Join(path, "phase"));
}

// Checks the payload's one fact; `path` is "<event>.payload".
absl::Status CheckPayload(const v1::EventPayload& p, absl::string_view path) {
  switch (p.kind_case()) {
    case Kind::KIND_NOT_SET:
      return Invalid(path, "is required (exactly one kind of fact)");
    case Kind::kCaseOpened:
      return Invalid(Join(path, "case_opened"),
                     "cases are opened with OpenCase");
    case Kind::kRequestReceived:
      return CheckEnum(p.request_received().source(), v1::RequestSource_IsValid,
                       Join(path, "request_received.source"));
    case Kind::kBecameResponsible: {
      const std::string& la = p.became_responsible().previous_la_code();
      if (la.empty()) return absl::OkStatus();
      return ValidateLaCode(la,
                            Join(path, "became_responsible.previous_la_code"));
    }
    case Kind::kAssessmentDecision:
      return CheckEnum(p.assessment_decision().outcome(),
                       v1::AssessmentDecisionOutcome_IsValid,
                       Join(path, "assessment_decision.outcome"));
    case Kind::kAdviceRequested:
      EHCP_RETURN_IF_ERROR(
          CheckCallerId(p.advice_requested().advice_id(),
                        Join(path, "advice_requested.advice_id")));
      return CheckEnum(p.advice_requested().body(), v1::AdviceBody_IsValid,
                       Join(path, "advice_requested.body"));
    case Kind::kAdviceReceived:
      return CheckCallerId(p.advice_received().advice_id(),
                           Join(path, "advice_received.advice_id"));
    case Kind::kExceptionRecorded:
      return CheckException(p.exception_recorded(),
                            Join(path, "exception_recorded"));
    case Kind::kFinalPlanIssued:
      return CheckPlacement(p.final_plan_issued().placement(),
                            p.final_plan_issued().phase(),
                            Join(path, "final_plan_issued"));
    case Kind::kReviewDecision:
      return CheckEnum(p.review_decision().outcome(), v1::ReviewOutcome_IsValid,
                       Join(path, "review_decision.outcome"));
    case Kind::kAmendedPlanIssued:
      return CheckPlacement(p.amended_plan_issued().placement(),
                            p.amended_plan_issued().phase(),
                            Join(path, "amended_plan_issued"));
    case Kind::kPhaseTransferIdentified: {
      const v1::PhaseTransferIdentified& t = p.phase_transfer_identified();
      EHCP_RETURN_IF_ERROR(
          CheckEnum(t.kind(), v1::PhaseTransferKind_IsValid,
                    Join(path, "phase_transfer_identified.kind")));
      if (t.transfer_year() < kMinTransferYear ||
          t.transfer_year() > kMaxTransferYear) {
        return Invalid(
            Join(path, "phase_transfer_identified.transfer_year"),
            absl::StrCat("must be ", kMinTransferYear, "-", kMaxTransferYear,
                         " (", t.transfer_year(), " given)"));
      }
      return absl::OkStatus();
    }
    case Kind::kPlanTransferredIn: {
      const v1::PlanTransferredIn& t = p.plan_transferred_in();
      EHCP_RETURN_IF_ERROR(ValidateLaCode(
          t.from_la_code(), Join(path, "plan_transferred_in.from_la_code")));
      if (t.last_reviewed_on().empty()) return absl::OkStatus();
      return ParseDate(t.last_reviewed_on(),
                       Join(path, "plan_transferred_in.last_reviewed_on"))
          .status();
    }
    case Kind::kPlanTransferredOut:
      return ValidateLaCode(p.plan_transferred_out().to_la_code(),
                            Join(path, "plan_transferred_out.to_la_code"));
    case Kind::kMediationRequested:
      return CheckEnum(p.mediation_requested().subject(),
                       v1::DisputeSubject_IsValid,
                       Join(path, "mediation_requested.subject"));
    case Kind::kMediationConcluded:
      return CheckEnum(p.mediation_concluded().outcome(),
                       v1::DisputeOutcome_IsValid,
                       Join(path, "mediation_concluded.outcome"));
    case Kind::kAppealRegistered:
      EHCP_RETURN_IF_ERROR(
          CheckCallerId(p.appeal_registered().appeal_id(),
                        Join(path, "appeal_registered.appeal_id")));
      return CheckEnum(p.appeal_registered().subject(),
                       v1::DisputeSubject_IsValid,
                       Join(path, "appeal_registered.subject"));
    case Kind::kAppealConcluded:
      EHCP_RETURN_IF_ERROR(
          CheckCallerId(p.appeal_concluded().appeal_id(),
                        Join(path, "appeal_concluded.appeal_id")));
      return CheckEnum(p.appeal_concluded().outcome(),
                       v1::DisputeOutcome_IsValid,
                       Join(path, "appeal_concluded.outcome"));
    case Kind::kTribunalOrderMade: {
      const v1::TribunalOrderMade& o = p.tribunal_order_made();
      EHCP_RETURN_IF_ERROR(CheckCallerId(
          o.order_id(), Join(path, "tribunal_order_made.order_id")));
      EHCP_RETURN_IF_ERROR(CheckEnum(o.kind(), v1::TribunalOrderKind_IsValid,
                                     Join(path, "tribunal_order_made.kind")));
      if (o.appeal_id().empty()) return absl::OkStatus();
      return CheckCallerId(o.appeal_id(),
                           Join(path, "tribunal_order_made.appeal_id"));
    }
    case Kind::kPlanCeased:
      return CheckPlanCeased(p.plan_ceased(), Join(path, "plan_ceased"));
    case Kind::kEventVoided:
      EHCP_RETURN_IF_ERROR(
          CheckEventIdField(p.event_voided().target_event_id(),
                            Join(path, "event_voided.target_event_id")));
      return CheckText(p.event_voided().reason(), kMaxReasonBytes,
                       Join(path, "event_voided.reason"));
    // Facts that carry nothing to check.
    case Kind::kDecisionNotToIssue:
    case Kind::kDraftPlanServed:
    case Kind::kRepresentationsWaived:
    case Kind::kReassessmentDecided:
    case Kind::kReviewMeetingHeld:
    case Kind::kReviewReportSent:
    case Kind::kAmendmentsProposed:
    case Kind::kDecisionNotToAmend:
    case Kind::kTransferNoticeSent:
    case Kind::kMediationArranged:
    case Kind::kTransferredToAdultServices:
      return absl::OkStatus();
  }
  return Invalid(path, "is of an unknown kind");
}

}  // namespace

bool IsOnsLaCode(absl::string_view code) {
  if (code.size() != 9 || code[0] != 'E' || !AllDigits(code.substr(1))) {
    return false;
  }
  // E06-E09, or E10.
  return (code[1] == '0' && code[2] >= '6' && code[2] <= '9') ||
         (code[1] == '1' && code[2] == '0');
}

bool IsCallerId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxCallerIdChars) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' &&
        c != '-') {
      return false;
    }
  }
  return true;
}

bool IsEventId(absl::string_view id) {
  if (id.size() != 32) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsCatalogueClockId(absl::string_view clock_id) {
  for (absl::string_view id : kClockIds) {
    if (id == clock_id) return true;
  }
  return false;
}

bool IsExceptionClockName(absl::string_view name) {
  const size_t colon = name.find(':');
  if (colon == absl::string_view::npos) return IsCatalogueClockId(name);
  const absl::string_view clock = name.substr(0, colon);
  absl::string_view instance = name.substr(colon + 1);
  if (!IsCatalogueClockId(clock)) return false;
  if (clock == "tribunal_order") {
    const size_t part = instance.find(':');
    if (part != absl::string_view::npos) {
      const absl::string_view suffix = instance.substr(part + 1);
      if (suffix != "draft" && suffix != "final") return false;
      instance = instance.substr(0, part);
    }
  }
  return IsCallerId(instance);
}

absl::Status ValidateLaCode(absl::string_view code, absl::string_view field) {
  if (code.empty()) return Invalid(field, "is required (an ONS LA code)");
  if (!IsOnsLaCode(code)) {
    return Invalid(field,
                   absl::StrCat(Quoted(code),
                                " is not an ONS LA code (E06, E07, E08, E09 "
                                "or E10 then six digits)"));
  }
  return absl::OkStatus();
}

absl::Status ValidateCaseReference(absl::string_view reference,
                                   absl::string_view field) {
  constexpr absl::string_view kRule = "must be 1-64 printable ASCII characters";
  if (reference.empty() || reference.size() > kMaxCaseReferenceChars) {
    return Invalid(field, kRule);
  }
  for (char c : reference) {
    if (c < 0x20 || c > 0x7E) return Invalid(field, kRule);
  }
  return absl::OkStatus();
}

absl::Status ValidateProposedEvent(const v1::ProposedEvent& event,
                                   absl::string_view path) {
  EHCP_RETURN_IF_ERROR(
      ParseDate(event.occurred_on(), Join(path, "occurred_on")).status());
  if (event.correlation_id().size() > kMaxEnvelopeIdBytes) {
    return Invalid(Join(path, "correlation_id"), "must be at most 128 bytes");
  }
  if (event.causation_id().size() > kMaxEnvelopeIdBytes) {
    return Invalid(Join(path, "causation_id"), "must be at most 128 bytes");
  }
  if (!event.supersedes_event_id().empty()) {
    EHCP_RETURN_IF_ERROR(CheckEventIdField(event.supersedes_event_id(),
                                           Join(path, "supersedes_event_id")));
    if (event.payload().has_event_voided()) {
      // A supersede is a void plus a new fact; a void is not a fact.
      return Invalid(Join(path, "supersedes_event_id"),
                     "a void cannot supersede an event; void it instead");
    }
  }
  if (!event.has_payload()) {
    return Invalid(Join(path, "payload"),
                   "is required (exactly one kind of fact)");
  }
  EHCP_RETURN_IF_ERROR(CheckPayload(event.payload(), Join(path, "payload")));
  // §8: the old LA's last review (or the making of the plan) cannot come
  // after the transfer. Both dates parse by now; they compare as strings.
  const std::string& last_reviewed =
      event.payload().plan_transferred_in().last_reviewed_on();
  if (event.payload().has_plan_transferred_in() && !last_reviewed.empty() &&
      last_reviewed > event.occurred_on()) {
    return Invalid(
        Join(path, "payload.plan_transferred_in.last_reviewed_on"),
        absl::StrCat("is ", last_reviewed, ", after the transfer on ",
                     event.occurred_on(),
                     " (it is when the old LA made or last reviewed the "
                     "plan)"));
  }
  return absl::OkStatus();
}

}  // namespace ehcp::domain
