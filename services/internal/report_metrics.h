// The per-LA figures of the clock index's reports that ehcpd exports as
// Prometheus gauges (MetricsExporter): overdue annual reviews, open
// breaches by clock, and the review backlog in ageing buckets. The reports
// read RocksDB and evaluate cases, so they are computed on a thread of
// their own, never on the scrape's: at most once every `interval`, and only
// when the index's checkpoint or "today" has moved since the last snapshot.
// A scrape reads the last snapshot (a shared pointer, taken under a short
// lock) and says how old it is.
//
// What is counted, as of "today":
//  - overdue annual reviews: the review backlog's annual_review entries of
//    the LA (open past due; excused ones included, as the backlog counts
//    them: ClockIndex::ReviewBacklog);
//  - open breaches: ListBreaches rows with status OVERDUE — open and past
//    due. BREACHED rows are not counted (the clock stopped, late: a breach
//    of the past that no action can now shorten), nor EXCUSED ones (late,
//    but covered by an exception the law allows);
//  - backlog: the review backlog's entries by clock and ageing bucket.
// A series that has appeared once stays, at 0 when nothing is left in it,
// so that an alert comparing today with last week sees a fall to zero.
//
// Thread safety: Latest() and the accessors are safe from any thread.
#ifndef EHCP_SERVICES_INTERNAL_REPORT_METRICS_H_
#define EHCP_SERVICES_INTERNAL_REPORT_METRICS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "projections/clock_index.h"

namespace ehcp::services {

class StructuredLog;

struct ReportSnapshot {
  // The day the reports were computed as of.
  absl::CivilDay as_of;
  // The index's checkpoint when the computation began.
  uint64_t checkpoint = 0;
  // When it finished (wall clock), and how long it took.
  absl::Time computed_at;
  absl::Duration took;
  // LA → annual_review entries of its review backlog.
  std::map<std::string, int64_t> overdue_annual_reviews;
  // (LA, clock id) → OVERDUE rows.
  std::map<std::pair<std::string, std::string>, int64_t> open_breaches;
  // (LA, backlog clock id, bucket) → entries.
  std::map<std::tuple<std::string, std::string, std::string>, int64_t> backlog;
};

// Computes a snapshot from `index` as of `today`: ReviewBacklog("", today)
// and every page of ListBreaches({statuses: OVERDUE, as_of: today}). Every
// key of `previous` (if any) is kept, at 0 when absent now. Returns the
// index's errors (UNAVAILABLE once closed, FAILED_PRECONDITION while
// damaged, DATA_LOSS, ...).
absl::StatusOr<ReportSnapshot> ComputeReportSnapshot(
    const projections::ClockIndex& index, absl::CivilDay today,
    const ReportSnapshot* previous);

class ReportRefresher {
 public:
  // `index` and `log` (may be null) must outlive the refresher; `today`
  // is called on the refresher's thread.
  ReportRefresher(const projections::ClockIndex* index,
                  std::function<absl::CivilDay()> today,
                  absl::Duration interval, StructuredLog* log);
  ~ReportRefresher();  // Calls Stop().
  ReportRefresher(const ReportRefresher&) = delete;
  ReportRefresher& operator=(const ReportRefresher&) = delete;

  // Starts the thread; the first snapshot is computed at once.
  void Start();
  // Stops the thread (after a computation in progress). Idempotent.
  void Stop();

  // The last snapshot computed; nullptr before the first.
  std::shared_ptr<const ReportSnapshot> Latest() const;
  // Computations that failed (the last snapshot is then kept).
  uint64_t failures() const;

 private:
  void Loop();
  // Whether a new snapshot is wanted now (the checkpoint or the day moved,
  // or there is none yet) and no rebuild is under way.
  bool Wanted(absl::CivilDay today) const;

  const projections::ClockIndex* const index_;
  const std::function<absl::CivilDay()> today_;
  const absl::Duration interval_;
  StructuredLog* const log_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const ReportSnapshot> latest_ ABSL_GUARDED_BY(mu_);
  uint64_t failures_ ABSL_GUARDED_BY(mu_) = 0;
  bool last_failed_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace ehcp::services

#endif  // EHCP_SERVICES_INTERNAL_REPORT_METRICS_H_
