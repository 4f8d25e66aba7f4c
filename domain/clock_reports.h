// Report arithmetic over clock rows (docs/law.md §5 and
// §8 "Reports"): review-backlog ageing and SEN2 timeliness.
//
//   // Backlog: open clocks past due, aged in calendar months.
//   for (const ClockRow& r : EvaluateClocks(events, as_of)) {
//     if (CountsInBacklog(r)) ++backlog[*BacklogBucket(*r.due, as_of)];
//   }
//
//   // Timeliness for a calendar year, over every case's rows.
//   TimelinessAccumulator acc(2024);
//   for (const auto& rows : all_cases) acc.Add(rows);
//   TimelinessSummary s = acc.Summary();
//   s.excluding_exceptions.PercentString();   // "50.3"
//
// Thread safety: free functions are pure; a TimelinessAccumulator is not
// safe for concurrent mutation.
#ifndef EHCP_DOMAIN_CLOCK_REPORTS_H_
#define EHCP_DOMAIN_CLOCK_REPORTS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/time/civil_time.h"
#include "absl/types/span.h"
#include "domain/clocks.h"

namespace ehcp::domain {

// SEN2 thresholds in days: within 20 weeks (≤ 140), within 6 weeks (≤ 42),
// over 52 weeks (> 364).
inline constexpr int kTwentyWeeksDays = 140;
inline constexpr int kSixWeeksDays = 42;
inline constexpr int kFiftyTwoWeeksDays = 364;

// The backlog age band of a clock due on `due`, as of `as_of` (§8 Reports):
// "0-3" when due < as_of ≤ due + 3 months, "3-6" up to due + 6 months,
// "6-12" up to + 12, "12-24" up to + 24, ">24" beyond; months added with
// month-end clamping (AddMonthsClamped). nullopt when as_of ≤ due (not
// past due).
std::optional<std::string> BacklogBucket(absl::CivilDay due,
                                         absl::CivilDay as_of);

// True when `row` counts in the review backlog: a clock whose rule counts in
// the backlog (annual_review, review_decision, amendment, phase_transfer,
// transfer_in_review) that is open past due (OVERDUE, or EXCUSED while
// open).
bool CountsInBacklog(const ClockRow& row);

// Half-up rounding of 100·numerator/denominator to one decimal, in tenths of
// a percent (31,313 / 53,327 → 587, i.e. 58.7 %). nullopt when the
// denominator is not positive.
std::optional<int64_t> PercentTenths(int64_t numerator, int64_t denominator);

// "58.7" for 587; "100.0" for 1000; "0.0" for 0.
std::string FormatTenths(int64_t tenths);

// A count within a threshold out of a total.
struct Proportion {
  int64_t within = 0;
  int64_t total = 0;

  // PercentTenths(within, total).
  std::optional<int64_t> Tenths() const;
  // FormatTenths(*Tenths()), or "" when total is 0.
  std::string PercentString() const;
};

// SEN2 timeliness of one calendar year (§5, §8 Reports).
struct TimelinessSummary {
  int year = 0;
  // Cohort: final_plan_20w instances stopped by a final plan issued in the
  // year. Within 20 weeks: issued − trigger ≤ 140 days.
  Proportion including_exceptions;
  // The same without plans that have a 20-week exception (removed from
  // numerator and denominator).
  Proportion excluding_exceptions;
  // Plans in the cohort with an exception (ClockRow::has_exception).
  int64_t plans_with_exception = 0;
  // Sum over the cohort of issued − trigger, in days.
  int64_t total_days = 0;
  // Mean of days / 7 over the cohort; nullopt when it is empty.
  std::optional<double> mean_weeks;
  // The same rounded half-up to one decimal, in tenths of a week.
  std::optional<int64_t> mean_weeks_tenths;
  // Plans issued more than 364 days after the trigger.
  int64_t over_52_weeks = 0;
  // decision_to_assess instances stopped in the year, within 6 weeks
  // (decision − trigger ≤ 42 days), with and without exceptions.
  Proportion decisions_including_exceptions;
  Proportion decisions_excluding_exceptions;
};

// Accumulates the rows of many cases into one year's timeliness.
class TimelinessAccumulator {
 public:
  explicit TimelinessAccumulator(int year);

  // Adds the final_plan_20w and decision_to_assess rows among `rows` whose
  // stop falls in the year; every other row is ignored.
  void Add(absl::Span<const ClockRow> rows);
  void Add(const ClockRow& row);

  TimelinessSummary Summary() const;

 private:
  TimelinessSummary s_;
};

// TimelinessAccumulator over `rows` (any number of cases).
TimelinessSummary SummariseTimeliness(absl::Span<const ClockRow> rows,
                                      int year);

}  // namespace ehcp::domain

#endif  // EHCP_DOMAIN_CLOCK_REPORTS_H_
