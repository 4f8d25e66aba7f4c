#include "services/internal/report_metrics.h"

#include <algorithm>
#include <utility>

#include "absl/time/clock.h"
#include "services/internal/call_observer.h"
#include "services/internal/structured_log.h"

namespace ehcp::services {
namespace {

// How often the thread looks whether the checkpoint or the day moved
// (cheap: no I/O), at most.
constexpr absl::Duration kPoll = absl::Seconds(1);

template <typename Map>
void KeepKeys(const Map& previous, Map* now) {
  for (const auto& [key, value] : previous) now->try_emplace(key, 0);
}

}  // namespace

absl::StatusOr<ReportSnapshot> ComputeReportSnapshot(
    const projections::ClockIndex& index, absl::CivilDay today,
    const ReportSnapshot* previous) {
  const absl::Time began = absl::Now();
  ReportSnapshot snapshot;
  snapshot.as_of = today;
  snapshot.checkpoint = index.Checkpoint();

  absl::StatusOr<projections::BacklogReport> backlog =
      index.ReviewBacklog("", today);
  if (!backlog.ok()) return backlog.status();
  for (const projections::ClockBacklog& clock : backlog->clocks) {
    for (const projections::BacklogBucket& bucket : clock.buckets) {
      for (const projections::BacklogEntry& entry : bucket.entries) {
        ++snapshot.backlog[{entry.la_code, clock.clock_id, bucket.bucket}];
        if (clock.clock_id == "annual_review") {
          ++snapshot.overdue_annual_reviews[entry.la_code];
        }
      }
    }
  }
  // Every bucket of a (LA, clock) that has entries shows, empty ones at 0.
  std::map<std::pair<std::string, std::string>, bool> seen;
  for (const auto& [key, count] : snapshot.backlog) {
    seen[{std::get<0>(key), std::get<1>(key)}] = true;
  }
  for (const projections::ClockBacklog& clock : backlog->clocks) {
    for (const auto& [la_clock, unused] : seen) {
      if (la_clock.second != clock.clock_id) continue;
      for (const projections::BacklogBucket& bucket : clock.buckets) {
        snapshot.backlog.try_emplace(
            {la_clock.first, clock.clock_id, bucket.bucket}, 0);
      }
    }
  }

  projections::BreachFilter filter;
  filter.statuses = {domain::ClockStatus::kOverdue};
  filter.as_of = today;
  projections::PageRequest page;
  page.page_size = 1000;
  do {
    absl::StatusOr<projections::BreachPage> breaches =
        index.ListBreaches(filter, page);
    if (!breaches.ok()) return breaches.status();
    for (const projections::Breach& breach : breaches->breaches) {
      ++snapshot.open_breaches[{breach.la_code, breach.row.clock_id}];
    }
    page.page_token = breaches->next_page_token;
  } while (!page.page_token.empty());

  for (const auto& [la_clock, count] : snapshot.open_breaches) {
    snapshot.overdue_annual_reviews.try_emplace(la_clock.first, 0);
  }
  if (previous != nullptr) {
    KeepKeys(previous->overdue_annual_reviews,
             &snapshot.overdue_annual_reviews);
    KeepKeys(previous->open_breaches, &snapshot.open_breaches);
    KeepKeys(previous->backlog, &snapshot.backlog);
  }
  snapshot.computed_at = absl::Now();
  snapshot.took = snapshot.computed_at - began;
  return snapshot;
}

ReportRefresher::ReportRefresher(const projections::ClockIndex* index,
                                 std::function<absl::CivilDay()> today,
                                 absl::Duration interval, StructuredLog* log)
    : index_(index), today_(std::move(today)), interval_(interval), log_(log) {}

ReportRefresher::~ReportRefresher() { Stop(); }

void ReportRefresher::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void ReportRefresher::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<const ReportSnapshot> ReportRefresher::Latest() const {
  absl::MutexLock lock(&mu_);
  return latest_;
}

uint64_t ReportRefresher::failures() const {
  absl::MutexLock lock(&mu_);
  return failures_;
}

bool ReportRefresher::Wanted(absl::CivilDay today) const {
  const projections::IndexStatus status = index_->Status();
  if (status.rebuilding) return false;  // A partial index: wait for it.
  absl::MutexLock lock(&mu_);
  return latest_ == nullptr || last_failed_ || latest_->as_of != today ||
         latest_->checkpoint != status.checkpoint;
}

void ReportRefresher::Loop() {
  const absl::Duration poll = std::min(kPoll, interval_);
  for (;;) {
    const absl::CivilDay today = today_();
    absl::Duration pause = poll;
    if (Wanted(today)) {
      std::shared_ptr<const ReportSnapshot> previous = Latest();
      absl::StatusOr<ReportSnapshot> snapshot =
          ComputeReportSnapshot(*index_, today, previous.get());
      bool log_failure = false;
      {
        absl::MutexLock lock(&mu_);
        if (snapshot.ok()) {
          latest_ =
              std::make_shared<const ReportSnapshot>(*std::move(snapshot));
          last_failed_ = false;
        } else {
          ++failures_;
          log_failure = !last_failed_;  // Once per run of failures.
          last_failed_ = true;
        }
      }
      if (log_failure && log_ != nullptr) {
        // The code only: the message may name paths and positions, which
        // are the index's, but a code is all an operator needs to look.
        log_->LogJson("clock_reports_failed",
                      {{"code", CodeName(static_cast<grpc::StatusCode>(
                                    snapshot.status().code()))}},
                      LogLevel::kWarning);
      }
      pause = interval_;
    }
    absl::MutexLock lock(&mu_);
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), pause)) return;
  }
}

}  // namespace ehcp::services
