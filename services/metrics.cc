#include "services/internal/metrics.h"

#include <exception>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "prometheus/collectable.h"
#include "prometheus/exposer.h"
#include "prometheus/metric_family.h"

namespace ehcp::services {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily One(std::string name, std::string help, MetricType type,
                 double value) {
  ClientMetric metric;
  if (type == MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  return MetricFamily{std::move(name), std::move(help), type, {metric}};
}

MetricFamily Gauge(std::string name, std::string help, double value) {
  return One(std::move(name), std::move(help), MetricType::Gauge, value);
}

MetricFamily Counter(std::string name, std::string help, double value) {
  return One(std::move(name), std::move(help), MetricType::Counter, value);
}

class ServerCollectable : public prometheus::Collectable {
 public:
  explicit ServerCollectable(MetricsExporter::Sources sources)
      : sources_(sources) {}

  std::vector<MetricFamily> Collect() const override {
    std::vector<MetricFamily> out;
    const storage::EventLog::Stats log = sources_.log->GetStats();
    out.push_back(Gauge("ehcp_log_head_position",
                        "The position of the last record in the event log.",
                        static_cast<double>(sources_.log->HeadPosition())));
    out.push_back(Gauge(
        "ehcp_log_writable",
        "1 while appends can be written; 0 while they are refused (a full "
        "disk, a failed write).",
        sources_.log->WriteStatus().ok() ? 1 : 0));
    out.push_back(Counter("ehcp_log_appends_total",
                          "Appends written since the server started.",
                          static_cast<double>(log.appends)));
    out.push_back(Counter("ehcp_log_records_total",
                          "Events written since the server started.",
                          static_cast<double>(log.records)));
    out.push_back(Counter("ehcp_log_group_commits_total",
                          "Write batches (group commits) written.",
                          static_cast<double>(log.batches)));
    out.push_back(Counter("ehcp_log_idempotent_replays_total",
                          "Appends answered from an idempotency record.",
                          static_cast<double>(log.replays)));
    out.push_back(Counter("ehcp_log_version_conflicts_total",
                          "Appends refused for an expected version.",
                          static_cast<double>(log.conflicts)));
    out.push_back(Counter("ehcp_log_failed_writes_total",
                          "Write batches the storage refused.",
                          static_cast<double>(log.failed_writes)));

    if (sources_.verifier != nullptr) {
      const LogVerifier::State v = sources_.verifier->state();
      out.push_back(Gauge(
          "ehcp_log_chain_verified_position",
          "Positions 1 to this are verified by the background verification "
          "of the hash chain since the server started.",
          static_cast<double>(v.verified_to)));
      out.push_back(Gauge(
          "ehcp_log_chain_intact",
          "The background verification of the hash chain: 1 intact, 0 "
          "broken (see ehcp_log_chain_first_bad_position), -1 not finished.",
          v.done ? (v.intact ? 1 : 0) : -1));
      out.push_back(Gauge("ehcp_log_chain_first_bad_position",
                          "The first position that fails verification, 0 "
                          "when none has.",
                          static_cast<double>(v.first_bad_position)));
    }

    const projections::IndexStatus index = sources_.index->Status();
    out.push_back(Gauge("ehcp_clock_index_checkpoint",
                        "The last log position the clock index reflects.",
                        static_cast<double>(index.checkpoint)));
    out.push_back(Gauge("ehcp_clock_index_lag_events",
                        "Events in the log not yet in the clock index.",
                        static_cast<double>(index.lag)));
    out.push_back(Gauge(
        "ehcp_clock_index_healthy",
        "1 while the clock index answers as it should; 0 while it is damaged "
        "or its tailer fails.",
        index.damage.ok() && index.tailer_error.ok() ? 1 : 0));
    out.push_back(Gauge("ehcp_clock_index_cases", "Cases in the clock index.",
                        static_cast<double>(index.indexed_cases)));
    out.push_back(Gauge("ehcp_clock_index_rebuilding",
                        "1 while a rebuild of the clock index runs.",
                        index.rebuilding ? 1 : 0));

    if (sources_.cases != nullptr) {
      const cases::CacheStats cache = sources_.cases->Stats();
      out.push_back(Gauge("ehcp_case_cache_bytes",
                          "Memory held by the cached case models.",
                          static_cast<double>(cache.bytes)));
      out.push_back(Gauge("ehcp_case_cache_cases", "Case models cached.",
                          static_cast<double>(cache.cases)));
      out.push_back(Counter("ehcp_case_cache_loads_total",
                            "Whole cases read from the log into the cache.",
                            static_cast<double>(cache.loads)));
    }
    return out;
  }

 private:
  const MetricsExporter::Sources sources_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsExporter>> MetricsExporter::Start(
    const std::string& address, Sources sources) {
  std::unique_ptr<MetricsExporter> exporter(new MetricsExporter);
  try {
    exporter->exposer_ =
        std::make_unique<prometheus::Exposer>(address, /*num_threads=*/1);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("metrics: cannot listen on ", address, " (", e.what(),
                     ")"));
  }
  exporter->collectable_ = std::make_shared<ServerCollectable>(sources);
  exporter->exposer_->RegisterCollectable(exporter->collectable_);
  const std::vector<int> ports = exporter->exposer_->GetListeningPorts();
  exporter->port_ = ports.empty() ? 0 : ports.front();
  return exporter;
}

MetricsExporter::~MetricsExporter() {
  exposer_.reset();  // Its threads stop before the collectable goes.
}

}  // namespace ehcp::services
