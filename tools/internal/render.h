// What ehcpctl prints: events, case states, append results, clocks and the
// clock reports as plain text tables and lines, or as protobuf JSON.
//
// Text is for people at a terminal: events are named in words ("final plan
// issued"), enum values by the words of docs/law.md §8
// ("reg10_4_c", "primary_to_secondary", "maintain"), clock statuses as §2
// writes them ("BREACHED", "NOT_APPLICABLE"), timestamps in UTC.
// Scripts should use the JSON forms, which are protobuf's JSON mapping
// (lowerCamelCase names, enum names as in the proto, int64 as strings).
//
//   Table t({"VER", "EVENT"});
//   t.AddRow({"1", "case opened"});
//   std::cout << t.Render();
//   // VER  EVENT
//   // ---  -----------
//   // 1    case opened
//
// Thread safety: pure functions; a Table is a plain value.
#ifndef EHCP_TOOLS_INTERNAL_RENDER_H_
#define EHCP_TOOLS_INTERNAL_RENDER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "ehcp/v1/alert_service.pb.h"
#include "ehcp/v1/case_service.pb.h"
#include "ehcp/v1/clock_service.pb.h"
#include "ehcp/v1/events.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"

namespace ehcp::tools {

namespace v1 = ::ehcp::v1;

// A left-aligned text table: a header row, a rule of dashes (under the
// last column at most 40 wide, as it often holds long free text), then the
// rows; columns two spaces apart, no trailing spaces. Widths count UTF-8
// code points. Control characters in cells (newlines, tabs) print as
// spaces, so one row is always one line.
class Table {
 public:
  explicit Table(std::vector<std::string> headers);

  // Adds a row. Missing trailing cells are empty; cells beyond the
  // headers are dropped.
  void AddRow(std::vector<std::string> cells);

  size_t rows() const { return rows_.size(); }

  // The table, each line ending in '\n'.
  std::string Render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// The words of an enum value: its name without the enum's prefix (the
// name of its zero value less "UNSPECIFIED"), in lower case, with '_' as
// spaces unless `keep_underscores`:
//   REVIEW_OUTCOME_MAINTAIN -> "maintain"
//   ADVICE_BODY_EDUCATIONAL_PSYCHOLOGIST -> "educational psychologist"
//   EXCEPTION_LIMB_REG10_4_C (keep) -> "reg10_4_c"
// A number the enum does not define -> "unknown (N)".
std::string EnumWords(const google::protobuf::EnumDescriptor* type, int value,
                      bool keep_underscores = false);

// What kind of fact, in words: the payload's field name with spaces
// ("request received", "final plan issued"); "no payload" when unset.
std::string EventKindWords(const v1::EventPayload& payload);

// The key details of an event in one line, e.g. "EP1 from educational
// psychologist", "reg10_4_c for final_plan_20w: <reason>", "maintain",
// "placement Oak Academy (secondary)"; a supersede is prefixed
// "supersedes <event id>; ". Empty when the kind has no details.
std::string EventDetails(const v1::Event& event);

// A timestamp as "YYYY-MM-DD HH:MM:SSZ" (UTC, whole seconds); "-" when
// unset.
std::string FormatTimestamp(const google::protobuf::Timestamp& t);

// The events of one case as a table: VER, POS, OCCURRED, RECORDED, EVENT,
// DETAILS.
std::string EventsTable(absl::Span<const v1::Event> events);

// A case's state as "label  value" lines: identity, version, stage, plan,
// who notices go to, key dates ("-" when none), open advice, voided count.
std::string CaseStateText(const v1::CaseState& state);

// One line for `tail`: position, occurred_on, case id and version, kind,
// details; no trailing newline.
std::string TailLine(const v1::Event& event);

// An alert kind as alert_service.proto names it without its prefix:
// "DUE_SOON", "BREACHED", "RESOLVED", "WITHDRAWN"; "unknown (N)" otherwise.
std::string AlertKindName(v1::AlertKind kind);

// One line for `alerts`: sequence, day raised, kind, council, reference,
// clock and instance, due date, days (left for DUE_SOON, late for
// BREACHED and RESOLVED), case id; no trailing newline, e.g.
//   "#12  2025-03-04  BREACHED   E06000035  MED-2001  final_plan_20w#1
//    due 2025-03-03  1 day late  E06000035-0123456789abcdef"
std::string AlertLine(const v1::Alert& alert);

// The result of an append: what was written (or replayed), then one line
// per event with its version, position, date and kind.
std::string AppendText(const v1::AppendEventsResponse& response);

// A clock status as docs/law.md §2 writes it: "PENDING", "MET",
// "BREACHED", "OVERDUE", "EXCUSED", "NOT_APPLICABLE"; "unspecified" for 0,
// "unknown (N)" for a number the enum does not define.
std::string ClockStatusName(v1::ClockStatus status);

// The days of a clock, for its DAYS column: days late ("4") when BREACHED,
// OVERDUE or EXCUSED; while PENDING the days left ("in 12"), "today" on
// its due date, or "3 ago" for a clock that stays PENDING past its due
// date (decision_not_to_issue); "-" otherwise.
std::string ClockDays(const v1::Clock& clock);

// A council for headings: "all councils" for "", "E06000035 (Medway)" for
// a seed council, else the code.
std::string CouncilWords(absl::string_view la_code);

// `clocks`: the heading "Clocks of CASE as of DATE (case version N):" (with
// ", as known at YYYY-MM-DD HH:MM:SSZ" before the ")" when `as_known_at` is
// set), then a table CLOCK, INSTANCE, TRIGGER, DUE, STOP, STATUS, DAYS,
// EXCUSED BY (the exception's limb), or "no clocks" when there are none.
std::string CaseClocksText(absl::string_view case_id,
                           const v1::GetCaseClocksResponse& response,
                           const google::protobuf::Timestamp& as_known_at);

// `replay`: the heading "Replay of CASE, COUNCIL, as of DATE[, as known at
// T]:" and a line saying how many entries follow and what was left out
// (events recorded later, events that occurred after the date).
std::string ReplayHeaderText(const v1::ReplayHeader& header);

// One entry of `replay`: "#STEP  OCCURRED  KIND[: DETAILS]  (recorded DATE,
// LAG; vN)"; for a void or a superseding event, the event it takes out on
// the next line; a removed event is marked with the correction that took
// it out; then one line per clock the entry started ("+ clock instance:
// STATUS, due DATE"), changed ("clock instance: OLD -> NEW ...") or took
// away ("- clock instance"), against `previous`, the clocks after the
// entry before (statuses, stops and due dates; the days counting on are
// not a change).
std::string ReplayEntryText(
    const v1::ReplayEntry& entry,
    const google::protobuf::RepeatedPtrField<v1::Clock>& previous);

// `breaches`: a table CASE, REF (the council's reference), LA, CLOCK,
// INSTANCE, DUE, STOP, STATUS, DAYS LATE (as ClockDays), one row per clock
// in the order given; "" for none.
std::string BreachesTable(
    const google::protobuf::RepeatedPtrField<v1::Clock>& clocks);

// `backlog`: the heading "Review backlog as of DATE, COUNCIL:", then a
// table of one row per clock: CLOCK, a column per bucket (the buckets in
// the order the response gives them) and TOTAL. With `cases`, then for
// each clock with overdue entries "CLOCK: N overdue" and a table BUCKET,
// CASE, REF, LA, INSTANCE, DUE, DAYS OVERDUE, EXCUSED ("yes" or empty).
std::string BacklogText(const v1::GetReviewBacklogResponse& response,
                        bool cases);

// A case stage in words: "plan maintained", "awaiting decision".
std::string StageWords(v1::CaseStage stage);

// `find` and `cases`: a table CASE, REF, LA, STAGE (as StageWords), one row
// per case in the order given; "" for none.
std::string CasesTable(
    const google::protobuf::RepeatedPtrField<v1::CaseSummary>& cases);

// `due`: the heading "Open deadlines due FROM to TO, as of DATE, COUNCIL:"
// then a table CASE, REF, LA, CLOCK, INSTANCE, DUE, STATUS, DAYS (as
// ClockDays), one row per clock in the order given, or "nothing due" when
// there are none.
std::string DeadlinesText(const v1::ListDeadlinesResponse& response,
                          absl::string_view la_code);

// `timeliness`: the heading "SEN2 timeliness YEAR, COUNCIL:", then
// "label  value" lines: plans issued, within 20 weeks including and
// excluding exceptions ("7 of 12 (58.3%)"), plans with an exception, mean
// weeks ("-" when none), over 52 weeks, and 6-week decisions including and
// excluding exceptions.
std::string TimelinessText(const v1::GetTimelinessResponse& response);

// `projection`: "label  value" lines: checkpoint, head, lag ("0 (up to
// date)" or "5 events"), indexed cases.
std::string ProjectionStatusText(
    const v1::GetProjectionStatusResponse& response);

// `rebuild`: one line saying what the rebuild reached: events read, cases
// indexed, the log position.
std::string RebuildText(const v1::RebuildProjectionsResponse& response);
// A rebuild's progress, one line: "indexing: 1200 of 5000 events (24%),
// 800 events/s, about 5 s left".
std::string RebuildProgressText(const v1::RebuildProgress& progress);

// The server's background verification of the log's hash chain: "intact
// (verified 1-N since start)", "verifying since start: X of N", "NOT
// INTACT at position P: …", or "not verified".
std::string LogVerificationText(const v1::LogVerification& verification);

// "verifying: 40000 of 125000 records (32%), 180000 records/s".
std::string VerifyProgressText(const v1::VerifyLogResponse& progress);

// The verdict of `ehcpctl verify`, one or two lines: "intact: positions
// 1-125000 verified" (and, with a digest, that it matches), or "NOT
// INTACT: position 17: <problem>".
std::string VerifyVerdictText(const v1::VerifyLogResponse& verdict,
                              const std::string& against);

// `message` in protobuf's JSON mapping, indented when `pretty` (a newline
// ends pretty output), else on one line. INTERNAL if protobuf cannot print
// it (it can for every ehcp.v1 message).
absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message,
                                   bool pretty);

// `show --json`: one indented object {"events": [...], "state": {...}}
// ending in a newline, each part in protobuf's JSON mapping.
absl::StatusOr<std::string> ShowJson(absl::Span<const v1::Event> events,
                                     const v1::CaseState& state);

}  // namespace ehcp::tools

#endif  // EHCP_TOOLS_INTERNAL_RENDER_H_
