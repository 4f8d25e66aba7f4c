#include "domain/clock_reports.h"

#include "absl/strings/str_cat.h"
#include "domain/dates.h"
#include "domain/rules.h"

namespace ehcp::domain {

std::optional<std::string> BacklogBucket(absl::CivilDay due,
                                         absl::CivilDay as_of) {
  if (as_of <= due) return std::nullopt;
  if (as_of <= AddMonthsClamped(due, 3)) return "0-3";
  if (as_of <= AddMonthsClamped(due, 6)) return "3-6";
  if (as_of <= AddMonthsClamped(due, 12)) return "6-12";
  if (as_of <= AddMonthsClamped(due, 24)) return "12-24";
  return ">24";
}

bool CountsInBacklog(const ClockRow& row) {
  const ClockRule* rule = FindClockRule(row.clock_id, row.trigger);
  if (rule == nullptr || !rule->counts_in_backlog) return false;
  return row.status == ClockStatus::kOverdue ||
         (row.status == ClockStatus::kExcused && !row.stop.has_value());
}

std::optional<int64_t> PercentTenths(int64_t numerator, int64_t denominator) {
  if (denominator <= 0) return std::nullopt;
  // round(1000·n / d) half up, in integers: floor((2000·n + d) / 2d).
  return (2000 * numerator + denominator) / (2 * denominator);
}

std::string FormatTenths(int64_t tenths) {
  const bool negative = tenths < 0;
  const int64_t a = negative ? -tenths : tenths;
  return absl::StrCat(negative ? "-" : "", a / 10, ".", a % 10);
}

std::optional<int64_t> Proportion::Tenths() const {
  return PercentTenths(within, total);
}

std::string Proportion::PercentString() const {
  const std::optional<int64_t> t = Tenths();
  return t ? FormatTenths(*t) : "";
}

TimelinessAccumulator::TimelinessAccumulator(int year) { s_.year = year; }

void TimelinessAccumulator::Add(absl::Span<const ClockRow> rows) {
  for (const ClockRow& row : rows) Add(row);
}

void TimelinessAccumulator::Add(const ClockRow& row) {
  // NOT_APPLICABLE rows have no stop: a plan issued after the clock closed
  // is not in the cohort.
  if (!row.stop || row.stop->year() != s_.year) return;
  const int64_t days = *row.stop - row.trigger;
  if (row.clock_id == "final_plan_20w") {
    const bool within = days <= kTwentyWeeksDays;
    ++s_.including_exceptions.total;
    if (within) ++s_.including_exceptions.within;
    if (row.has_exception) {
      ++s_.plans_with_exception;
    } else {
      ++s_.excluding_exceptions.total;
      if (within) ++s_.excluding_exceptions.within;
    }
    s_.total_days += days;
    if (days > kFiftyTwoWeeksDays) ++s_.over_52_weeks;
  } else if (row.clock_id == "decision_to_assess") {
    const bool within = days <= kSixWeeksDays;
    ++s_.decisions_including_exceptions.total;
    if (within) ++s_.decisions_including_exceptions.within;
    if (!row.has_exception) {
      ++s_.decisions_excluding_exceptions.total;
      if (within) ++s_.decisions_excluding_exceptions.within;
    }
  }
}

TimelinessSummary TimelinessAccumulator::Summary() const {
  TimelinessSummary s = s_;
  const int64_t n = s.including_exceptions.total;
  if (n > 0) {
    s.mean_weeks = static_cast<double>(s.total_days) / 7.0 /
                   static_cast<double>(n);
    // round(10·days / (7n)) half up.
    s.mean_weeks_tenths = (20 * s.total_days + 7 * n) / (14 * n);
  }
  return s;
}

TimelinessSummary SummariseTimeliness(absl::Span<const ClockRow> rows,
                                      int year) {
  TimelinessAccumulator acc(year);
  acc.Add(rows);
  return acc.Summary();
}

}  // namespace ehcp::domain
