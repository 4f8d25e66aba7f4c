// Checks of the CaseService requests that carry new facts: is each request
// well formed, whole? The checks of one field or one event are the
// domain's (domain/validation.h); this file checks the request around them.
// Every failure is INVALID_ARGUMENT whose message starts with the path of
// the offending field ("events[2].occurred_on: ...").
//
// Public: ehcpd checks its requests with it, and the demo data's test
// (tests/tools/demo_data_test.cc) checks `ehcpctl load`'s requests as
// ehcpd would.
//
// Thread safety: pure functions, safe to call concurrently.
#ifndef EHCP_SERVICES_CASE_REQUESTS_H_
#define EHCP_SERVICES_CASE_REQUESTS_H_

#include "absl/status/status.h"
#include "ehcp/v1/case_service.pb.h"

namespace ehcp::services {

inline constexpr int kMaxEventsPerAppend = 1000;
inline constexpr int kMaxIdempotencyKeyBytes = 128;

// Checks an OpenCase request: la_code an ONS code; case_reference 1-64
// printable ASCII characters (0x20-0x7E); birth_month "YYYY-MM" or empty;
// opened_on "YYYY-MM-DD" or empty. OK, or INVALID_ARGUMENT naming the field.
// Whether opened_on is in the future is not checked here (no clock).
absl::Status ValidateOpenCase(const v1::OpenCaseRequest& request);

// Checks an AppendEvents request whole: case_id present; expected_version,
// when set, at least 1; 1-1,000 events; idempotency_key at most 128 bytes;
// then every event with path "events[i]" (domain::ValidateProposedEvent).
// OK, or INVALID_ARGUMENT naming the first bad field.
absl::Status ValidateAppendRequest(const v1::AppendEventsRequest& request);

}  // namespace ehcp::services

#endif  // EHCP_SERVICES_CASE_REQUESTS_H_
