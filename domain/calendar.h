// The civil calendar the statutory clocks count in: England & Wales bank
// holidays and working days, school year groups and the end of compulsory
// school age (docs/law.md §2, §3).
//
// Bank holidays are data: one table row per holiday, 2014–2030, with the
// one-off days (2020-05-08, 2022-06-02, 2022-06-03, 2022-09-19, 2023-05-08)
// and the substitute days when Christmas, Boxing Day or New Year's Day fall at
// a weekend. Correcting a holiday is a table edit, never a code change.
//
//   IsWorkingDay(absl::CivilDay(2022, 9, 19));             // false (funeral)
//   AddWorkingDays(absl::CivilDay(2024, 12, 24), 1);      // 2024-12-27
//   YearGroup(absl::CivilMonth(2011, 9),
//             absl::CivilDay(2024, 10, 1));               // 8
//   EndOfCompulsorySchoolAge(absl::CivilMonth(2008, 7));  // 2024-06-28
//
// Thread safety: all functions are pure and safe to call concurrently.
#ifndef EHCP_DOMAIN_CALENDAR_H_
#define EHCP_DOMAIN_CALENDAR_H_

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/types/span.h"

namespace ehcp::domain {

// One England & Wales bank holiday.
struct BankHoliday {
  absl::CivilDay day;
  absl::string_view name;
};

// The first and last years the bank-holiday table covers.
inline constexpr int kFirstBankHolidayYear = 2014;
inline constexpr int kLastBankHolidayYear = 2030;

// Every bank holiday of England & Wales from 2014 to 2030, in date order.
absl::Span<const BankHoliday> EnglandAndWalesBankHolidays();

// True when `day` is an England & Wales bank holiday in the table.
bool IsBankHoliday(absl::CivilDay day);

// True when `day` is neither a Saturday, a Sunday nor a bank holiday. Outside
// 2014–2030 the table has no holidays, so only weekends are excluded there.
bool IsWorkingDay(absl::CivilDay day);

// The day `n` working days after `day` (before it when n < 0). `day` itself
// need not be a working day; n == 0 returns `day` unchanged. Example: the
// 15th working day after 2024-12-20 is 2025-01-15.
absl::CivilDay AddWorkingDays(absl::CivilDay day, int n);

// The number of working days d with from < d ≤ to; when to < from, minus
// the number with to ≤ d < from. So WorkingDaysBetween(x, AddWorkingDays(x,
// n)) == n for every n.
int WorkingDaysBetween(absl::CivilDay from, absl::CivilDay to);

// The 1 September that starts the academic year containing `day`.
absl::CivilDay AcademicYearStart(absl::CivilDay day);

// The national curriculum year group on `on` of a child born in
// `birth_month` (§3): Year N in the academic year starting 1 September of Y
// when the age on 31 August of Y is N + 4. Reception is 0, nursery −1, and
// the count carries on past Year 13 (Year 14 = age 18 on that 31 August).
//
// Reading (§8 "year group from the birth month"): the child is taken as born
// on the 1st of `birth_month`. The day does not matter: 31 August is the
// last day of its month, so whether the birthday has passed by then depends
// on the month alone (January–August: yes; September–December: no).
int YearGroup(absl::CivilMonth birth_month, absl::CivilDay on);

// The last Friday in June of `year`.
absl::CivilDay LastFridayOfJune(int year);

// The end of compulsory school age (§3): the last Friday in June of the
// school year (1 September – 31 August) in which the young person turns 16.
// Born January–August of B: that school year ends in B + 16; born
// September–December: in B + 17.
absl::CivilDay EndOfCompulsorySchoolAge(absl::CivilMonth birth_month);

}  // namespace ehcp::domain

#endif  // EHCP_DOMAIN_CALENDAR_H_
