#include "domain/dates.h"

#include <cstdio>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ehcp::domain {
namespace {

constexpr int kMinYear = 1900;
constexpr int kMaxYear = 2199;

bool AllDigits(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return !s.empty();
}

int ToInt(absl::string_view digits) {
  int v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  return v;
}

absl::Status Malformed(absl::string_view field, absl::string_view text,
                       absl::string_view expected) {
  return absl::InvalidArgumentError(absl::StrCat(
      field, ": \"", text.substr(0, 40), "\" is not a valid ", expected));
}

}  // namespace

absl::StatusOr<absl::CivilDay> ParseDate(absl::string_view text,
                                         absl::string_view field) {
  if (text.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": is required (a date \"YYYY-MM-DD\")"));
  }
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' ||
      !AllDigits(text.substr(0, 4)) || !AllDigits(text.substr(5, 2)) ||
      !AllDigits(text.substr(8, 2))) {
    return Malformed(field, text, "date \"YYYY-MM-DD\"");
  }
  const int y = ToInt(text.substr(0, 4));
  const int m = ToInt(text.substr(5, 2));
  const int d = ToInt(text.substr(8, 2));
  if (y < kMinYear || y > kMaxYear) {
    return Malformed(field, text, "date (year out of range 1900-2199)");
  }
  const absl::CivilDay day(y, m, d);
  if (day.year() != y || day.month() != m || day.day() != d) {
    return Malformed(field, text, "calendar date (no such day)");
  }
  return day;
}

absl::StatusOr<absl::CivilMonth> ParseMonth(absl::string_view text,
                                            absl::string_view field) {
  if (text.size() != 7 || text[4] != '-' || !AllDigits(text.substr(0, 4)) ||
      !AllDigits(text.substr(5, 2))) {
    return Malformed(field, text, "month \"YYYY-MM\"");
  }
  const int y = ToInt(text.substr(0, 4));
  const int m = ToInt(text.substr(5, 2));
  if (y < kMinYear || y > kMaxYear || m < 1 || m > 12) {
    return Malformed(field, text, "month \"YYYY-MM\"");
  }
  return absl::CivilMonth(y, m);
}

std::string FormatDate(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

std::string FormatMonth(absl::CivilMonth month) {
  return absl::StrFormat("%04d-%02d", month.year(), month.month());
}

absl::CivilDay AddWeeks(absl::CivilDay day, int weeks) {
  return day + 7 * weeks;
}

absl::CivilDay LastDayOfMonth(absl::CivilDay day) {
  return absl::CivilDay(absl::CivilMonth(day) + 1) - 1;
}

absl::CivilDay AddMonthsClamped(absl::CivilDay day, int months) {
  const absl::CivilMonth target = absl::CivilMonth(day) + months;
  const absl::CivilDay last = absl::CivilDay(target + 1) - 1;
  return day.day() > last.day() ? last
                                : absl::CivilDay(target.year(), target.month(),
                                                 day.day());
}

absl::CivilDay LastDayOfMonthsStartingWith(absl::CivilDay day, int months) {
  return AddMonthsClamped(day, months) - 1;
}

const absl::TimeZone& LondonTimeZone() {
  static const absl::TimeZone* const kZone = [] {
    auto* tz = new absl::TimeZone;
    if (!absl::LoadTimeZone("Europe/London", tz)) *tz = absl::UTCTimeZone();
    return tz;
  }();
  return *kZone;
}

absl::CivilDay LondonDate(absl::Time now) {
  return absl::ToCivilDay(now, LondonTimeZone());
}

absl::Time StartOfLondonDay(absl::CivilDay day) {
  return absl::FromCivil(day, LondonTimeZone());
}

}  // namespace ehcp::domain
