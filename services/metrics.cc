#include "services/internal/metrics.h"

#include <algorithm>
#include <exception>
#include <limits>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "prometheus/collectable.h"
#include "prometheus/exposer.h"
#include "prometheus/metric_family.h"
#include "prometheus/registry.h"

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

ClientMetric::Label Label(std::string name, std::string value) {
  return ClientMetric::Label{std::move(name), std::move(value)};
}

MetricFamily LabelledGauges(std::string name, std::string help) {
  return MetricFamily{std::move(name), std::move(help), MetricType::Gauge, {}};
}

void AddGauge(MetricFamily* family, std::vector<ClientMetric::Label> labels,
              double value) {
  ClientMetric metric;
  metric.label = std::move(labels);
  metric.gauge.value = value;
  family->metric.push_back(std::move(metric));
}

// The log's Stats::batch_appends as a Prometheus histogram (cumulative
// buckets, +Inf last); the sum is the appends written.
MetricFamily BatchHistogram(const storage::EventLog::Stats& log) {
  ClientMetric metric;
  uint64_t cumulative = 0;
  const auto& bounds = storage::EventLog::kBatchAppendsBounds;
  for (size_t i = 0; i < log.batch_appends.size(); ++i) {
    cumulative += log.batch_appends[i];
    ClientMetric::Bucket bucket;
    bucket.cumulative_count = cumulative;
    bucket.upper_bound = i < bounds.size()
                             ? static_cast<double>(bounds[i])
                             : std::numeric_limits<double>::infinity();
    metric.histogram.bucket.push_back(bucket);
  }
  metric.histogram.sample_count = cumulative;
  metric.histogram.sample_sum = static_cast<double>(log.appends);
  return MetricFamily{
      "ehcp_log_batch_appends",
      "Appends written per write batch (group commit: one fsync each).",
      MetricType::Histogram,
      {metric}};
}

// The refresher's last snapshot: per-LA gauges, its as_of day and age.
void AddReportFamilies(const ReportSnapshot& snapshot,
                       std::vector<MetricFamily>* out) {
  MetricFamily reviews = LabelledGauges(
      "ehcp_overdue_annual_reviews",
      "Annual reviews open past their due date, per LA (the review "
      "backlog's annual_review entries, excused ones included), as of "
      "ehcp_clock_reports_as_of_timestamp_seconds.");
  for (const auto& [la, count] : snapshot.overdue_annual_reviews) {
    AddGauge(&reviews, {Label("la", la)}, static_cast<double>(count));
  }
  out->push_back(std::move(reviews));
  MetricFamily breaches = LabelledGauges(
      "ehcp_open_breaches",
      "Statutory clocks open past their due date (status OVERDUE: not "
      "stopped, not excused), per LA and clock, as of "
      "ehcp_clock_reports_as_of_timestamp_seconds.");
  for (const auto& [key, count] : snapshot.open_breaches) {
    AddGauge(&breaches, {Label("la", key.first), Label("clock", key.second)},
             static_cast<double>(count));
  }
  out->push_back(std::move(breaches));
  MetricFamily backlog = LabelledGauges(
      "ehcp_review_backlog",
      "The review backlog (open review, amendment, phase transfer and "
      "transfer-in clocks past due) per LA, clock and ageing bucket in "
      "months past due (0-3, 3-6, 6-12, 12-24, >24).");
  for (const auto& [key, count] : snapshot.backlog) {
    const auto& [la, clock, bucket] = key;
    AddGauge(&backlog,
             {Label("la", la), Label("clock", clock), Label("bucket", bucket)},
             static_cast<double>(count));
  }
  out->push_back(std::move(backlog));
  out->push_back(Gauge(
      "ehcp_clock_reports_as_of_timestamp_seconds",
      "The day the per-LA report figures are as of (00:00 UTC of it, as a "
      "Unix time).",
      static_cast<double>(absl::ToUnixSeconds(
          absl::FromCivil(snapshot.as_of, absl::UTCTimeZone())))));
  out->push_back(Gauge(
      "ehcp_clock_reports_age_seconds",
      "Seconds since the per-LA report figures were computed.",
      absl::ToDoubleSeconds(absl::Now() - snapshot.computed_at)));
  out->push_back(Gauge(
      "ehcp_clock_reports_checkpoint",
      "The clock index checkpoint the per-LA report figures reflect.",
      static_cast<double>(snapshot.checkpoint)));
  out->push_back(Gauge(
      "ehcp_clock_reports_duration_seconds",
      "How long the last computation of the per-LA report figures took.",
      absl::ToDoubleSeconds(snapshot.took)));
}

class ServerCollectable : public prometheus::Collectable {
 public:
  ServerCollectable(MetricsExporter::Sources sources,
                    const ReportRefresher* refresher)
      : sources_(sources), refresher_(refresher) {}

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
    out.push_back(BatchHistogram(log));

    if (sources_.alerts != nullptr) {
      const projections::SchedulerStatus a = sources_.alerts->Status();
      MetricFamily raised{"ehcp_alerts_emitted_total",
                          "Alerts raised since the server started, by kind.",
                          MetricType::Counter,
                          {}};
      for (projections::AlertKind kind :
           {projections::AlertKind::kDueSoon, projections::AlertKind::kBreached,
            projections::AlertKind::kResolved,
            projections::AlertKind::kWithdrawn}) {
        ClientMetric metric;
        metric.label.push_back(
            {"kind", std::string(projections::AlertKindName(kind))});
        metric.counter.value =
            static_cast<double>(a.raised_by_kind[static_cast<int>(kind) - 1]);
        raised.metric.push_back(std::move(metric));
      }
      out.push_back(std::move(raised));
      out.push_back(Gauge("ehcp_alert_last_sequence",
                          "The sequence number of the last alert raised.",
                          static_cast<double>(a.last_sequence)));
      out.push_back(Gauge(
          "ehcp_alert_scheduler_lag_days",
          "Days between the server's today and the last day whose alerts "
          "the scheduler has raised.",
          static_cast<double>(std::max<int64_t>(0, a.target_day - a.day))));
      out.push_back(Gauge(
          "ehcp_alert_scheduler_lag_positions",
          "Log records the alert scheduler has not yet read.",
          static_cast<double>(a.head > a.checkpoint ? a.head - a.checkpoint
                                                    : 0)));
      out.push_back(Gauge(
          "ehcp_alert_scheduler_healthy",
          "1 while the alert scheduler's last step succeeded; 0 while it "
          "retries after an error.",
          a.error.ok() ? 1 : 0));
    }
    if (sources_.webhook != nullptr) {
      const AlertWebhookStatus w = sources_.webhook->Status();
      out.push_back(Gauge(
          "ehcp_alert_webhook_delivered_sequence",
          "The alert webhook's cursor: every alert up to this sequence has "
          "been delivered (or left out by its filter).",
          static_cast<double>(w.delivered_sequence)));
      out.push_back(Counter(
          "ehcp_alert_webhook_failures_total",
          "Webhook deliveries that failed (no connection, a timeout, an "
          "answer other than 2xx) since the server started; each is retried.",
          static_cast<double>(w.failures_total)));
      out.push_back(Gauge(
          "ehcp_alert_webhook_consecutive_failures",
          "Failed webhook attempts since the last success (0: delivering).",
          static_cast<double>(w.consecutive_failures)));
      const uint64_t last =
          sources_.alerts != nullptr ? sources_.alerts->LastSequence() : 0;
      out.push_back(Gauge(
          "ehcp_alert_webhook_lag",
          "Alerts raised that the webhook has not yet delivered (the last "
          "sequence minus its cursor).",
          static_cast<double>(
              last > w.delivered_sequence ? last - w.delivered_sequence : 0)));
    }

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
    if (refresher_ != nullptr) {
      out.push_back(Counter(
          "ehcp_clock_reports_failures_total",
          "Computations of the per-LA report figures that failed (the last "
          "figures are kept; see the log's clock_reports_failed).",
          static_cast<double>(refresher_->failures())));
      if (std::shared_ptr<const ReportSnapshot> snapshot =
              refresher_->Latest();
          snapshot != nullptr) {
        AddReportFamilies(*snapshot, &out);
      }
    }
    return out;
  }

 private:
  const MetricsExporter::Sources sources_;
  const ReportRefresher* const refresher_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsExporter>> MetricsExporter::Start(
    const std::string& address, Sources sources, Options options) {
  if (options.report_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "metrics: the report interval must be positive");
  }
  std::unique_ptr<MetricsExporter> exporter(new MetricsExporter);
  try {
    exporter->exposer_ =
        std::make_unique<prometheus::Exposer>(address, /*num_threads=*/1);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("metrics: cannot listen on ", address, " (", e.what(),
                     ")"));
  }
  if (sources.today) {
    exporter->refresher_ = std::make_unique<ReportRefresher>(
        sources.index, sources.today, options.report_interval, sources.oplog);
    exporter->refresher_->Start();
  }
  exporter->collectable_ =
      std::make_shared<ServerCollectable>(sources, exporter->refresher_.get());
  exporter->exposer_->RegisterCollectable(exporter->collectable_);
  if (sources.service_metrics != nullptr) {
    exporter->exposer_->RegisterCollectable(
        sources.service_metrics->registry());
  }
  const std::vector<int> ports = exporter->exposer_->GetListeningPorts();
  exporter->port_ = ports.empty() ? 0 : ports.front();
  return exporter;
}

MetricsExporter::~MetricsExporter() {
  exposer_.reset();  // Its threads stop before the collectable goes.
  if (refresher_ != nullptr) refresher_->Stop();
}

}  // namespace ehcp::services
