// Validation of caller input: is each field well formed?
//
// These checks look at one message or field at a time and know nothing of
// the case's history: they answer "is this well formed?", never "is this
// possible for this case?" (that is admissibility.h). The requests that
// carry them (OpenCase, AppendEvents) are checked whole by the service
// (services/case_requests.h), with these. Every failure is
// INVALID_ARGUMENT whose message starts with the path of the offending field,
// so that a caller can point at it:
//
//   absl::Status s = ValidateProposedEvent(event, "events[2]");
//   // INVALID_ARGUMENT "events[2].payload.advice_requested.advice_id: must
//   // be 1-32 characters of [A-Za-z0-9_-]"
//
// Text is never echoed back in a message when it may hold personal data
// (reasons, details, placements); codes and ids are echoed, truncated.
//
// What is checked (docs/law.md and the proto comments):
//   - LA codes are ONS codes: E0[6-9] or E10 followed by six digits.
//   - Dates are real "YYYY-MM-DD" days, birth months "YYYY-MM" (dates.h).
//   - Every enum is a known value other than UNSPECIFIED. proto3 enums are
//     open, so an unknown number (99) can arrive on the wire; it is refused.
//     The one exception is EducationPhase, whose UNSPECIFIED means "not
//     recorded" (its proto comment), so only unknown numbers are refused.
//   - Caller-chosen ids (advice_id, order_id, appeal_id): 1-32 characters
//     of [A-Za-z0-9_-]. Event ids: 32 lowercase hex digits.
//   - Free text is valid UTF-8 within its size limit in bytes (reason and
//     detail 2,000; placement 200).
//   - An exception names its limb and 1-64 clocks, each "<clock_id>" or
//     "<clock_id>:<instance>" with a clock id of the catalogue (§3). Whether
//     the limb is allowed for the clock is a rule of the clock catalogue, not
//     of this file.
//
// Thread safety: pure functions, safe to call concurrently.
#ifndef EHCP_DOMAIN_VALIDATION_H_
#define EHCP_DOMAIN_VALIDATION_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "ehcp/v1/events.pb.h"

namespace ehcp::domain {

namespace v1 = ::ehcp::v1;

// Size limits, in bytes unless said otherwise.
inline constexpr int kMaxCaseReferenceChars = 64;
inline constexpr int kMaxCallerIdChars = 32;
inline constexpr int kMaxEnvelopeIdBytes = 128;  // correlation, causation
inline constexpr int kMaxReasonBytes = 2000;     // reasons and details
inline constexpr int kMaxPlacementBytes = 200;
inline constexpr int kMaxExceptionClocks = 64;
inline constexpr int kMinTransferYear = 2014;
inline constexpr int kMaxTransferYear = 2100;

// True when `code` is an ONS local authority code: "E0" then 6-9 then six
// digits, or "E10" then six digits ("E06000035", "E10000016").
bool IsOnsLaCode(absl::string_view code);

// True when `id` is 1-32 characters of [A-Za-z0-9_-] (advice, order and
// appeal ids, and exception clock instances).
bool IsCallerId(absl::string_view id);

// True when `id` is 32 lowercase hex digits (a server-assigned event id).
bool IsEventId(absl::string_view id);

// True when `clock_id` is one of the clock ids of the catalogue (§3):
// decision_to_assess, advice, decision_not_to_issue, final_plan_20w,
// draft_representations, annual_review, review_report, review_decision,
// amendment, phase_transfer, transfer_in_notice, transfer_in_review,
// reassessment, tribunal_order, age_25_cessation.
bool IsCatalogueClockId(absl::string_view clock_id);

// True when `name` is how an exception names clocks: "<clock_id>" (every
// instance) or "<clock_id>:<instance>", the instance being a caller id
// (IsCallerId); for tribunal_order also "<order_id>:draft" and
// "<order_id>:final" (the two clocks of a make_plan order).
bool IsExceptionClockName(absl::string_view name);

// Checks an LA code field: OK, or INVALID_ARGUMENT "<field>: ..." when it
// is empty or not an ONS LA code (IsOnsLaCode).
absl::Status ValidateLaCode(absl::string_view code, absl::string_view field);

// Checks a case reference: 1-64 printable ASCII characters (0x20-0x7E). OK,
// or INVALID_ARGUMENT "<field>: ...".
absl::Status ValidateCaseReference(absl::string_view reference,
                                   absl::string_view field);

// Checks one proposed event; `path` prefixes every field path in the error
// ("events[2]" gives "events[2].occurred_on: ..."; empty gives
// "occurred_on: ..."). OK, or INVALID_ARGUMENT naming the first bad field.
// A CaseOpened payload is refused: cases are opened with OpenCase.
absl::Status ValidateProposedEvent(const v1::ProposedEvent& event,
                                   absl::string_view path);

}  // namespace ehcp::domain

#endif  // EHCP_DOMAIN_VALIDATION_H_
