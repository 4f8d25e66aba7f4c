#include "domain/calendar.h"

#include <vector>

#include "absl/time/civil_time.h"
#include "gtest/gtest.h"

namespace ehcp::domain {
namespace {

using absl::CivilDay;
using absl::CivilMonth;

// Easter Sunday by the anonymous Gregorian algorithm (Meeus/Jones/Butcher),
// computed independently of the table.
CivilDay EasterSunday(int y) {
  const int a = y % 19, b = y / 100, c = y % 100, d = b / 4, e = b % 4;
  const int f = (b + 8) / 25, g = (b - f + 1) / 3;
  const int h = (19 * a + b - d - g + 15) % 30;
  const int i = c / 4, k = c % 4;
  const int l = (32 + 2 * e + 2 * i - h - k) % 7;
  const int m = (a + 11 * h + 22 * l) / 451;
  const int month = (h + l - 7 * m + 114) / 31;
  const int day = (h + l - 7 * m + 114) % 31 + 1;
  return CivilDay(y, month, day);
}

std::vector<CivilDay> HolidaysIn(int year) {
  std::vector<CivilDay> out;
  for (const BankHoliday& h : EnglandAndWalesBankHolidays()) {
    if (h.day.year() == year) out.push_back(h.day);
  }
  return out;
}

TEST(CalendarTest, EasterAlgorithmMatchesKnownEasterSundays) {
  EXPECT_EQ(EasterSunday(2019), CivilDay(2019, 4, 21));
  EXPECT_EQ(EasterSunday(2020), CivilDay(2020, 4, 12));
  EXPECT_EQ(EasterSunday(2024), CivilDay(2024, 3, 31));
  EXPECT_EQ(EasterSunday(2025), CivilDay(2025, 4, 20));
  EXPECT_EQ(EasterSunday(2016), CivilDay(2016, 3, 27));
}

TEST(CalendarTest, GoodFridayAndEasterMondayAreHolidaysEveryYear) {
  for (int y = kFirstBankHolidayYear; y <= kLastBankHolidayYear; ++y) {
    const CivilDay easter = EasterSunday(y);
    EXPECT_TRUE(IsBankHoliday(easter - 2)) << y;
    EXPECT_TRUE(IsBankHoliday(easter + 1)) << y;
    EXPECT_FALSE(IsWorkingDay(easter - 2)) << y;
  }
}

TEST(CalendarTest, TableIsSortedUniqueAndOnWeekdays) {
  const auto table = EnglandAndWalesBankHolidays();
  ASSERT_FALSE(table.empty());
  for (size_t i = 0; i < table.size(); ++i) {
    const absl::Weekday wd = absl::GetWeekday(table[i].day);
    EXPECT_NE(wd, absl::Weekday::saturday) << table[i].name;
    EXPECT_NE(wd, absl::Weekday::sunday) << table[i].name;
    if (i > 0) {
      EXPECT_LT(table[i - 1].day, table[i].day);
    }
  }
  EXPECT_EQ(table.front().day.year(), kFirstBankHolidayYear);
  EXPECT_EQ(table.back().day.year(), kLastBankHolidayYear);
}

TEST(CalendarTest, EveryOrdinaryYearHasEightHolidays) {
  for (int y = kFirstBankHolidayYear; y <= kLastBankHolidayYear; ++y) {
    const size_t expected = y == 2022 ? 10 : y == 2023 ? 9 : 8;
    EXPECT_EQ(HolidaysIn(y).size(), expected) << y;
  }
}

TEST(CalendarTest, OneOffHolidaysAreInTheTable) {
  for (CivilDay d : {CivilDay(2020, 5, 8), CivilDay(2022, 6, 2),
                     CivilDay(2022, 6, 3), CivilDay(2022, 9, 19),
                     CivilDay(2023, 5, 8)}) {
    EXPECT_TRUE(IsBankHoliday(d)) << d;
  }
  // The 2020 early May holiday moved to VE day; the 2022 spring holiday
  // moved to 2 June.
  EXPECT_FALSE(IsBankHoliday(CivilDay(2020, 5, 4)));
  EXPECT_FALSE(IsBankHoliday(CivilDay(2022, 5, 30)));
  EXPECT_TRUE(IsBankHoliday(CivilDay(2023, 5, 1)));
}

TEST(CalendarTest, Year2022MatchesGovUk) {
  EXPECT_EQ(HolidaysIn(2022),
            (std::vector<CivilDay>{
                CivilDay(2022, 1, 3), CivilDay(2022, 4, 15),
                CivilDay(2022, 4, 18), CivilDay(2022, 5, 2),
                CivilDay(2022, 6, 2), CivilDay(2022, 6, 3),
                CivilDay(2022, 8, 29), CivilDay(2022, 9, 19),
                CivilDay(2022, 12, 26), CivilDay(2022, 12, 27)}));
}

TEST(CalendarTest, Year2020MatchesGovUk) {
  EXPECT_EQ(HolidaysIn(2020),
            (std::vector<CivilDay>{
                CivilDay(2020, 1, 1), CivilDay(2020, 4, 10),
                CivilDay(2020, 4, 13), CivilDay(2020, 5, 8),
                CivilDay(2020, 5, 25), CivilDay(2020, 8, 31),
                CivilDay(2020, 12, 25), CivilDay(2020, 12, 28)}));
}

TEST(CalendarTest, Year2024MatchesGovUk) {
  EXPECT_EQ(HolidaysIn(2024),
            (std::vector<CivilDay>{
                CivilDay(2024, 1, 1), CivilDay(2024, 3, 29),
                CivilDay(2024, 4, 1), CivilDay(2024, 5, 6),
                CivilDay(2024, 5, 27), CivilDay(2024, 8, 26),
                CivilDay(2024, 12, 25), CivilDay(2024, 12, 26)}));
}

TEST(CalendarTest, WeekendChristmasAndNewYearHaveSubstituteDays) {
  // 2021: Christmas Saturday, Boxing Day Sunday → 27 and 28 December.
  EXPECT_TRUE(IsBankHoliday(CivilDay(2021, 12, 27)));
  EXPECT_TRUE(IsBankHoliday(CivilDay(2021, 12, 28)));
  // 2022: Christmas Sunday → Boxing Day Monday 26, substitute Tuesday 27.
  EXPECT_TRUE(IsBankHoliday(CivilDay(2022, 12, 27)));
  // 2015 and 2026: Boxing Day Saturday → Monday 28.
  EXPECT_TRUE(IsBankHoliday(CivilDay(2015, 12, 28)));
  EXPECT_TRUE(IsBankHoliday(CivilDay(2026, 12, 28)));
  // New Year's Day Saturday (2022, 2028) → Monday 3; Sunday (2017, 2023) →
  // Monday 2.
  EXPECT_TRUE(IsBankHoliday(CivilDay(2022, 1, 3)));
  EXPECT_TRUE(IsBankHoliday(CivilDay(2028, 1, 3)));
  EXPECT_TRUE(IsBankHoliday(CivilDay(2017, 1, 2)));
  EXPECT_TRUE(IsBankHoliday(CivilDay(2023, 1, 2)));
}

TEST(CalendarTest, WeekendsAreNotWorkingDays) {
  EXPECT_FALSE(IsWorkingDay(CivilDay(2024, 6, 1)));  // Saturday
  EXPECT_FALSE(IsWorkingDay(CivilDay(2024, 6, 2)));  // Sunday
  EXPECT_TRUE(IsWorkingDay(CivilDay(2024, 6, 3)));   // Monday
  // Outside the table only weekends count.
  EXPECT_TRUE(IsWorkingDay(CivilDay(2031, 12, 25)));  // Thursday
}

TEST(CalendarTest, AddWorkingDaysSkipsChristmasAndNewYear) {
  EXPECT_EQ(AddWorkingDays(CivilDay(2024, 12, 24), 1), CivilDay(2024, 12, 27));
  EXPECT_EQ(AddWorkingDays(CivilDay(2024, 12, 20), 15), CivilDay(2025, 1, 15));
  EXPECT_EQ(AddWorkingDays(CivilDay(2024, 12, 27), -1), CivilDay(2024, 12, 24));
  EXPECT_EQ(AddWorkingDays(CivilDay(2024, 6, 1), 0), CivilDay(2024, 6, 1));
}

TEST(CalendarTest, AddWorkingDaysSkipsTheJubileeWeekend) {
  // Wed 1 June 2022 + 1 working day: Thu 2 and Fri 3 are holidays.
  EXPECT_EQ(AddWorkingDays(CivilDay(2022, 6, 1), 1), CivilDay(2022, 6, 6));
  // 15 working days from Friday 16 September 2022 cross the funeral.
  EXPECT_EQ(AddWorkingDays(CivilDay(2022, 9, 16), 15), CivilDay(2022, 10, 10));
}

TEST(CalendarTest, AddWorkingDaysAcrossEaster) {
  // Thursday 28 March 2024 + 1: Good Friday and Easter Monday skipped.
  EXPECT_EQ(AddWorkingDays(CivilDay(2024, 3, 28), 1), CivilDay(2024, 4, 2));
}

TEST(CalendarTest, WorkingDaysBetweenInvertsAddWorkingDays) {
  const CivilDay start(2019, 12, 1);
  for (int n = -40; n <= 400; n += 7) {
    EXPECT_EQ(WorkingDaysBetween(start, AddWorkingDays(start, n)), n) << n;
  }
  EXPECT_EQ(WorkingDaysBetween(CivilDay(2024, 12, 20), CivilDay(2025, 1, 15)),
            15);
  EXPECT_EQ(WorkingDaysBetween(CivilDay(2024, 6, 3), CivilDay(2024, 6, 3)), 0);
}

TEST(CalendarTest, YearNineIsAgeThirteenOnThirtyFirstAugust) {
  // Born March 2011: 13 on 31 August 2024, so Year 9 in 2024/25.
  EXPECT_EQ(YearGroup(CivilMonth(2011, 3), CivilDay(2024, 9, 1)), 9);
  EXPECT_EQ(YearGroup(CivilMonth(2011, 3), CivilDay(2025, 8, 31)), 9);
  EXPECT_EQ(YearGroup(CivilMonth(2011, 3), CivilDay(2024, 8, 31)), 8);
  // Born August 2011 (youngest in the year) is in the same year group.
  EXPECT_EQ(YearGroup(CivilMonth(2011, 8), CivilDay(2024, 9, 1)), 9);
  // Born September 2010 (oldest in the year) too.
  EXPECT_EQ(YearGroup(CivilMonth(2010, 9), CivilDay(2024, 9, 1)), 9);
  EXPECT_EQ(YearGroup(CivilMonth(2010, 8), CivilDay(2024, 9, 1)), 10);
}

TEST(CalendarTest, YearGroupReceptionIsZeroAndCountsOnPastThirteen) {
  EXPECT_EQ(YearGroup(CivilMonth(2019, 12), CivilDay(2024, 10, 1)), 0);
  EXPECT_EQ(YearGroup(CivilMonth(2005, 1), CivilDay(2024, 10, 1)), 15);
}

TEST(CalendarTest, LastFridayOfJune) {
  EXPECT_EQ(LastFridayOfJune(2024), CivilDay(2024, 6, 28));
  EXPECT_EQ(LastFridayOfJune(2023), CivilDay(2023, 6, 30));
  EXPECT_EQ(LastFridayOfJune(2025), CivilDay(2025, 6, 27));
}

TEST(CalendarTest, EndOfCompulsorySchoolAgeIsInTheSchoolYearOfSixteenth) {
  // Born July 2008: 16 in July 2024, school year 2023/24 → 28 June 2024,
  // before the birthday.
  EXPECT_EQ(EndOfCompulsorySchoolAge(CivilMonth(2008, 7)),
            CivilDay(2024, 6, 28));
  // Born September 2008: 16 in September 2024, school year 2024/25.
  EXPECT_EQ(EndOfCompulsorySchoolAge(CivilMonth(2008, 9)),
            CivilDay(2025, 6, 27));
  EXPECT_EQ(EndOfCompulsorySchoolAge(CivilMonth(2008, 1)),
            CivilDay(2024, 6, 28));
}

}  // namespace
}  // namespace ehcp::domain
