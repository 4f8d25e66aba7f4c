// The alert scheduler: announces, once each, that a statutory clock is due
// soon, has been breached, has been resolved or was withdrawn — as the days
// pass, not only when events arrive — into a durable alert log with
// gap-free sequence numbers (docs/alerts.md).
//
// A deadline is breached because a day passes. The scheduler keeps its own
// "day" (the last day whose alerts it has raised) and log checkpoint; the
// server moves its target day forward (SetToday) from its clock, and the
// scheduler's thread raises, day by day and in order, what each day brings,
// and what each batch of new events changes on the current day. For every
// case it looks at, it evaluates the case's clocks as of its day from the
// case model (domain/case_model.h, shared with the append path and the
// clock index) and compares each clock instance with what was already
// announced of it:
//
//   DUE_SOON   an open deadline clock whose due date is at most its lead
//              time away (Options::lead_days), raised once, and not after a
//              breach;
//   BREACHED   a clock OVERDUE (open past due, no exception), or BREACHED
//              by a late stop or a failed compliance check on or after the
//              scheduler's first day (older history is in ListBreaches, not
//              announced);
//   RESOLVED   a clock announced BREACHED while open that is no longer
//              OVERDUE (stopped late, excused, or closed by the route);
//   WITHDRAWN  an instance already announced that a correction removed.
//
// Each kind is raised at most once per (case, clock, instance), ever. The
// alerts of one step, the per-instance record of what was announced, the
// next day to look at each case and the checkpoint (position and day) are
// written in one RocksDB WriteBatch (synced when it holds alerts), so a
// crash or a restart never repeats or skips an alert: the scheduler goes on
// from its checkpoint. The alert log is history, not a projection: it is
// not rebuilt from the event log (a rebuild of the clock index does not
// touch it); keep it in the backups with the log.
//
// Which cases a day concerns comes from the scheduler's own "wakes" keys:
// after each look at a case, the next day on which its clocks could change
// without a new event — a due-soon window opening, the day after a due
// date, a clock starting or stopping on a date already recorded — is
// stored, and a day's step looks only at the cases due a look that day.
//
//   AlertScheduler::Options options;
//   options.cases = &case_cache;
//   EHCP_ASSIGN_OR_RETURN(std::unique_ptr<AlertScheduler> alerts,
//                         AlertScheduler::Open(dir, log, today, options));
//   alerts->SetToday(today);                  // from the server's clock
//   EHCP_ASSIGN_OR_RETURN(AlertPage page, alerts->ListAlerts(1, {}, 100));
//
// Nothing here reads the wall clock: the day comes from SetToday.
//
// Thread safety: safe for concurrent use. One thread (the scheduler's own,
// or the callers of CatchUp, taking turns) writes; readers see only
// alerts whose batch has been written.
#ifndef EHCP_PROJECTIONS_ALERT_SCHEDULER_H_
#define EHCP_PROJECTIONS_ALERT_SCHEDULER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "storage/event_log.h"

namespace ehcp::cases {
class CaseCache;
}

namespace ehcp::projections {

enum class AlertKind {
  kDueSoon = 1,
  kBreached = 2,
  kResolved = 3,
  kWithdrawn = 4,
};

// "DUE_SOON", "BREACHED", "RESOLVED", "WITHDRAWN".
absl::string_view AlertKindName(AlertKind kind);
// The kind of a name as AlertKindName spells it; nullopt otherwise.
std::optional<AlertKind> AlertKindFromName(absl::string_view name);

// One announcement. No personal data: identifiers, dates and counts only.
struct Alert {
  // 1, 2, 3, … with no gaps, in the order raised.
  uint64_t sequence = 0;
  AlertKind kind = AlertKind::kDueSoon;
  // The scheduler day it was raised on (the clocks were evaluated as of it).
  absl::CivilDay day;
  // The log position the scheduler had read when it raised it.
  uint64_t position = 0;
  std::string case_id;
  // The council's own reference and LA, from the case's CaseOpened event.
  std::string case_reference;
  std::string la_code;
  // Catalogue clock id and instance (domain/clocks.h ClockRow).
  std::string clock_id;
  std::string instance;
  // The last compliant day (nullopt for a withdrawn row that had none).
  std::optional<absl::CivilDay> due;
  // As of `day`: days late (BREACHED, RESOLVED; domain §8 Days late) and
  // days remaining until due (DUE_SOON); otherwise 0.
  int days_late = 0;
  int days_remaining = 0;

  bool operator==(const Alert&) const = default;
};

// Which alerts a listing returns; empty fields match everything.
struct AlertFilter {
  std::string la_code;
  std::vector<std::string> clock_ids;
  std::vector<AlertKind> kinds;

  bool Matches(const Alert& alert) const;
};

struct AlertPage {
  // Matching alerts, in sequence order.
  std::vector<Alert> alerts;
  // Where the next listing of the same filter starts: one past the last
  // alert looked at (matching or not).
  uint64_t next_sequence = 1;
  // The last alert raised when the page was read (0: none yet).
  uint64_t last_sequence = 0;
};

// Where the scheduler stands.
struct SchedulerStatus {
  // The last day whose alerts are raised; the day it was first opened.
  absl::CivilDay day;
  absl::CivilDay first_day;
  // The day it is moving towards (SetToday).
  absl::CivilDay target_day;
  // The last log position reflected, and the log's head.
  uint64_t checkpoint = 0;
  uint64_t head = 0;
  // The last alert raised (0: none).
  uint64_t last_sequence = 0;
  // Alerts raised since the scheduler opened, by kind (index kind − 1).
  uint64_t raised_by_kind[4] = {0, 0, 0, 0};
  // The last error of the scheduler's thread (OK when its last step
  // succeeded); it retries every Options::poll_interval.
  absl::Status error;
};

class AlertScheduler {
 public:
  // Lead times, in days before the due date, of the DUE_SOON alert.
  struct LeadDays {
    // Per clock id; clocks not named take `other`. 0 turns DUE_SOON off.
    std::map<std::string, int> by_clock = {{"decision_to_assess", 14},
                                           {"final_plan_20w", 14},
                                           {"annual_review", 28},
                                           {"phase_transfer", 28}};
    int other = 7;

    int For(const std::string& clock_id) const;
  };

  struct Options {
    LeadDays lead_days;
    // Start a thread that raises alerts as the log and the target day
    // move: woken by the log's commits and by SetToday, and every
    // poll_interval in any case. Without it, only CatchUp moves it.
    bool start_thread = true;
    absl::Duration poll_interval = absl::Seconds(1);
    // Log records per step (1–10,000).
    size_t batch_size = 1000;
    // The case models shared with the append path; must outlive the
    // scheduler. nullptr: it keeps its own, of own_case_cache_bytes.
    cases::CaseCache* cases = nullptr;
    size_t own_case_cache_bytes = size_t{32} << 20;
  };

  // Opens the alert log in `dir` (created when missing, with `today` as its
  // first day and day), reading `log`, which must outlive the scheduler.
  // INVALID_ARGUMENT for an empty dir, a null log, a batch_size out of range
  // or a negative lead time; FAILED_PRECONDITION for a directory holding a
  // database that is not an alert log or one of another format version, or
  // an alert log whose checkpoint is past the log's head (the log lost
  // records, or the alert log belongs to another log: restore both from one
  // backup); DATA_LOSS when its metadata does not decode; UNAVAILABLE when
  // the directory is in use or the disk fails. With start_thread it starts
  // at once, catching up with the log and then with `today`.
  static absl::StatusOr<std::unique_ptr<AlertScheduler>> Open(
      const std::string& dir, storage::EventLog* log, absl::CivilDay today,
      const Options& options);

  AlertScheduler(const AlertScheduler&) = delete;
  AlertScheduler& operator=(const AlertScheduler&) = delete;
  // Calls Close().
  ~AlertScheduler();

  // Moves the target day to `today` if that is later (the day never moves
  // back: alerts once raised stay raised), and wakes the thread. Cheap;
  // never blocks on I/O.
  void SetToday(absl::CivilDay today);

  // On the calling thread: applies the log up to its head as of the call,
  // and raises the days up to the target day. OK when done; UNAVAILABLE
  // once closed; DATA_LOSS / RocksDB errors otherwise (what was written
  // stays written).
  absl::Status CatchUp();

  // Alerts from `from_sequence` (1 = the first) matching `filter`, looking
  // at no more than `max_scan` alerts and returning at most `max_alerts`.
  // INVALID_ARGUMENT for from_sequence 0, a malformed la_code, an unknown
  // clock id, or max_alerts / max_scan outside 1–10,000; UNAVAILABLE once
  // closed; DATA_LOSS when a stored alert does not decode.
  absl::StatusOr<AlertPage> ListAlerts(uint64_t from_sequence,
                                       const AlertFilter& filter,
                                       size_t max_alerts,
                                       size_t max_scan = 10000) const;

  // The last alert raised (0: none). Lock-free.
  uint64_t LastSequence() const;

  // Calls `raised(true)` once LastSequence() >= sequence — at once, on the
  // calling thread, if it already is — or `raised(false)` when the
  // scheduler closes first. Otherwise it runs on the scheduler's writing
  // thread: it must only hand work off. Returns a token for CancelNotify
  // (0 when it has already run).
  uint64_t NotifyAtSequence(uint64_t sequence,
                            absl::AnyInvocable<void(bool) &&> raised);
  // Drops a notification that has not run (true); false when it has run or
  // is running.
  bool CancelNotify(uint64_t token);

  SchedulerStatus Status() const;

  // Stops the thread (after its current step), runs pending notifications
  // with false, and closes the database. Idempotent.
  void Close();

 private:
  class Impl;
  explicit AlertScheduler(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ehcp::projections

#endif  // EHCP_PROJECTIONS_ALERT_SCHEDULER_H_
