#include "services/case_requests.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"
#include "domain/dates.h"
#include "domain/validation.h"

namespace ehcp::services {
namespace {

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

}  // namespace

absl::Status ValidateOpenCase(const v1::OpenCaseRequest& request) {
  EHCP_RETURN_IF_ERROR(domain::ValidateLaCode(request.la_code(), "la_code"));
  EHCP_RETURN_IF_ERROR(domain::ValidateCaseReference(request.case_reference(),
                                                     "case_reference"));
  if (!request.birth_month().empty()) {
    EHCP_RETURN_IF_ERROR(
        domain::ParseMonth(request.birth_month(), "birth_month").status());
  }
  if (!request.opened_on().empty()) {
    EHCP_RETURN_IF_ERROR(
        domain::ParseDate(request.opened_on(), "opened_on").status());
  }
  return absl::OkStatus();
}

absl::Status ValidateAppendRequest(const v1::AppendEventsRequest& request) {
  if (request.case_id().empty()) return Invalid("case_id", "is required");
  if (request.has_expected_version() && request.expected_version() < 1) {
    return Invalid("expected_version",
                   "must be at least 1 (a case starts at version 1 when "
                   "opened)");
  }
  if (request.events().empty() || request.events_size() > kMaxEventsPerAppend) {
    return Invalid(
        "events", absl::StrCat("must hold 1-", kMaxEventsPerAppend, " events (",
                               request.events_size(), " given)"));
  }
  if (request.idempotency_key().size() > kMaxIdempotencyKeyBytes) {
    return Invalid("idempotency_key", "must be at most 128 bytes");
  }
  for (int i = 0; i < request.events_size(); ++i) {
    EHCP_RETURN_IF_ERROR(domain::ValidateProposedEvent(
        request.events(i), absl::StrCat("events[", i, "]")));
  }
  return absl::OkStatus();
}

}  // namespace ehcp::services
