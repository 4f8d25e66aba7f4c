// Conversions between the domain's clock rows and reports and the ehcp.v1
// clock messages, and parsing of the clock queries' common fields.
#ifndef EHCP_SERVICES_INTERNAL_CLOCK_CONVERT_H_
#define EHCP_SERVICES_INTERNAL_CLOCK_CONVERT_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "domain/clock_reports.h"
#include "domain/clocks.h"
#include "ehcp/v1/clock_service.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace ehcp::services {

v1::ClockStatus ToProto(domain::ClockStatus status);
absl::StatusOr<domain::ClockStatus> FromProto(v1::ClockStatus status,
                                              const std::string& field);

// The message for one row of case `case_id` in LA `la_code`, whose council
// reference is `case_reference`.
v1::Clock ToProto(const domain::ClockRow& row, const std::string& case_id,
                  const std::string& la_code,
                  const std::string& case_reference);

v1::Proportion ToProto(const domain::Proportion& proportion);

// An as_of field: empty means `today`; otherwise a date (INVALID_ARGUMENT
// naming `field`).
absl::StatusOr<absl::CivilDay> ParseAsOf(const std::string& text,
                                         absl::CivilDay today,
                                         const std::string& field = "as_of");

// An as_known_at field (nanos in 0..999,999,999; INVALID_ARGUMENT naming
// the field otherwise).
absl::StatusOr<absl::Time> ParseAsKnownAt(const google::protobuf::Timestamp& ts,
                                          const std::string& field =
                                              "as_known_at");

// An optional date field: empty means nullopt.
absl::StatusOr<std::optional<absl::CivilDay>> ParseOptionalDate(
    const std::string& text, const std::string& field);

// An optional LA code: empty means all LAs; otherwise an ONS code
// (INVALID_ARGUMENT naming la_code).
absl::StatusOr<std::optional<std::string>> ParseLaFilter(
    const std::string& la_code);

}  // namespace ehcp::services

#endif  // EHCP_SERVICES_INTERNAL_CLOCK_CONVERT_H_
