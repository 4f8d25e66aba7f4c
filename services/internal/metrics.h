// Prometheus metrics of one ehcpd, served over HTTP (prometheus-cpp's
// Exposer) at http://ADDRESS/metrics when ServerOptions::metrics_address is
// set. Every value is read at scrape time from the state the server already
// keeps — the log's counters and write status, the clock index's status,
// the background verification of the hash chain, the case cache — so
// nothing is counted twice and nothing runs between scrapes. A scrape does
// no disk I/O and takes no lock across I/O.
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

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cases/case_cache.h"
#include "projections/clock_index.h"
#include "services/internal/log_verifier.h"
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
  };

  // Listens on `address` (host:port; port 0 picks one). UNAVAILABLE when it
  // cannot be bound.
  static absl::StatusOr<std::unique_ptr<MetricsExporter>> Start(
      const std::string& address, Sources sources);

  ~MetricsExporter();  // Stops serving.
  MetricsExporter(const MetricsExporter&) = delete;
  MetricsExporter& operator=(const MetricsExporter&) = delete;

  int port() const { return port_; }

 private:
  MetricsExporter() = default;

  std::shared_ptr<prometheus::Collectable> collectable_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
};

}  // namespace ehcp::services

#endif  // EHCP_SERVICES_INTERNAL_METRICS_H_
