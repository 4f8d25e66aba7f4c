// The counters and histograms the services feed as things happen — events
// appended, calls that end with an error, how long appends take to be
// acknowledged — kept in a prometheus-cpp registry that MetricsExporter
// serves next to the values it reads from the server's state at each scrape
// (services/internal/metrics.h). They exist (and count) whether or not
// metrics are served; feeding them costs an atomic increment or a short
// lock, never I/O.
//
// The metric names and labels are listed in README.md ("Health and
// metrics").
//
// Thread safety: safe for concurrent use.
#ifndef EHCP_SERVICES_INTERNAL_SERVICE_METRICS_H_
#define EHCP_SERVICES_INTERNAL_SERVICE_METRICS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ehcp/v1/events.pb.h"

namespace prometheus {
class Counter;
class Histogram;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

namespace ehcp::services {

class ServiceMetrics {
 public:
  ServiceMetrics();
  ~ServiceMetrics();
  ServiceMetrics(const ServiceMetrics&) = delete;
  ServiceMetrics& operator=(const ServiceMetrics&) = delete;

  // An append committed `events` (each counted by its payload's kind, the
  // name of the EventPayload field set: "final_plan_issued"). Not for an
  // idempotent replay, which commits nothing.
  void EventsAppended(const std::vector<v1::Event>& events);

  // A call to `method` ("ehcp.v1.CaseService/AppendEvents") ended with
  // `code` (anything but "OK": "FAILED_PRECONDITION"), refused by `rule`
  // (a domain rule id, or "" when the refusal names none).
  void CallNotOk(absl::string_view method, absl::string_view code,
                 absl::string_view rule);

  // An append call ("ehcp.v1.CaseService/OpenCase" or
  // "ehcp.v1.CaseService/AppendEvents"; other methods are ignored) was
  // acknowledged `latency` after it arrived.
  void AppendAcknowledged(absl::string_view method, absl::Duration latency);

  // The registry holding the families above, for the exporter.
  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  // The name of the payload kind of `payload` ("final_plan_issued"), or
  // "unset".
  static std::string PayloadKind(const v1::EventPayload& payload);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* events_ = nullptr;
  prometheus::Family<prometheus::Counter>* not_ok_ = nullptr;
  prometheus::Family<prometheus::Histogram>* append_latency_ = nullptr;
  // One counter per payload field number, made at construction (so every
  // kind shows, at 0 until it happens) and only read afterwards.
  absl::flat_hash_map<int, prometheus::Counter*> events_by_field_;
  prometheus::Counter* events_unset_ = nullptr;
  // The two append methods' histograms, made at construction.
  absl::flat_hash_map<std::string, prometheus::Histogram*> latency_by_method_;
};

}  // namespace ehcp::services

#endif  // EHCP_SERVICES_INTERNAL_SERVICE_METRICS_H_
