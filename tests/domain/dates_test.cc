#include "domain/dates.h"

#include "gtest/gtest.h"

namespace ehcp::domain {
namespace {

absl::CivilDay D(const char* s) { return *ParseDate(s); }

TEST(DatesTest, ParsesAndFormatsIsoDates) {
  EXPECT_EQ(FormatDate(D("2024-01-08")), "2024-01-08");
  EXPECT_EQ(FormatMonth(*ParseMonth("2011-09")), "2011-09");
}

TEST(DatesTest, ImpossibleDatesAreInvalidArgumentNamingTheField) {
  for (const char* bad : {"2023-02-29", "2024-13-01", "2024-00-10",
                          "2024-04-31", "24-01-08", "2024-1-8", "",
                          "2024-01-08T00:00", "abcd-ef-gh", "1899-12-31"}) {
    auto parsed = ParseDate(bad, "occurred_on");
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find("occurred_on"), std::string::npos);
  }
  EXPECT_TRUE(ParseDate("2024-02-29").ok());
  EXPECT_FALSE(ParseMonth("2024-13", "birth_month").ok());
  EXPECT_FALSE(ParseMonth("2024-1", "birth_month").ok());
}

TEST(DatesTest, WeeksAreSevenDays) {
  EXPECT_EQ(AddWeeks(D("2024-01-08"), 6), D("2024-02-19"));
  EXPECT_EQ(AddWeeks(D("2024-01-08"), 20), D("2024-05-27"));
}

TEST(DatesTest, PeriodOfMonthsClampsToMonthEndThenSubtractsADay) {
  EXPECT_EQ(LastDayOfMonthsStartingWith(D("2024-05-31"), 12), D("2025-05-30"));
  EXPECT_EQ(LastDayOfMonthsStartingWith(D("2024-02-29"), 12), D("2025-02-27"));
  EXPECT_EQ(LastDayOfMonthsStartingWith(D("2023-11-30"), 3), D("2024-02-28"));
  EXPECT_EQ(AddMonthsClamped(D("2024-01-31"), 1), D("2024-02-29"));
  EXPECT_EQ(AddMonthsClamped(D("2023-01-31"), 1), D("2023-02-28"));
  EXPECT_EQ(LastDayOfMonth(D("2024-02-10")), D("2024-02-29"));
}

TEST(DatesTest, LondonDayFollowsBritishSummerTime) {
  // 2024-07-01 23:30 UTC is already 2 July in London (BST, UTC+1).
  absl::Time t = absl::FromCivil(absl::CivilSecond(2024, 7, 1, 23, 30, 0),
                                 absl::UTCTimeZone());
  EXPECT_EQ(LondonDate(t), D("2024-07-02"));
  // In winter London is UTC.
  absl::Time w = absl::FromCivil(absl::CivilSecond(2024, 1, 1, 23, 30, 0),
                                 absl::UTCTimeZone());
  EXPECT_EQ(LondonDate(w), D("2024-01-01"));
}

}  // namespace
}  // namespace ehcp::domain
