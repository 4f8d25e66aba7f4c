#include "projections/internal/alert_format.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/big_endian.h"
#include "projections/internal/index_format.h"

namespace ehcp::projections::alert_format {
namespace {

constexpr char kNoDate[] = "--------";
constexpr size_t kDateSize = 8;

absl::Status Corrupt(std::string_view what, std::string_view why) {
  return absl::DataLossError(absl::StrCat("alert log: ", std::string(what),
                                          " is damaged (", std::string(why),
                                          ")"));
}

std::string OptionalDate(const std::optional<absl::CivilDay>& day) {
  return day ? index_format::DateKey(*day) : std::string(kNoDate);
}

absl::StatusOr<std::optional<absl::CivilDay>> ParseOptionalDate(
    std::string_view text, std::string_view what) {
  if (text == kNoDate) return std::optional<absl::CivilDay>();
  absl::StatusOr<absl::CivilDay> day = index_format::ParseDateKey(text, what);
  if (!day.ok()) return Corrupt(what, "not a date");
  return std::optional<absl::CivilDay>(*day);
}

char KindLetter(AlertKind kind) {
  switch (kind) {
    case AlertKind::kDueSoon:
      return 'D';
    case AlertKind::kBreached:
      return 'B';
    case AlertKind::kResolved:
      return 'R';
    case AlertKind::kWithdrawn:
      return 'W';
  }
  return '?';
}

std::optional<AlertKind> KindOfLetter(char letter) {
  switch (letter) {
    case 'D':
      return AlertKind::kDueSoon;
    case 'B':
      return AlertKind::kBreached;
    case 'R':
      return AlertKind::kResolved;
    case 'W':
      return AlertKind::kWithdrawn;
    default:
      return std::nullopt;
  }
}

void PutString(std::string* out, std::string_view s) {
  PutBigEndian(out, s.size(), 2);
  out->append(s);
}

// Reads a BE16-prefixed string from the front of *in.
bool TakeString(std::string_view* in, std::string* out) {
  if (in->size() < 2) return false;
  const size_t size = ReadBigEndian(in->substr(0, 2));
  in->remove_prefix(2);
  if (in->size() < size) return false;
  out->assign(in->substr(0, size));
  in->remove_prefix(size);
  return true;
}

}  // namespace

std::string EncodeInstanceState(const InstanceState& state) {
  std::string out(1, static_cast<char>(state.flags));
  out.append(OptionalDate(state.due));
  return out;
}

absl::StatusOr<InstanceState> DecodeInstanceState(std::string_view bytes) {
  if (bytes.size() != 1 + kDateSize) {
    return Corrupt("an instance entry", "not 9 bytes");
  }
  InstanceState state;
  state.flags = static_cast<uint8_t>(bytes[0]);
  if (state.flags >= 32) return Corrupt("an instance entry", "unknown flags");
  absl::StatusOr<std::optional<absl::CivilDay>> due =
      ParseOptionalDate(bytes.substr(1), "an instance entry's due date");
  if (!due.ok()) return due.status();
  state.due = *due;
  return state;
}

std::string InstanceKey(std::string_view case_id, std::string_view clock_id,
                        std::string_view instance) {
  std::string key = InstancePrefix(case_id);
  key.append(clock_id);
  key.push_back('\0');
  key.append(instance);
  return key;
}

std::string InstancePrefix(std::string_view case_id) {
  std::string key(case_id);
  key.push_back('\0');
  return key;
}

absl::StatusOr<InstanceKeyParts> ParseInstanceKey(std::string_view key) {
  const size_t first = key.find('\0');
  const size_t second =
      first == std::string_view::npos ? first : key.find('\0', first + 1);
  if (first == 0 || second == std::string_view::npos || second == first + 1) {
    return Corrupt("an instance key", "not case 0x00 clock 0x00 instance");
  }
  return InstanceKeyParts{
      std::string(key.substr(0, first)),
      std::string(key.substr(first + 1, second - first - 1)),
      std::string(key.substr(second + 1))};
}

std::string WakeKey(absl::CivilDay day, std::string_view case_id) {
  return absl::StrCat(index_format::DateKey(day), std::string(case_id));
}

absl::StatusOr<WakeKeyParts> ParseWakeKey(std::string_view key) {
  if (key.size() <= kDateSize) return Corrupt("a wake key", "too short");
  absl::StatusOr<absl::CivilDay> day =
      index_format::ParseDateKey(key.substr(0, kDateSize), "a wake key");
  if (!day.ok()) return Corrupt("a wake key", "no date");
  return WakeKeyParts{*day, std::string(key.substr(kDateSize))};
}

std::string SequenceKey(uint64_t sequence) { return BigEndian64(sequence); }

std::string EncodeAlert(const Alert& alert) {
  std::string out(1, KindLetter(alert.kind));
  out.append(index_format::DateKey(alert.day));
  out.append(OptionalDate(alert.due));
  PutBigEndian64(&out, alert.position);
  PutBigEndian64(&out,
                 static_cast<uint64_t>(static_cast<int64_t>(alert.days_late)));
  PutBigEndian64(
      &out, static_cast<uint64_t>(static_cast<int64_t>(alert.days_remaining)));
  PutString(&out, alert.case_id);
  PutString(&out, alert.case_reference);
  PutString(&out, alert.la_code);
  PutString(&out, alert.clock_id);
  PutString(&out, alert.instance);
  return out;
}

absl::StatusOr<Alert> DecodeAlert(uint64_t sequence, std::string_view bytes) {
  const std::string what = absl::StrCat("alert ", sequence);
  constexpr size_t kFixed = 1 + 2 * kDateSize + 3 * 8;
  if (bytes.size() < kFixed) return Corrupt(what, "too short");
  Alert alert;
  alert.sequence = sequence;
  std::optional<AlertKind> kind = KindOfLetter(bytes[0]);
  if (!kind) return Corrupt(what, "unknown kind");
  alert.kind = *kind;
  absl::StatusOr<absl::CivilDay> day =
      index_format::ParseDateKey(bytes.substr(1, kDateSize), what);
  if (!day.ok()) return Corrupt(what, "bad day");
  alert.day = *day;
  absl::StatusOr<std::optional<absl::CivilDay>> due =
      ParseOptionalDate(bytes.substr(1 + kDateSize, kDateSize), what);
  if (!due.ok()) return due.status();
  alert.due = *due;
  std::string_view rest = bytes.substr(1 + 2 * kDateSize);
  alert.position = ReadBigEndian(rest.substr(0, 8));
  alert.days_late =
      static_cast<int>(static_cast<int64_t>(ReadBigEndian(rest.substr(8, 8))));
  alert.days_remaining =
      static_cast<int>(static_cast<int64_t>(ReadBigEndian(rest.substr(16, 8))));
  rest.remove_prefix(24);
  if (!TakeString(&rest, &alert.case_id) ||
      !TakeString(&rest, &alert.case_reference) ||
      !TakeString(&rest, &alert.la_code) ||
      !TakeString(&rest, &alert.clock_id) ||
      !TakeString(&rest, &alert.instance) || !rest.empty()) {
    return Corrupt(what, "its identifiers do not decode");
  }
  return alert;
}

}  // namespace ehcp::projections::alert_format
