#include "projections/internal/index_format.h"

#include <algorithm>
#include <cstdio>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/big_endian.h"
#include "domain/rules.h"
#include "storage/absl_string_view.h"

namespace ehcp::projections::index_format {
namespace {

using domain::ClockStatus;
using storage::ToAbsl;

constexpr char kNoDate[] = "--------";
constexpr size_t kDateSize = 8;
constexpr size_t kStageCodeSize = 2;

absl::Status Corrupt(std::string_view what, std::string_view why) {
  return absl::DataLossError(
      absl::StrCat("clock index: ", ToAbsl(what), ": ", ToAbsl(why)));
}

char StatusLetter(ClockStatus status) {
  switch (status) {
    case ClockStatus::kPending:
      return 'P';
    case ClockStatus::kMet:
      return 'M';
    case ClockStatus::kBreached:
      return 'B';
    case ClockStatus::kOverdue:
      return 'O';
    case ClockStatus::kExcused:
      return 'E';
    case ClockStatus::kNotApplicable:
      return 'N';
  }
  return '?';
}

std::optional<ClockStatus> StatusFromLetter(char letter) {
  switch (letter) {
    case 'P':
      return ClockStatus::kPending;
    case 'M':
      return ClockStatus::kMet;
    case 'B':
      return ClockStatus::kBreached;
    case 'O':
      return ClockStatus::kOverdue;
    case 'E':
      return ClockStatus::kExcused;
    case 'N':
      return ClockStatus::kNotApplicable;
  }
  return std::nullopt;
}

std::string OptionalDateKey(const std::optional<absl::CivilDay>& day) {
  return day ? DateKey(*day) : std::string(kNoDate);
}

absl::StatusOr<std::optional<absl::CivilDay>> ParseOptionalDateKey(
    std::string_view text, std::string_view what) {
  if (text == kNoDate) return std::optional<absl::CivilDay>();
  absl::StatusOr<absl::CivilDay> day = ParseDateKey(text, what);
  if (!day.ok()) return day.status();
  return std::optional<absl::CivilDay>(*day);
}

}  // namespace

std::string DateKey(absl::CivilDay day) {
  char buf[16];
  const int n =
      std::snprintf(buf, sizeof(buf), "%04d%02d%02d",
                    static_cast<int>(day.year()), day.month(), day.day());
  return std::string(buf, static_cast<size_t>(n));
}

absl::StatusOr<absl::CivilDay> ParseDateKey(std::string_view text,
                                            std::string_view what) {
  if (text.size() != kDateSize ||
      !std::all_of(text.begin(), text.end(),
                   [](char c) { return c >= '0' && c <= '9'; })) {
    return Corrupt(what, "not a YYYYMMDD date");
  }
  auto number = [&](size_t from, size_t len) {
    int n = 0;
    for (size_t i = from; i < from + len; ++i) n = n * 10 + (text[i] - '0');
    return n;
  };
  const int y = number(0, 4), m = number(4, 2), d = number(6, 2);
  const absl::CivilDay day(y, m, d);
  if (day.year() != y || day.month() != m || day.day() != d) {
    return Corrupt(what, "not a real day");
  }
  return day;
}

std::string ClockPrefix(std::string_view la_code, std::string_view clock_id) {
  std::string key;
  key.reserve(la_code.size() + clock_id.size() + 1);
  key.append(la_code);
  key.append(clock_id);
  key.push_back('\0');
  return key;
}

std::string RowKey(std::string_view la_code, std::string_view clock_id,
                   absl::CivilDay date, std::string_view case_id,
                   std::string_view instance) {
  std::string key = ClockPrefix(la_code, clock_id);
  key.append(DateKey(date));
  key.append(case_id);
  key.push_back('\0');
  key.append(instance);
  return key;
}

absl::StatusOr<RowKeyParts> ParseRowKey(std::string_view key) {
  RowKeyParts parts;
  if (key.size() < kLaCodeSize) return Corrupt("row key", "too short");
  parts.la_code = std::string(key.substr(0, kLaCodeSize));
  const size_t clock_end = key.find('\0', kLaCodeSize);
  if (clock_end == std::string_view::npos) {
    return Corrupt("row key", "no clock id terminator");
  }
  parts.clock_id =
      std::string(key.substr(kLaCodeSize, clock_end - kLaCodeSize));
  const size_t date_at = clock_end + 1;
  if (key.size() < date_at + kDateSize) return Corrupt("row key", "no date");
  absl::StatusOr<absl::CivilDay> date =
      ParseDateKey(key.substr(date_at, kDateSize), "row key date");
  if (!date.ok()) return date.status();
  parts.date = *date;
  const size_t case_at = date_at + kDateSize;
  const size_t case_end = key.find('\0', case_at);
  if (case_end == std::string_view::npos || case_end == case_at) {
    return Corrupt("row key", "no case id");
  }
  parts.case_id = std::string(key.substr(case_at, case_end - case_at));
  parts.instance = std::string(key.substr(case_end + 1));
  return parts;
}

std::string EncodeRowSummary(const RowSummary& summary) {
  std::string out;
  out.reserve(1 + 3 * kDateSize);
  out.push_back(StatusLetter(summary.status));
  out.append(DateKey(summary.trigger));
  out.append(DateKey(summary.due));
  out.append(OptionalDateKey(summary.stop));
  return out;
}

absl::StatusOr<RowSummary> DecodeRowSummary(std::string_view bytes) {
  if (bytes.size() != 1 + 3 * kDateSize) {
    return Corrupt("row summary",
                   absl::StrCat("expected 25 bytes, found ", bytes.size()));
  }
  RowSummary summary;
  std::optional<ClockStatus> status = StatusFromLetter(bytes[0]);
  if (!status) return Corrupt("row summary", "unknown status letter");
  summary.status = *status;
  absl::StatusOr<absl::CivilDay> trigger =
      ParseDateKey(bytes.substr(1, kDateSize), "row summary trigger");
  if (!trigger.ok()) return trigger.status();
  summary.trigger = *trigger;
  absl::StatusOr<absl::CivilDay> due =
      ParseDateKey(bytes.substr(1 + kDateSize, kDateSize), "row summary due");
  if (!due.ok()) return due.status();
  summary.due = *due;
  absl::StatusOr<std::optional<absl::CivilDay>> stop = ParseOptionalDateKey(
      bytes.substr(1 + 2 * kDateSize, kDateSize), "row summary stop");
  if (!stop.ok()) return stop.status();
  summary.stop = *stop;
  return summary;
}

std::string EncodeCaseEntry(const CaseEntry& entry) {
  return entry.la_code + StageCode(entry.stage);
}

absl::StatusOr<CaseEntry> DecodeCaseEntry(std::string_view bytes) {
  if (bytes.size() != kLaCodeSize + kStageCodeSize) {
    return Corrupt("case entry", "not a 9-byte LA code and a 2-digit stage");
  }
  absl::StatusOr<v1::CaseStage> stage =
      ParseStageCode(bytes.substr(kLaCodeSize), "case entry stage");
  if (!stage.ok()) return stage.status();
  return CaseEntry{.la_code = std::string(bytes.substr(0, kLaCodeSize)),
                   .stage = *stage};
}

std::string StageCode(v1::CaseStage stage) {
  const int n = static_cast<int>(stage);
  return {static_cast<char>('0' + n / 10 % 10), static_cast<char>('0' + n % 10)};
}

absl::StatusOr<v1::CaseStage> ParseStageCode(std::string_view text,
                                             std::string_view what) {
  if (text.size() != kStageCodeSize || text[0] < '0' || text[0] > '9' ||
      text[1] < '0' || text[1] > '9') {
    return Corrupt(what, "not a 2-digit stage");
  }
  const int n = (text[0] - '0') * 10 + (text[1] - '0');
  if (n == v1::CASE_STAGE_UNSPECIFIED || !v1::CaseStage_IsValid(n)) {
    return Corrupt(what, "not a stage");
  }
  return static_cast<v1::CaseStage>(n);
}

std::string RefPrefix(std::string_view la_code,
                      std::string_view case_reference) {
  std::string key;
  key.reserve(la_code.size() + case_reference.size() + 1);
  key.append(la_code);
  key.append(case_reference);
  key.push_back('\0');
  return key;
}

std::string RefKey(std::string_view la_code, std::string_view case_reference,
                   std::string_view case_id) {
  std::string key = RefPrefix(la_code, case_reference);
  key.append(case_id);
  return key;
}

absl::StatusOr<RefKeyParts> ParseRefKey(std::string_view key) {
  if (key.size() < kLaCodeSize) return Corrupt("reference key", "too short");
  const size_t end = key.find('\0', kLaCodeSize);
  if (end == std::string_view::npos || end == kLaCodeSize ||
      end + 1 == key.size()) {
    return Corrupt("reference key", "no reference or no case id");
  }
  RefKeyParts parts;
  parts.la_code = std::string(key.substr(0, kLaCodeSize));
  parts.case_reference =
      std::string(key.substr(kLaCodeSize, end - kLaCodeSize));
  parts.case_id = std::string(key.substr(end + 1));
  return parts;
}

std::string StageKey(std::string_view la_code, v1::CaseStage stage,
                     std::string_view case_id) {
  std::string key(la_code);
  key.append(StageCode(stage));
  key.append(case_id);
  return key;
}

absl::StatusOr<StageKeyParts> ParseStageKey(std::string_view key) {
  if (key.size() <= kLaCodeSize + kStageCodeSize) {
    return Corrupt("stage key", "too short");
  }
  StageKeyParts parts;
  parts.la_code = std::string(key.substr(0, kLaCodeSize));
  absl::StatusOr<v1::CaseStage> stage =
      ParseStageCode(key.substr(kLaCodeSize, kStageCodeSize), "stage key");
  if (!stage.ok()) return stage.status();
  parts.stage = *stage;
  parts.case_id = std::string(key.substr(kLaCodeSize + kStageCodeSize));
  return parts;
}

std::string DueKey(std::string_view la_code, absl::CivilDay due,
                   std::string_view case_id, std::string_view clock_id,
                   std::string_view instance) {
  std::string key(la_code);
  key.append(DateKey(due));
  key.append(case_id);
  key.push_back('\0');
  key.append(clock_id);
  key.push_back('\0');
  key.append(instance);
  return key;
}

absl::StatusOr<DueKeyParts> ParseDueKey(std::string_view key) {
  if (key.size() < kLaCodeSize + kDateSize) return Corrupt("due key", "too short");
  DueKeyParts parts;
  parts.la_code = std::string(key.substr(0, kLaCodeSize));
  absl::StatusOr<absl::CivilDay> due =
      ParseDateKey(key.substr(kLaCodeSize, kDateSize), "due key date");
  if (!due.ok()) return due.status();
  parts.due = *due;
  const size_t case_at = kLaCodeSize + kDateSize;
  const size_t case_end = key.find('\0', case_at);
  if (case_end == std::string_view::npos || case_end == case_at) {
    return Corrupt("due key", "no case id");
  }
  const size_t clock_end = key.find('\0', case_end + 1);
  if (clock_end == std::string_view::npos || clock_end == case_end + 1) {
    return Corrupt("due key", "no clock id");
  }
  parts.case_id = std::string(key.substr(case_at, case_end - case_at));
  parts.clock_id =
      std::string(key.substr(case_end + 1, clock_end - case_end - 1));
  parts.instance = std::string(key.substr(clock_end + 1));
  return parts;
}

std::string EncodeLaEntry(const LaEntry& entry) {
  return OptionalDateKey(entry.first_day) + ::ehcp::BigEndian64(entry.cases);
}

absl::StatusOr<LaEntry> DecodeLaEntry(std::string_view bytes) {
  if (bytes.size() != kDateSize + 8) {
    return Corrupt("LA entry",
                   absl::StrCat("expected 16 bytes, found ", bytes.size()));
  }
  LaEntry entry;
  absl::StatusOr<std::optional<absl::CivilDay>> first =
      ParseOptionalDateKey(bytes.substr(0, kDateSize), "LA entry first day");
  if (!first.ok()) return first.status();
  entry.first_day = *first;
  absl::StatusOr<uint64_t> cases = ::ehcp::DecodeBigEndian64(
      bytes.substr(kDateSize), "clock index: LA entry case count");
  if (!cases.ok()) return cases.status();
  entry.cases = *cases;
  return entry;
}

std::optional<absl::CivilDay> LateFrom(const domain::ClockRow& final_row) {
  const domain::ClockRule* rule =
      domain::FindClockRule(final_row.clock_id, final_row.trigger);
  if (rule == nullptr || !final_row.due) return std::nullopt;
  const ClockStatus status = final_row.status;
  switch (rule->kind) {
    case domain::ClockKind::kWindow:
      return std::nullopt;
    case domain::ClockKind::kComplianceCheck:
      if (status == ClockStatus::kBreached && final_row.stop) {
        return *final_row.stop;
      }
      return std::nullopt;
    case domain::ClockKind::kDeadline:
      break;
  }
  if (!rule->overdue_when_open_past_due) {
    // Open past due it stays PENDING: late only from a late stop on.
    if ((status == ClockStatus::kBreached || status == ClockStatus::kExcused) &&
        final_row.stop) {
      return *final_row.stop;
    }
    return std::nullopt;
  }
  if (status == ClockStatus::kMet || status == ClockStatus::kPending) {
    return std::nullopt;
  }
  return *final_row.due + 1;
}

bool IndexedAsStopped(const domain::ClockRow& final_row) {
  return final_row.stop.has_value() &&
         (final_row.clock_id == "final_plan_20w" ||
          final_row.clock_id == "decision_to_assess");
}

bool IndexedAsDue(const domain::ClockRow& final_row) {
  const domain::ClockRule* rule =
      domain::FindClockRule(final_row.clock_id, final_row.trigger);
  return rule != nullptr && rule->kind == domain::ClockKind::kDeadline &&
         final_row.due.has_value() &&
         (!final_row.stop || *final_row.stop > final_row.trigger);
}

}  // namespace ehcp::projections::index_format
