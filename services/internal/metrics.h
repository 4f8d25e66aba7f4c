// Prometheus metrics of one ehcpd, served over HTTP (prometheus-cpp's
// Exposer) at http://ADDRESS/metrics when ServerOptions::metrics_address is
// set. Three kinds of value:
//  - read at scrape time from the state the server already keeps — the
//    log's counters, batch-size histogram and write status, the clock
//    index's status, the background verification of the hash chain, the
//    case cache — so nothing is counted twice;
//  - the counters and histograms the services feed as calls end and appends
//    commit (services/internal/service_metrics.h);
//  - the per-LA figures of the clock index's reports (overdue annual
//    reviews, open breaches, the review backlog's buckets), which are
//    expensive: a ReportRefresher (services/internal/report_metrics.h)
//    computes them on its own thread, at most once every
//    Options::report_interval and only when the index's checkpoint or
//    "today" moved, and the scrape reads its last snapshot, with its as_of
//    day and age.
// A scrape does no disk I/O and takes no lock across I/O.
//
//   auto metrics = MetricsExporter::Start("127.0.0.1:9464", sources);
//   (*metrics)->port();   // the port bound (useful with port 0)
//
// The metric names are listed in README.md ("Health and metrics").
//
// Thread safety: the exporter's threads call the sources concurrently with
// the server; they must outlive it.
#ifndef EHCP_SERVICES_INTERNAL_METRICS_H_
#define EHCP_SERVICES_INTERNAL_METRICS_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "cases/case_cache.h"
#include "projections/alert_scheduler.h"
#include "projections/clock_index.h"
#include "services/internal/alert_webhook.h"
#include "services/internal/log_verifier.h"
#include "services/internal/report_metrics.h"
#include "services/internal/service_metrics.h"
#include "services/internal/structured_log.h"
#include "storage/event_log.h"

namespace prometheus {
class Exposer;
class Collectable;
}  // namespace prometheus

namespace ehcp::services {

class MetricsExporter {
 public:
  struct Sources {
    storage::EventLog* log = nullptr;
    projections::ClockIndex* index = nullptr;
    LogVerifier* verifier = nullptr;
    cases::CaseCache* cases = nullptr;
    // The alert scheduler (may be null: its metrics are not exported).
    const projections::AlertScheduler* alerts = nullptr;
    // "Today" (a London civil date) for the per-LA report figures; empty:
    // they are not exported. Called on the refresher's thread.
    std::function<absl::CivilDay()> today;
    // What the services count (may be null: not exported).
    ServiceMetrics* service_metrics = nullptr;
    // Where the refresher says that a computation failed (may be null).
    StructuredLog* oplog = nullptr;
    // The alert webhook (may be null: off, its metrics are not exported).
    const AlertWebhook* webhook = nullptr;
  };

  struct Options {
    // The per-LA report figures are computed at most this often.
    absl::Duration report_interval = absl::Seconds(30);
  };

  // Listens on `address` (host:port; port 0 picks one) and starts the
  // report refresher. UNAVAILABLE when the address cannot be bound;
  // INVALID_ARGUMENT for a report_interval that is not positive.
  static absl::StatusOr<std::unique_ptr<MetricsExporter>> Start(
      const std::string& address, Sources sources, Options options);

  ~MetricsExporter();  // Stops serving.
  MetricsExporter(const MetricsExporter&) = delete;
  MetricsExporter& operator=(const MetricsExporter&) = delete;

  int port() const { return port_; }

 private:
  MetricsExporter() = default;

  std::unique_ptr<ReportRefresher> refresher_;
  std::shared_ptr<prometheus::Collectable> collectable_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
};

}  // namespace ehcp::services

#endif  // EHCP_SERVICES_INTERNAL_METRICS_H_
