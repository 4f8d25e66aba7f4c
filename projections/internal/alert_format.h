// Keys and values of the alert log (alert_scheduler.h). projections/FORMAT.md
// ("Alert log") is the prose specification of these bytes; this header is
// the one place that writes and parses them.
//
//   alerts     BE64(sequence)                        -> Alert
//   instances  case_id 0x00 clock_id 0x00 instance   -> InstanceState
//   wakes      YYYYMMDD case_id                      -> ""
//   cases      case_id                               -> YYYYMMDD (its wake)
//   meta       "format_version" | "checkpoint" | "next_sequence"  -> BE64
//              "day" | "first_day"                                -> YYYYMMDD
//
// Thread safety: pure functions.
#ifndef EHCP_PROJECTIONS_INTERNAL_ALERT_FORMAT_H_
#define EHCP_PROJECTIONS_INTERNAL_ALERT_FORMAT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "projections/alert_scheduler.h"

namespace ehcp::projections::alert_format {

// Bumped whenever a key or value changes meaning. The alert log is history
// (what was announced, and when), not a projection: a log of another
// version is refused, never rebuilt.
inline constexpr uint64_t kFormatVersion = 1;

inline constexpr char kAlertsFamily[] = "alerts";
inline constexpr char kInstancesFamily[] = "instances";
inline constexpr char kWakesFamily[] = "wakes";
inline constexpr char kCasesFamily[] = "cases";
inline constexpr char kMetaFamily[] = "meta";

inline constexpr char kCheckpointKey[] = "checkpoint";
inline constexpr char kNextSequenceKey[] = "next_sequence";
inline constexpr char kDayKey[] = "day";
inline constexpr char kFirstDayKey[] = "first_day";

// What has been announced of one clock instance: one bit per alert kind
// (each is raised at most once), and whether BREACHED was raised while the
// clock was open (only such a breach is later RESOLVED).
enum InstanceFlag : uint8_t {
  kDueSoonRaised = 1,
  kBreachedRaised = 2,
  kBreachedWhileOpen = 4,
  kResolvedRaised = 8,
  kWithdrawnRaised = 16,
};

struct InstanceState {
  uint8_t flags = 0;
  // The due date last announced (for a WITHDRAWN alert, which has no row).
  std::optional<absl::CivilDay> due;

  bool operator==(const InstanceState&) const = default;
};
// flags (1 byte) then YYYYMMDD or "--------": 9 bytes.
std::string EncodeInstanceState(const InstanceState& state);
absl::StatusOr<InstanceState> DecodeInstanceState(std::string_view bytes);

// case_id 0x00 clock_id 0x00 instance; the prefix of every key of a case is
// case_id 0x00 (a case id never contains 0x00).
std::string InstanceKey(std::string_view case_id, std::string_view clock_id,
                        std::string_view instance);
std::string InstancePrefix(std::string_view case_id);
struct InstanceKeyParts {
  std::string case_id;
  std::string clock_id;
  std::string instance;
};
// DATA_LOSS when `key` is not an InstanceKey.
absl::StatusOr<InstanceKeyParts> ParseInstanceKey(std::string_view key);

// YYYYMMDD case_id: the cases to look at on a day, in day order.
std::string WakeKey(absl::CivilDay day, std::string_view case_id);
struct WakeKeyParts {
  absl::CivilDay day;
  std::string case_id;
};
absl::StatusOr<WakeKeyParts> ParseWakeKey(std::string_view key);

// BE64(sequence): alerts in sequence order.
std::string SequenceKey(uint64_t sequence);

// An alert without its sequence (the key holds it):
//   kind letter (D B R W), day, due (YYYYMMDD or "--------"),
//   BE64(position), BE64(days_late), BE64(days_remaining) (two's
//   complement), then case_id, case_reference, la_code, clock_id, instance,
//   each as BE16(length) and bytes.
std::string EncodeAlert(const Alert& alert);
// DATA_LOSS naming the sequence when the bytes do not decode.
absl::StatusOr<Alert> DecodeAlert(uint64_t sequence, std::string_view bytes);

}  // namespace ehcp::projections::alert_format

#endif  // EHCP_PROJECTIONS_INTERNAL_ALERT_FORMAT_H_
