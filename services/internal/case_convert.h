// The wire form of a case's state (ehcp.v1.CaseState, a GetCaseState
// response message) from the domain's fold (domain/case_state.h).
#ifndef EHCP_SERVICES_INTERNAL_CASE_CONVERT_H_
#define EHCP_SERVICES_INTERNAL_CASE_CONVERT_H_

#include "absl/time/civil_time.h"
#include "domain/case_state.h"
#include "ehcp/v1/case_service.pb.h"

namespace ehcp::services {

// The wire form of `state` for GetCaseState, as of `today` (for notices_to,
// domain::NoticesTo). Dates as "YYYY-MM-DD" (empty when unknown), open
// advice ids sorted.
v1::CaseState ToProto(const domain::CaseState& state, absl::CivilDay today);

}  // namespace ehcp::services

#endif  // EHCP_SERVICES_INTERNAL_CASE_CONVERT_H_
