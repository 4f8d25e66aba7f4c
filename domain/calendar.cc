#include "domain/calendar.h"

#include <algorithm>
#include <iterator>

namespace ehcp::domain {
namespace {

// England & Wales bank holidays, 2014–2030 (gov.uk/bank-holidays; dates after
// 2025 follow the standing rules and may be changed by proclamation: correct
// them here). Keep in date order.
constexpr BankHoliday kBankHolidays[] = {
    // 2014
    {absl::CivilDay(2014, 1, 1), "New Year's Day"},
    {absl::CivilDay(2014, 4, 18), "Good Friday"},
    {absl::CivilDay(2014, 4, 21), "Easter Monday"},
    {absl::CivilDay(2014, 5, 5), "Early May bank holiday"},
    {absl::CivilDay(2014, 5, 26), "Spring bank holiday"},
    {absl::CivilDay(2014, 8, 25), "Summer bank holiday"},
    {absl::CivilDay(2014, 12, 25), "Christmas Day"},
    {absl::CivilDay(2014, 12, 26), "Boxing Day"},
    // 2015
    {absl::CivilDay(2015, 1, 1), "New Year's Day"},
    {absl::CivilDay(2015, 4, 3), "Good Friday"},
    {absl::CivilDay(2015, 4, 6), "Easter Monday"},
    {absl::CivilDay(2015, 5, 4), "Early May bank holiday"},
    {absl::CivilDay(2015, 5, 25), "Spring bank holiday"},
    {absl::CivilDay(2015, 8, 31), "Summer bank holiday"},
    {absl::CivilDay(2015, 12, 25), "Christmas Day"},
    {absl::CivilDay(2015, 12, 28), "Boxing Day (substitute day)"},
    // 2016
    {absl::CivilDay(2016, 1, 1), "New Year's Day"},
    {absl::CivilDay(2016, 3, 25), "Good Friday"},
    {absl::CivilDay(2016, 3, 28), "Easter Monday"},
    {absl::CivilDay(2016, 5, 2), "Early May bank holiday"},
    {absl::CivilDay(2016, 5, 30), "Spring bank holiday"},
    {absl::CivilDay(2016, 8, 29), "Summer bank holiday"},
    {absl::CivilDay(2016, 12, 26), "Boxing Day"},
    {absl::CivilDay(2016, 12, 27), "Christmas Day (substitute day)"},
    // 2017
    {absl::CivilDay(2017, 1, 2), "New Year's Day (substitute day)"},
    {absl::CivilDay(2017, 4, 14), "Good Friday"},
    {absl::CivilDay(2017, 4, 17), "Easter Monday"},
    {absl::CivilDay(2017, 5, 1), "Early May bank holiday"},
    {absl::CivilDay(2017, 5, 29), "Spring bank holiday"},
    {absl::CivilDay(2017, 8, 28), "Summer bank holiday"},
    {absl::CivilDay(2017, 12, 25), "Christmas Day"},
    {absl::CivilDay(2017, 12, 26), "Boxing Day"},
    // 2018
    {absl::CivilDay(2018, 1, 1), "New Year's Day"},
    {absl::CivilDay(2018, 3, 30), "Good Friday"},
    {absl::CivilDay(2018, 4, 2), "Easter Monday"},
    {absl::CivilDay(2018, 5, 7), "Early May bank holiday"},
    {absl::CivilDay(2018, 5, 28), "Spring bank holiday"},
    {absl::CivilDay(2018, 8, 27), "Summer bank holiday"},
    {absl::CivilDay(2018, 12, 25), "Christmas Day"},
    {absl::CivilDay(2018, 12, 26), "Boxing Day"},
    // 2019
    {absl::CivilDay(2019, 1, 1), "New Year's Day"},
    {absl::CivilDay(2019, 4, 19), "Good Friday"},
    {absl::CivilDay(2019, 4, 22), "Easter Monday"},
    {absl::CivilDay(2019, 5, 6), "Early May bank holiday"},
    {absl::CivilDay(2019, 5, 27), "Spring bank holiday"},
    {absl::CivilDay(2019, 8, 26), "Summer bank holiday"},
    {absl::CivilDay(2019, 12, 25), "Christmas Day"},
    {absl::CivilDay(2019, 12, 26), "Boxing Day"},
    // 2020
    {absl::CivilDay(2020, 1, 1), "New Year's Day"},
    {absl::CivilDay(2020, 4, 10), "Good Friday"},
    {absl::CivilDay(2020, 4, 13), "Easter Monday"},
    {absl::CivilDay(2020, 5, 8), "Early May bank holiday (VE day, moved)"},
    {absl::CivilDay(2020, 5, 25), "Spring bank holiday"},
    {absl::CivilDay(2020, 8, 31), "Summer bank holiday"},
    {absl::CivilDay(2020, 12, 25), "Christmas Day"},
    {absl::CivilDay(2020, 12, 28), "Boxing Day (substitute day)"},
    // 2021
    {absl::CivilDay(2021, 1, 1), "New Year's Day"},
    {absl::CivilDay(2021, 4, 2), "Good Friday"},
    {absl::CivilDay(2021, 4, 5), "Easter Monday"},
    {absl::CivilDay(2021, 5, 3), "Early May bank holiday"},
    {absl::CivilDay(2021, 5, 31), "Spring bank holiday"},
    {absl::CivilDay(2021, 8, 30), "Summer bank holiday"},
    {absl::CivilDay(2021, 12, 27), "Christmas Day (substitute day)"},
    {absl::CivilDay(2021, 12, 28), "Boxing Day (substitute day)"},
    // 2022
    {absl::CivilDay(2022, 1, 3), "New Year's Day (substitute day)"},
    {absl::CivilDay(2022, 4, 15), "Good Friday"},
    {absl::CivilDay(2022, 4, 18), "Easter Monday"},
    {absl::CivilDay(2022, 5, 2), "Early May bank holiday"},
    {absl::CivilDay(2022, 6, 2), "Spring bank holiday"},
    {absl::CivilDay(2022, 6, 3), "Platinum Jubilee"},
    {absl::CivilDay(2022, 8, 29), "Summer bank holiday"},
    {absl::CivilDay(2022, 9, 19), "State funeral of Queen Elizabeth II"},
    {absl::CivilDay(2022, 12, 26), "Boxing Day"},
    {absl::CivilDay(2022, 12, 27), "Christmas Day (substitute day)"},
    // 2023
    {absl::CivilDay(2023, 1, 2), "New Year's Day (substitute day)"},
    {absl::CivilDay(2023, 4, 7), "Good Friday"},
    {absl::CivilDay(2023, 4, 10), "Easter Monday"},
    {absl::CivilDay(2023, 5, 1), "Early May bank holiday"},
    {absl::CivilDay(2023, 5, 8), "Coronation of King Charles III"},
    {absl::CivilDay(2023, 5, 29), "Spring bank holiday"},
    {absl::CivilDay(2023, 8, 28), "Summer bank holiday"},
    {absl::CivilDay(2023, 12, 25), "Christmas Day"},
    {absl::CivilDay(2023, 12, 26), "Boxing Day"},
    // 2024
    {absl::CivilDay(2024, 1, 1), "New Year's Day"},
    {absl::CivilDay(2024, 3, 29), "Good Friday"},
    {absl::CivilDay(2024, 4, 1), "Easter Monday"},
    {absl::CivilDay(2024, 5, 6), "Early May bank holiday"},
    {absl::CivilDay(2024, 5, 27), "Spring bank holiday"},
    {absl::CivilDay(2024, 8, 26), "Summer bank holiday"},
    {absl::CivilDay(2024, 12, 25), "Christmas Day"},
    {absl::CivilDay(2024, 12, 26), "Boxing Day"},
    // 2025
    {absl::CivilDay(2025, 1, 1), "New Year's Day"},
    {absl::CivilDay(2025, 4, 18), "Good Friday"},
    {absl::CivilDay(2025, 4, 21), "Easter Monday"},
    {absl::CivilDay(2025, 5, 5), "Early May bank holiday"},
    {absl::CivilDay(2025, 5, 26), "Spring bank holiday"},
    {absl::CivilDay(2025, 8, 25), "Summer bank holiday"},
    {absl::CivilDay(2025, 12, 25), "Christmas Day"},
    {absl::CivilDay(2025, 12, 26), "Boxing Day"},
    // 2026
    {absl::CivilDay(2026, 1, 1), "New Year's Day"},
    {absl::CivilDay(2026, 4, 3), "Good Friday"},
    {absl::CivilDay(2026, 4, 6), "Easter Monday"},
    {absl::CivilDay(2026, 5, 4), "Early May bank holiday"},
    {absl::CivilDay(2026, 5, 25), "Spring bank holiday"},
    {absl::CivilDay(2026, 8, 31), "Summer bank holiday"},
    {absl::CivilDay(2026, 12, 25), "Christmas Day"},
    {absl::CivilDay(2026, 12, 28), "Boxing Day (substitute day)"},
    // 2027
    {absl::CivilDay(2027, 1, 1), "New Year's Day"},
    {absl::CivilDay(2027, 3, 26), "Good Friday"},
    {absl::CivilDay(2027, 3, 29), "Easter Monday"},
    {absl::CivilDay(2027, 5, 3), "Early May bank holiday"},
    {absl::CivilDay(2027, 5, 31), "Spring bank holiday"},
    {absl::CivilDay(2027, 8, 30), "Summer bank holiday"},
    {absl::CivilDay(2027, 12, 27), "Christmas Day (substitute day)"},
    {absl::CivilDay(2027, 12, 28), "Boxing Day (substitute day)"},
    // 2028
    {absl::CivilDay(2028, 1, 3), "New Year's Day (substitute day)"},
    {absl::CivilDay(2028, 4, 14), "Good Friday"},
    {absl::CivilDay(2028, 4, 17), "Easter Monday"},
    {absl::CivilDay(2028, 5, 1), "Early May bank holiday"},
    {absl::CivilDay(2028, 5, 29), "Spring bank holiday"},
    {absl::CivilDay(2028, 8, 28), "Summer bank holiday"},
    {absl::CivilDay(2028, 12, 25), "Christmas Day"},
    {absl::CivilDay(2028, 12, 26), "Boxing Day"},
    // 2029
    {absl::CivilDay(2029, 1, 1), "New Year's Day"},
    {absl::CivilDay(2029, 3, 30), "Good Friday"},
    {absl::CivilDay(2029, 4, 2), "Easter Monday"},
    {absl::CivilDay(2029, 5, 7), "Early May bank holiday"},
    {absl::CivilDay(2029, 5, 28), "Spring bank holiday"},
    {absl::CivilDay(2029, 8, 27), "Summer bank holiday"},
    {absl::CivilDay(2029, 12, 25), "Christmas Day"},
    {absl::CivilDay(2029, 12, 26), "Boxing Day"},
    // 2030
    {absl::CivilDay(2030, 1, 1), "New Year's Day"},
    {absl::CivilDay(2030, 4, 19), "Good Friday"},
    {absl::CivilDay(2030, 4, 22), "Easter Monday"},
    {absl::CivilDay(2030, 5, 6), "Early May bank holiday"},
    {absl::CivilDay(2030, 5, 27), "Spring bank holiday"},
    {absl::CivilDay(2030, 8, 26), "Summer bank holiday"},
    {absl::CivilDay(2030, 12, 25), "Christmas Day"},
    {absl::CivilDay(2030, 12, 26), "Boxing Day"},
};

bool IsWeekend(absl::CivilDay day) {
  const absl::Weekday wd = absl::GetWeekday(day);
  return wd == absl::Weekday::saturday || wd == absl::Weekday::sunday;
}

}  // namespace

absl::Span<const BankHoliday> EnglandAndWalesBankHolidays() {
  return kBankHolidays;
}

bool IsBankHoliday(absl::CivilDay day) {
  const auto it = std::lower_bound(
      std::begin(kBankHolidays), std::end(kBankHolidays), day,
      [](const BankHoliday& h, absl::CivilDay d) { return h.day < d; });
  return it != std::end(kBankHolidays) && it->day == day;
}

bool IsWorkingDay(absl::CivilDay day) {
  return !IsWeekend(day) && !IsBankHoliday(day);
}

absl::CivilDay AddWorkingDays(absl::CivilDay day, int n) {
  const int step = n < 0 ? -1 : 1;
  for (int left = n < 0 ? -n : n; left > 0;) {
    day += step;
    if (IsWorkingDay(day)) --left;
  }
  return day;
}

int WorkingDaysBetween(absl::CivilDay from, absl::CivilDay to) {
  int n = 0;
  if (to < from) {
    for (absl::CivilDay d = to; d < from; ++d) {
      if (IsWorkingDay(d)) --n;
    }
    return n;
  }
  for (absl::CivilDay d = from + 1; d <= to; ++d) {
    if (IsWorkingDay(d)) ++n;
  }
  return n;
}

absl::CivilDay AcademicYearStart(absl::CivilDay day) {
  const int year = day.month() >= 9 ? day.year() : day.year() - 1;
  return absl::CivilDay(year, 9, 1);
}

int YearGroup(absl::CivilMonth birth_month, absl::CivilDay on) {
  const int y = static_cast<int>(AcademicYearStart(on).year());
  // Age on 31 August of y of a child born on the 1st of birth_month.
  const int age_on_31_august = y - static_cast<int>(birth_month.year()) -
                               (birth_month.month() >= 9 ? 1 : 0);
  return age_on_31_august - 4;
}

absl::CivilDay LastFridayOfJune(int year) {
  absl::CivilDay day(year, 6, 30);
  while (absl::GetWeekday(day) != absl::Weekday::friday) --day;
  return day;
}

absl::CivilDay EndOfCompulsorySchoolAge(absl::CivilMonth birth_month) {
  const int sixteenth = static_cast<int>(birth_month.year()) + 16;
  return LastFridayOfJune(birth_month.month() >= 9 ? sixteenth + 1
                                                   : sixteenth);
}

}  // namespace ehcp::domain
