// Keys and values of the clock index (clock_index.h). projections/FORMAT.md
// is the prose specification of these bytes, with a worked example; this
// header is the one place that writes and parses them.
//
//   late     la_code clock_id 0x00 YYYYMMDD case_id 0x00 instance -> RowSummary
//   stopped  la_code clock_id 0x00 YYYYMMDD case_id 0x00 instance -> RowSummary
//   cases    case_id                                               -> CaseEntry
//   las      la_code                                               -> LaEntry
//   refs     la_code case_reference 0x00 case_id                   -> ""
//   stages   la_code SS case_id                                    -> case_reference
//   due      la_code YYYYMMDD case_id 0x00 clock_id 0x00 instance  -> RowSummary
//   meta     "format_version" | "checkpoint" | "indexed_cases" |
//            "rebuild_until"                                       -> BE64
//
// Thread safety: pure functions.
#ifndef EHCP_PROJECTIONS_INTERNAL_INDEX_FORMAT_H_
#define EHCP_PROJECTIONS_INTERNAL_INDEX_FORMAT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "domain/clocks.h"
#include "ehcp/v1/types.pb.h"

namespace ehcp::projections::index_format {

// Bumped whenever a key or value changes meaning; an index of another
// version is refused (FAILED_PRECONDITION) and must be rebuilt.
inline constexpr uint64_t kFormatVersion = 3;

inline constexpr char kLateFamily[] = "late";
inline constexpr char kStoppedFamily[] = "stopped";
inline constexpr char kCasesFamily[] = "cases";
inline constexpr char kLasFamily[] = "las";
inline constexpr char kMetaFamily[] = "meta";
inline constexpr char kRefsFamily[] = "refs";
inline constexpr char kStagesFamily[] = "stages";
inline constexpr char kDueFamily[] = "due";

inline constexpr char kFormatVersionKey[] = "format_version";
inline constexpr char kCheckpointKey[] = "checkpoint";
inline constexpr char kIndexedCasesKey[] = "indexed_cases";
inline constexpr char kRebuildUntilKey[] = "rebuild_until";

// ONS codes are exactly this long ("E06000035"), so a key needs no separator
// after the LA code.
inline constexpr size_t kLaCodeSize = 9;

// The "final" evaluation date: every clock's rows as of the end of the
// representable calendar (dates.h parses years up to 2199).
inline constexpr absl::CivilDay kFarFuture = domain::kEndOfTime;

// Every key of the index starts with a byte below this one (LA codes start
// with 'E', case ids and meta keys are printable ASCII), so
// [kMinKey, kMaxKeyBound) covers a whole family (Rebuild's DeleteRange).
inline constexpr char kMinKey[] = "";
inline constexpr char kMaxKeyBound[] = "\xff";

// "YYYYMMDD" (8 ASCII digits: sorts as dates for years 1000–9999).
std::string DateKey(absl::CivilDay day);
// DATA_LOSS naming `what` unless `text` is 8 digits of a real day.
absl::StatusOr<absl::CivilDay> ParseDateKey(std::string_view text,
                                            std::string_view what);

// la_code clock_id 0x00: every key of one LA and clock starts with it.
std::string ClockPrefix(std::string_view la_code, std::string_view clock_id);

// ClockPrefix + YYYYMMDD + case_id + 0x00 + instance. The case id (a log
// stream id) is printable ASCII and never contains 0x00; the instance is
// last and needs no terminator.
std::string RowKey(std::string_view la_code, std::string_view clock_id,
                   absl::CivilDay date, std::string_view case_id,
                   std::string_view instance);

struct RowKeyParts {
  std::string la_code;
  std::string clock_id;
  absl::CivilDay date;
  std::string case_id;
  std::string instance;
};
// DATA_LOSS when `key` is not a RowKey.
absl::StatusOr<RowKeyParts> ParseRowKey(std::string_view key);

// What the index remembers of a row evaluated as of kFarFuture: enough to
// narrow queries and bound their sort keys without reading the case.
struct RowSummary {
  domain::ClockStatus status = domain::ClockStatus::kPending;
  absl::CivilDay trigger;
  absl::CivilDay due;
  std::optional<absl::CivilDay> stop;

  bool operator==(const RowSummary&) const = default;
};
// 25 bytes: status letter (P M B O E N), trigger, due, stop ("--------"
// when none), dates as YYYYMMDD.
std::string EncodeRowSummary(const RowSummary& summary);
absl::StatusOr<RowSummary> DecodeRowSummary(std::string_view bytes);

// The per-case entry: the case is indexed, under this LA, and its stage
// (domain::CaseState::stage) as of the checkpoint — what the writer must
// delete from `stages` when the stage changes. (The writer knows a case's
// old row keys from its clock rows, case_model.h, so the entry does not
// list them.)
struct CaseEntry {
  std::string la_code;
  v1::CaseStage stage = v1::CASE_STAGE_OPENED;

  bool operator==(const CaseEntry&) const = default;
};
// la_code (9 bytes), then StageCode (2 bytes).
std::string EncodeCaseEntry(const CaseEntry& entry);
absl::StatusOr<CaseEntry> DecodeCaseEntry(std::string_view bytes);

// A stage as two ASCII digits, its number in ehcp.v1.CaseStage ("07" for
// CASE_STAGE_PLAN_MAINTAINED): fixed width, so keys need no separator and
// sort by stage.
std::string StageCode(v1::CaseStage stage);
// DATA_LOSS naming `what` unless `text` is two digits of a defined stage
// other than UNSPECIFIED.
absl::StatusOr<v1::CaseStage> ParseStageCode(std::string_view text,
                                             std::string_view what);

// refs: la_code case_reference 0x00 — every key of one reference in one LA
// starts with it (a reference is printable ASCII, never 0x00).
std::string RefPrefix(std::string_view la_code,
                      std::string_view case_reference);
// RefPrefix + case_id.
std::string RefKey(std::string_view la_code, std::string_view case_reference,
                   std::string_view case_id);
struct RefKeyParts {
  std::string la_code;
  std::string case_reference;
  std::string case_id;
};
// DATA_LOSS when `key` is not a RefKey.
absl::StatusOr<RefKeyParts> ParseRefKey(std::string_view key);

// stages: la_code StageCode case_id. The prefix of one LA and stage is
// la_code + StageCode.
std::string StageKey(std::string_view la_code, v1::CaseStage stage,
                     std::string_view case_id);
struct StageKeyParts {
  std::string la_code;
  v1::CaseStage stage = v1::CASE_STAGE_UNSPECIFIED;
  std::string case_id;
};
// DATA_LOSS when `key` is not a StageKey.
absl::StatusOr<StageKeyParts> ParseStageKey(std::string_view key);

// due: la_code YYYYMMDD case_id 0x00 clock_id 0x00 instance. All keys of
// one LA are ordered by due date, then case id, so "due in [F, T]" is one
// range scan from la_code F to la_code (T+1).
std::string DueKey(std::string_view la_code, absl::CivilDay due,
                   std::string_view case_id, std::string_view clock_id,
                   std::string_view instance);
struct DueKeyParts {
  std::string la_code;
  absl::CivilDay due;
  std::string case_id;
  std::string clock_id;
  std::string instance;
};
// DATA_LOSS when `key` is not a DueKey.
absl::StatusOr<DueKeyParts> ParseDueKey(std::string_view key);

// The per-LA entry: the earliest occurred_on of any event of the LA's cases
// (the as_of floor of its reports) and how many cases it has.
struct LaEntry {
  std::optional<absl::CivilDay> first_day;
  uint64_t cases = 0;

  bool operator==(const LaEntry&) const = default;
};
// YYYYMMDD ("--------" when unknown), then BE64(cases): 16 bytes.
std::string EncodeLaEntry(const LaEntry& entry);
absl::StatusOr<LaEntry> DecodeLaEntry(std::string_view bytes);

// The first evaluation date on which `final_row` (a row as of kFarFuture)
// can be late (BREACHED, OVERDUE or EXCUSED), or nullopt when it never can:
//   - deadline clocks that go OVERDUE when open past due: due + 1 unless the
//     final status is MET or PENDING (a row stopped on or before its due
//     date is never late). NOT_APPLICABLE rows are kept: the route may have
//     closed them only after they were overdue, and their closing date is
//     not in the row.
//   - deadline clocks that stay PENDING past due (decision_not_to_issue):
//     the stop date, when stopped late.
//   - compliance checks (premature_final_plan, preparing_for_adulthood):
//     the stop date, when BREACHED.
//   - windows (draft_representations): never.
std::optional<absl::CivilDay> LateFrom(const domain::ClockRow& final_row);

// True for the rows the `stopped` family holds: final_plan_20w and
// decision_to_assess rows with a stop (the SEN2 timeliness cohorts).
bool IndexedAsStopped(const domain::ClockRow& final_row);

// True for the rows the `due` family holds: rows of deadline clocks
// (rules.h ClockKind::kDeadline) with a due date that are open on some
// evaluation date — no stop, or a stop after the trigger. As of a date D
// such a row is open exactly when its trigger is on or before D and its
// final stop, if any, is after D (NOT_APPLICABLE rows, which carry no stop,
// are kept: the domain decides).
bool IndexedAsDue(const domain::ClockRow& final_row);

}  // namespace ehcp::projections::index_format

#endif  // EHCP_PROJECTIONS_INTERNAL_INDEX_FORMAT_H_
