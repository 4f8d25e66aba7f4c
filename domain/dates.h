// Civil dates for statutory clocks.
//
// Every clock in docs/law.md counts in civil days in
// Europe/London: an event's `occurred_on` is a date, not an instant. This
// header holds the few date conventions of §2 as small named functions, so
// that each rule is written once:
//
//   absl::CivilDay request = *ParseDate("2024-01-08");
//   AddWeeks(request, 6);                     // 2024-02-19 (6-week decision)
//   LastDayOfMonthsStartingWith(
//       *ParseDate("2024-02-29"), 12);        // 2025-02-27 (annual review)
//   FormatDate(request);                      // "2024-01-08"
//
// Thread safety: all functions are pure and safe to call concurrently.
#ifndef EHCP_DOMAIN_DATES_H_
#define EHCP_DOMAIN_DATES_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace ehcp::domain {

// Parses "YYYY-MM-DD" strictly: four-digit year 1900–2199, two-digit month
// and day, and a day that exists (no 2023-02-29). Returns INVALID_ARGUMENT
// naming `field` otherwise.
absl::StatusOr<absl::CivilDay> ParseDate(absl::string_view text,
                                         absl::string_view field = "date");

// Parses "YYYY-MM" strictly (year 1900–2199). INVALID_ARGUMENT naming
// `field` otherwise.
absl::StatusOr<absl::CivilMonth> ParseMonth(absl::string_view text,
                                            absl::string_view field = "month");

// "YYYY-MM-DD" / "YYYY-MM".
std::string FormatDate(absl::CivilDay day);
std::string FormatMonth(absl::CivilMonth month);

// day + 7·weeks days ("within N weeks of X").
absl::CivilDay AddWeeks(absl::CivilDay day, int weeks);

// The same day-of-month `months` calendar months later; when that month is
// shorter, its last day (2024-01-31 + 1 month = 2024-02-29).
absl::CivilDay AddMonthsClamped(absl::CivilDay day, int months);

// The last day of "the period of N months starting with" `day`:
// AddMonthsClamped(day, months) − 1 day (2024-05-31, 12 → 2025-05-30;
// 2024-02-29, 12 → 2025-02-27).
absl::CivilDay LastDayOfMonthsStartingWith(absl::CivilDay day, int months);

// The last day of the month containing `day`.
absl::CivilDay LastDayOfMonth(absl::CivilDay day);

// Today's date in Europe/London at instant `now`.
absl::CivilDay LondonDate(absl::Time now);

// The instant a London civil day begins.
absl::Time StartOfLondonDay(absl::CivilDay day);

// The Europe/London time zone (loaded once; tzdata must be installed,
// otherwise a fixed UTC+0 zone is used and BST days begin an hour late).
const absl::TimeZone& LondonTimeZone();

}  // namespace ehcp::domain

#endif  // EHCP_DOMAIN_DATES_H_
