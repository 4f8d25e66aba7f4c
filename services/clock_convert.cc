#include "services/internal/clock_convert.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "domain/dates.h"
#include "domain/validation.h"

namespace ehcp::services {

v1::ClockStatus ToProto(domain::ClockStatus status) {
  using S = domain::ClockStatus;
  switch (status) {
    case S::kPending: return v1::CLOCK_STATUS_PENDING;
    case S::kMet: return v1::CLOCK_STATUS_MET;
    case S::kBreached: return v1::CLOCK_STATUS_BREACHED;
    case S::kOverdue: return v1::CLOCK_STATUS_OVERDUE;
    case S::kExcused: return v1::CLOCK_STATUS_EXCUSED;
    case S::kNotApplicable: return v1::CLOCK_STATUS_NOT_APPLICABLE;
  }
  return v1::CLOCK_STATUS_UNSPECIFIED;
}

absl::StatusOr<domain::ClockStatus> FromProto(v1::ClockStatus status,
                                              const std::string& field) {
  using S = domain::ClockStatus;
  switch (status) {
    case v1::CLOCK_STATUS_PENDING: return S::kPending;
    case v1::CLOCK_STATUS_MET: return S::kMet;
    case v1::CLOCK_STATUS_BREACHED: return S::kBreached;
    case v1::CLOCK_STATUS_OVERDUE: return S::kOverdue;
    case v1::CLOCK_STATUS_EXCUSED: return S::kExcused;
    case v1::CLOCK_STATUS_NOT_APPLICABLE: return S::kNotApplicable;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": unknown clock status ", status));
  }
}

v1::Clock ToProto(const domain::ClockRow& row, const std::string& case_id,
                  const std::string& la_code,
                  const std::string& case_reference) {
  v1::Clock clock;
  clock.set_case_id(case_id);
  clock.set_la_code(la_code);
  clock.set_case_reference(case_reference);
  clock.set_clock_id(row.clock_id);
  clock.set_instance(row.instance);
  clock.set_trigger_event_id(row.trigger_event_id);
  clock.set_trigger_on(domain::FormatDate(row.trigger));
  if (row.due) clock.set_due_on(domain::FormatDate(*row.due));
  clock.set_stop_event_id(row.stop_event_id);
  if (row.stop) clock.set_stop_on(domain::FormatDate(*row.stop));
  clock.set_status(ToProto(row.status));
  clock.set_days_late(row.days_late);
  clock.set_days_remaining(row.days_remaining);
  clock.set_excused_by_event_id(row.excused_by_event_id);
  clock.set_excused_by_limb(row.excused_by_limb);
  clock.set_has_exception(row.has_exception);
  clock.set_rule_version(row.rule_version);
  return clock;
}

v1::Proportion ToProto(const domain::Proportion& proportion) {
  v1::Proportion out;
  out.set_numerator(proportion.within);
  out.set_denominator(proportion.total);
  out.set_percent(proportion.PercentString());
  return out;
}

absl::StatusOr<absl::CivilDay> ParseAsOf(const std::string& text,
                                         absl::CivilDay today,
                                         const std::string& field) {
  if (text.empty()) return today;
  return domain::ParseDate(text, field);
}

absl::StatusOr<absl::Time> ParseAsKnownAt(const google::protobuf::Timestamp& ts,
                                          const std::string& field) {
  if (ts.nanos() < 0 || ts.nanos() > 999'999'999) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".nanos: must be 0-999999999"));
  }
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

absl::StatusOr<std::optional<absl::CivilDay>> ParseOptionalDate(
    const std::string& text, const std::string& field) {
  if (text.empty()) return std::optional<absl::CivilDay>();
  absl::StatusOr<absl::CivilDay> day = domain::ParseDate(text, field);
  if (!day.ok()) return day.status();
  return std::optional<absl::CivilDay>(*day);
}

absl::StatusOr<std::optional<std::string>> ParseLaFilter(
    const std::string& la_code) {
  if (la_code.empty()) return std::optional<std::string>();
  if (!domain::IsOnsLaCode(la_code)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "la_code: \"", la_code.substr(0, 20),
        "\" is not an English LA's ONS code (E06/E07/E08/E09/E10 and six "
        "digits)"));
  }
  return std::optional<std::string>(la_code);
}

}  // namespace ehcp::services
