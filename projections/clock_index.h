// The clock index: a persistent, rebuildable read model of every case's
// statutory clocks, fed from the event log, that answers the cross-case
// reports of docs/law.md §5 and §8 "Reports" — late
// clocks (ListBreaches), the review backlog and SEN2 timeliness — as of any
// date, and the worklists of case-management frontends: a case by its
// council's reference (FindCase), cases by LA and stage (ListCases) and the
// open deadlines due in a window (ListDeadlines).
//
// The index only narrows; the domain decides. For each case the index keeps
// the rows of domain::EvaluateClocks(events, 2199-12-31) (the "final" rows)
// that could ever be late, keyed by LA, clock and the first date on which
// they can be late, and the timeliness rows keyed by their stop date
// (projections/FORMAT.md). A query scans only the keys of the LAs and clocks
// it asks about, up to its date, and then evaluates each candidate case as
// of its date from the case's model (domain/case_model.h, in the cache the
// server shares between appends, the tailer and queries): its answer is
// exactly what domain::EvaluateClocks says of the log up to the index's
// checkpoint, never an approximation kept in the index.
//
// The index is fed like any projection (docs/architecture.md, step 5): a tailer
// reads the log after its checkpoint a page at a time, folds the page's
// records into the touched cases' models, and writes only the keys of the
// rows they changed, with the new checkpoint, in one RocksDB WriteBatch, so
// a crash never applies an event twice or skips one. The index is a function of the
// log prefix it has read: tailing it event by event and rebuilding it from
// position 1 give the same bytes.
//
//   EHCP_ASSIGN_OR_RETURN(std::unique_ptr<ClockIndex> index,
//                         ClockIndex::Open(data_dir + "/clock-index",
//                                          log.get(), {}));
//   // After an append that returned position p, to read your own write:
//   if (!index->WaitForCheckpoint(p, deadline)) { /* DEADLINE_EXCEEDED */ }
//   BreachFilter filter;
//   filter.la_code = "E06000035";
//   filter.as_of = absl::CivilDay(2025, 9, 1);
//   EHCP_ASSIGN_OR_RETURN(BreachPage page, index->ListBreaches(filter, {}));
//   // page.breaches: most days late first; page.next_page_token.
//
// Thread safety: a ClockIndex is safe for concurrent use from any number of
// threads without external synchronization. Queries run concurrently with
// each other and with the tailer, CatchUp and Rebuild; each query reads one
// consistent RocksDB snapshot of the index (one checkpoint) and evaluates
// cases with the log's events up to that checkpoint. Index writers (the
// tailer, CatchUp, Rebuild) take turns. During a Rebuild queries do not
// fail but see a partial index (cases not yet replayed are missing, LAs may
// be NOT_FOUND); Checkpoint() stays 0 until the rebuild completes, so
// WaitForCheckpoint waits for it.
//
// Ownership: the EventLog must outlive the ClockIndex (or at least its
// Close()). Close the index before closing the log it reads.
#ifndef EHCP_PROJECTIONS_CLOCK_INDEX_H_
#define EHCP_PROJECTIONS_CLOCK_INDEX_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "domain/clock_reports.h"
#include "domain/clocks.h"
#include "ehcp/v1/types.pb.h"
#include "storage/event_log.h"

namespace ehcp::cases {
class CaseCache;
}

namespace ehcp::projections {

// Which late clocks ListBreaches returns.
struct BreachFilter {
  // One LA's ONS code; empty: every LA.
  std::string la_code;
  // Clock ids (rules.h ClockIds()); empty: every clock.
  std::vector<std::string> clock_ids;
  // Any of BREACHED, OVERDUE and EXCUSED (the late statuses); empty: all
  // three.
  std::vector<domain::ClockStatus> statuses;
  // Only clocks due on or after / on or before these days (inclusive).
  std::optional<absl::CivilDay> due_from;
  std::optional<absl::CivilDay> due_to;
  // The evaluation date (the caller resolves "today").
  absl::CivilDay as_of;
};

// Which page of the list.
struct PageRequest {
  // 1–1,000 rows; 0 means 100.
  int page_size = 0;
  // Empty for the first page; otherwise the next_page_token of the previous
  // page of the same query.
  std::string page_token = {};
};

// One late clock instance.
struct Breach {
  std::string case_id;
  std::string la_code;
  // The row as of BreachFilter::as_of.
  domain::ClockRow row;
  // The council's own reference for the case (its CaseOpened).
  std::string case_reference;

  bool operator==(const Breach&) const = default;
};

struct BreachPage {
  // Most days late first; then case id, clock (catalogue order), instance
  // ("2" before "10"), and for the rare duplicate instance name, the
  // domain's row order.
  std::vector<Breach> breaches;
  // Opaque; empty on the last page.
  std::string next_page_token;
  absl::CivilDay as_of;
};

// One open clock past due in the review backlog.
struct BacklogEntry {
  std::string case_id;
  std::string la_code;
  std::string instance;
  absl::CivilDay due;
  int days_overdue = 0;
  // EXCUSED (still open, so still counted).
  bool excused = false;
  // The council's own reference for the case (its CaseOpened).
  std::string case_reference;

  bool operator==(const BacklogEntry&) const = default;
};

struct BacklogBucket {
  // "0-3", "3-6", "6-12", "12-24" or ">24" (domain::BacklogBucket).
  std::string bucket;
  // Most overdue first, then case id, then instance.
  std::vector<BacklogEntry> entries;

  bool operator==(const BacklogBucket&) const = default;
};

struct ClockBacklog {
  // annual_review, review_decision, amendment, phase_transfer or
  // transfer_in_review.
  std::string clock_id;
  // All five buckets, in ageing order, including empty ones.
  std::vector<BacklogBucket> buckets;
  // Entries over all buckets.
  int total = 0;

  bool operator==(const ClockBacklog&) const = default;
};

struct BacklogReport {
  absl::CivilDay as_of;
  // Empty: every LA.
  std::string la_code;
  // One per backlog clock, in catalogue order.
  std::vector<ClockBacklog> clocks;
};

// One case as the worklists show it (FindCase, ListCases): who it is and
// where its journey stands.
struct CaseSummary {
  std::string case_id;
  std::string la_code;
  // The council's own reference (CaseOpened.case_reference).
  std::string case_reference;
  // domain::CaseState::stage after every event up to the index's
  // checkpoint: what GetCaseState says of the case (ehcp.v1.CaseStage).
  v1::CaseStage stage = v1::CASE_STAGE_UNSPECIFIED;

  bool operator==(const CaseSummary&) const = default;
};

// Which cases ListCases returns.
struct CaseFilter {
  // One LA's ONS code; empty: every LA.
  std::string la_code;
  // Stages to include (not UNSPECIFIED); empty: every stage.
  std::vector<v1::CaseStage> stages;
};

struct CasePage {
  // By stage (its number in ehcp.v1.CaseStage), then case id.
  std::vector<CaseSummary> cases;
  // Opaque; empty on the last page.
  std::string next_page_token;
};

// Which open deadlines ListDeadlines returns: the caseworker's "what is due
// in the next 14 days".
struct DeadlineFilter {
  // One LA's ONS code; empty: every LA.
  std::string la_code;
  // Due on or after / on or before these days (inclusive; the caller
  // resolves defaults).
  absl::CivilDay due_from;
  absl::CivilDay due_to;
  // The evaluation date (the caller resolves "today").
  absl::CivilDay as_of;
};

// One open deadline: a row, as of DeadlineFilter::as_of, of a deadline
// clock (rules.h ClockKind::kDeadline: not a window, not a compliance
// check) with no stop and status PENDING, OVERDUE or EXCUSED.
struct Deadline {
  std::string case_id;
  std::string la_code;
  std::string case_reference;
  domain::ClockRow row;

  bool operator==(const Deadline&) const = default;
};

struct DeadlinePage {
  // By due date, then case id, clock (catalogue order), instance ("2"
  // before "10") and the domain's row order.
  std::vector<Deadline> deadlines;
  // Opaque; empty on the last page.
  std::string next_page_token;
  absl::CivilDay as_of;
};

struct TimelinessReport {
  // Empty: every LA.
  std::string la_code;
  domain::TimelinessSummary summary;
};

// A rebuild under way (IndexStatus::rebuild).
struct RebuildProgress {
  bool running = false;
  // "scanning" (finding each case's last record), "indexing", "catching
  // up" or "swapping".
  std::string phase;
  // Log records indexed so far, of `target` (the head when it began).
  uint64_t events_read = 0;
  uint64_t target = 0;
  double events_per_second = 0;
  // Time left at that rate (zero when unknown).
  absl::Duration eta = absl::ZeroDuration();
};

// Where the index stands.
struct IndexStatus {
  // The last log position the index reflects (0 while a rebuild runs).
  uint64_t checkpoint = 0;
  // The log's head position.
  uint64_t head = 0;
  // head - checkpoint.
  uint64_t lag = 0;
  // Cases in the index (every case with a CaseOpened naming an ONS code).
  uint64_t indexed_cases = 0;
  // A rebuild is under way (or was interrupted by a crash and the tailer is
  // finishing it).
  bool rebuilding = false;
  // The last error the background tailer met (OK when its last pass
  // succeeded). It retries every Options::poll_interval.
  absl::Status tailer_error;
  // Not OK while the index is damaged (found so at Open): the error every
  // query answers until Rebuild has replaced it.
  absl::Status damage;
  // The rebuild under way, if any (Rebuild builds beside the live index).
  RebuildProgress rebuild;
};

struct RebuildResult {
  // The log position the rebuild reached: the head when the call began.
  uint64_t checkpoint = 0;
  // Log records read (once per record).
  uint64_t events_read = 0;
  // Cases indexed.
  uint64_t indexed_cases = 0;
};

class ClockIndex {
 public:
  struct Options {
    // Start a background thread that keeps the index up with the log: woken
    // by the log's NotifyAfter on every commit, and every poll_interval in
    // any case. Without it the index moves only in CatchUp / Rebuild.
    bool start_tailer = true;
    // Log records per WriteBatch (1–10,000).
    size_t batch_size = 1000;
    // The tailer's fallback wake-up, and its retry delay after an error.
    absl::Duration poll_interval = absl::Seconds(1);
    // The case models (domain/case_model.h) shared with the append path
    // and the queries; must outlive the index. nullptr: the index keeps
    // its own, of own_case_cache_bytes.
    cases::CaseCache* cases = nullptr;
    size_t own_case_cache_bytes = size_t{64} << 20;
    // RocksDB block cache for the index.
    size_t block_cache_bytes = size_t{32} << 20;
  };

  // Opens the index in directory `dir` (created with an empty index if
  // missing), reading from `log`, which must outlive the index. Returns
  // INVALID_ARGUMENT for an empty `dir`, a null `log` or a batch_size out of
  // range; FAILED_PRECONDITION if `dir` holds a RocksDB database that is not
  // a clock index, an index of a newer format version, or an index ahead
  // of the log (checkpoint past the head: the log lost acknowledged records,
  // or the index is another log's; restore from a backup); UNAVAILABLE if the directory is in
  // use or the disk fails. With options.start_tailer the tailer starts
  // catching up at once.
  //
  // An index of an older format version is discarded (FORMAT.md) and the
  // index opens empty, to be built from the log by the tailer or CatchUp.
  //
  // A damaged index (RocksDB reports corruption, or its metadata does not
  // decode: DATA_LOSS) does not stop the opening: the index opens damaged
  // (Status().damage says how), every query and CatchUp answer
  // FAILED_PRECONDITION naming the damage and Rebuild, and Rebuild discards
  // it and builds a new one from the log (which the damage does not
  // touch).
  static absl::StatusOr<std::unique_ptr<ClockIndex>> Open(
      const std::string& dir, storage::EventLog* log, const Options& options);

  ClockIndex(const ClockIndex&) = delete;
  ClockIndex& operator=(const ClockIndex&) = delete;
  // Calls Close().
  ~ClockIndex();

  // Applies every log record up to the log's head at the time of the call,
  // a batch at a time, on the calling thread (waiting for the tailer's
  // batch in progress). OK once the checkpoint has reached that head;
  // UNAVAILABLE once closed (or closing) or when the log is closed;
  // DATA_LOSS when a stored event does not decode or the index is corrupt;
  // other RocksDB errors as storage/rocksdb_status.h maps them. On error the
  // batches already written stay written.
  absl::Status CatchUp();
  // The same, stopping at `position` (or the head, if lower).
  absl::Status CatchUpTo(uint64_t position);

  // Blocks until Checkpoint() >= position (true), or until `deadline`
  // passes or the index is closed (false). Does not itself apply anything:
  // the tailer (or another thread's CatchUp) must be running.
  bool WaitForCheckpoint(uint64_t position, absl::Time deadline) const;

  // Calls `reached(true)` once Checkpoint() >= position — at once, on the
  // calling thread, if it already is — or `reached(false)` if the index
  // closes first. Otherwise it runs on the thread that moves the
  // checkpoint (the tailer), so it must only hand work off. Returns a token
  // for CancelNotify (0 when it has already run).
  uint64_t NotifyAtCheckpoint(uint64_t position,
                              absl::AnyInvocable<void(bool) &&> reached);
  // Drops a notification that has not run; no-op otherwise.
  void CancelNotify(uint64_t token);

  // The last log position the index reflects exactly; 0 while a rebuild
  // runs. Lock-free.
  uint64_t Checkpoint() const;

  // Checkpoint, log head, lag and case count. Cheap.
  IndexStatus Status() const;

  // Builds a new index from the log beside the live one (in `dir`.rebuild:
  // a first pass finds each case's last record up to the head as it was
  // when the call began, a second indexes each case once, in the batch
  // holding that record), brings it up to the log's head, and swaps it in
  // for the live one. Meanwhile the live index goes on tailing and
  // answering queries; during the swap (a close, two renames and an open)
  // queries wait for a moment. Progress shows in Status().rebuild. Returns
  // the position the new index reached, the records read and the cases
  // indexed; FAILED_PRECONDITION when a rebuild is already running;
  // UNAVAILABLE if the index is closed meanwhile (the live index is kept,
  // and the unfinished one is removed at the next Open); the errors of
  // CatchUp otherwise. A crash during the swap is finished or undone at the
  // next Open.
  absl::StatusOr<RebuildResult> Rebuild();

  // Late clocks as of filter.as_of, one page of them. Returns:
  //   - the page (possibly empty) and a token for the next one (empty on the
  //     last page). A token encodes a fingerprint of the filter and the sort
  //     key of the last row returned, not an offset: new events for cases
  //     that do not match the query leave it valid and the next page starts
  //     exactly after that row;
  //   - INVALID_ARGUMENT naming the field: la_code not an ONS code, an
  //     unknown clock id, a status other than BREACHED/OVERDUE/EXCUSED,
  //     due_from after due_to, as_of after 2199-12-31, page_size outside
  //     0–1,000, a malformed page_token, or one "was issued for a different
  //     query"; as_of before the earliest event of the LA (or of every LA):
  //     "as_of 2001-01-01 is before any event (first: 2023-01-09)";
  //   - NOT_FOUND "no cases for LA E06000035" for a valid code with no cases
  //     in the index;
  //   - UNAVAILABLE once closed; DATA_LOSS / other log or RocksDB errors.
  // With an empty index and no la_code: an empty page.
  absl::StatusOr<BreachPage> ListBreaches(const BreachFilter& filter,
                                          const PageRequest& page) const;

  // The review backlog as of `as_of` for one LA (`la_code`) or every LA
  // (empty): open annual_review, review_decision, amendment, phase_transfer
  // and transfer_in_review clocks past due (domain::CountsInBacklog), aged
  // in buckets. Errors as ListBreaches (la_code, as_of, NOT_FOUND,
  // UNAVAILABLE, DATA_LOSS).
  absl::StatusOr<BacklogReport> ReviewBacklog(const std::string& la_code,
                                              absl::CivilDay as_of) const;

  // SEN2 timeliness (domain::TimelinessAccumulator) of the final_plan_20w
  // and decision_to_assess clocks stopped in calendar year `year`, for one
  // LA or every LA. INVALID_ARGUMENT for a year outside 2014–2100 or a
  // malformed la_code; NOT_FOUND for an LA with no cases; UNAVAILABLE once
  // closed; DATA_LOSS / other errors from the log or RocksDB.
  absl::StatusOr<TimelinessReport> Timeliness(const std::string& la_code,
                                              int year) const;

  // The cases the council `la_code` opened under `case_reference` (FindCase):
  // exactly one, since OpenCase derives the case id from the two and refuses
  // a second; every one, in case id order, in the rare log where two
  // streams claim the same reference (an imported log made elsewhere).
  // Returns:
  //   - INVALID_ARGUMENT naming the field: la_code empty or not an ONS code,
  //     case_reference empty or not 1-64 printable ASCII characters;
  //   - NOT_FOUND "no case with reference "R" in LA L";
  //   - UNAVAILABLE once closed; FAILED_PRECONDITION while damaged;
  //     DATA_LOSS / other RocksDB errors.
  // Read from the index alone (no case is read from the log).
  absl::StatusOr<std::vector<CaseSummary>> FindCase(
      const std::string& la_code, const std::string& case_reference) const;

  // The cases of one LA (or every LA) whose stage is one of filter.stages,
  // by stage then case id, one page of them. Read from the index alone: a
  // case's stage is a function of its events, kept exact at every
  // checkpoint. Tokens as ListBreaches (a fingerprint of the filter and the
  // last case returned). Returns INVALID_ARGUMENT naming the field (la_code,
  // "stages[i]" UNSPECIFIED or not a stage, page_size outside 0–1,000,
  // page_token malformed or "was issued for a different query");
  // NOT_FOUND for a valid LA with no cases; UNAVAILABLE, FAILED_PRECONDITION
  // and DATA_LOSS as FindCase. With an empty index and no la_code: an empty
  // page.
  absl::StatusOr<CasePage> ListCases(const CaseFilter& filter,
                                     const PageRequest& page) const;

  // Open deadlines (Deadline) of one LA or every LA due in
  // [filter.due_from, filter.due_to] as of filter.as_of, by due date, one
  // page of them. The index narrows (the `due` family: every row that is
  // open on some date, by LA and due date; its summary skips rows stopped
  // by as_of or triggered after it) and the domain decides: each candidate
  // case is evaluated as of as_of from its model. Returns INVALID_ARGUMENT
  // naming the field (la_code; due_from after due_to; as_of after
  // 2199-12-31 or before any event of the LA(s); page_size; page_token);
  // NOT_FOUND for a valid LA with no cases; UNAVAILABLE, FAILED_PRECONDITION
  // and DATA_LOSS as FindCase. With an empty index and no la_code: an
  // empty page.
  absl::StatusOr<DeadlinePage> ListDeadlines(const DeadlineFilter& filter,
                                             const PageRequest& page) const;

  // Stops the tailer (waiting for its batch in progress), makes a running
  // CatchUp or Rebuild return UNAVAILABLE after its current batch, wakes
  // WaitForCheckpoint callers (false), and closes the database. Afterwards
  // every call returns UNAVAILABLE (Checkpoint() and Status() keep their
  // last values). Idempotent; safe from any thread. The index on disk stays
  // consistent whenever it is interrupted, by Close or by a crash.
  void Close();

 private:
  class Impl;
  explicit ClockIndex(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace ehcp::projections

#endif  // EHCP_PROJECTIONS_CLOCK_INDEX_H_
