#include "services/internal/service_metrics.h"

#include <string>

#include "google/protobuf/descriptor.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace ehcp::services {
namespace {

// Seconds, from a millisecond (a cached case, a shared fsync) to 10 s (a
// case read from the log on a loaded disk).
const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* const kBuckets =
      new prometheus::Histogram::BucketBoundaries{
          0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};
  return *kBuckets;
}

const google::protobuf::OneofDescriptor* PayloadOneof() {
  return v1::EventPayload::descriptor()->FindOneofByName("kind");
}

}  // namespace

ServiceMetrics::ServiceMetrics()
    : registry_(std::make_shared<prometheus::Registry>()) {
  events_ = &prometheus::BuildCounter()
                 .Name("ehcp_events_appended_total")
                 .Help(
                     "Events committed to the log since the server started, "
                     "by the kind of their payload (idempotent replays "
                     "not counted).")
                 .Register(*registry_);
  not_ok_ = &prometheus::BuildCounter()
                 .Name("ehcp_grpc_refusals_total")
                 .Help(
                     "Calls that ended with a status other than OK, by "
                     "method, gRPC code and the domain rule that refused "
                     "them (rule=\"\" when none is named).")
                 .Register(*registry_);
  append_latency_ =
      &prometheus::BuildHistogram()
           .Name("ehcp_append_latency_seconds")
           .Help(
               "Acknowledged appends (OpenCase, AppendEvents): seconds from "
               "the call's arrival to its acknowledgement (durable).")
           .Register(*registry_);
  const google::protobuf::OneofDescriptor* kind = PayloadOneof();
  for (int i = 0; i < kind->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = kind->field(i);
    events_by_field_[field->number()] =
        &events_->Add({{"kind", std::string(field->name())}});
  }
  events_unset_ = &events_->Add({{"kind", "unset"}});
  for (const char* method :
       {"ehcp.v1.CaseService/OpenCase", "ehcp.v1.CaseService/AppendEvents"}) {
    latency_by_method_[method] =
        &append_latency_->Add({{"method", method}}, LatencyBuckets());
  }
}

ServiceMetrics::~ServiceMetrics() = default;

std::string ServiceMetrics::PayloadKind(const v1::EventPayload& payload) {
  const google::protobuf::FieldDescriptor* field =
      payload.GetReflection()->GetOneofFieldDescriptor(payload, PayloadOneof());
  return field == nullptr ? "unset" : std::string(field->name());
}

void ServiceMetrics::EventsAppended(const std::vector<v1::Event>& events) {
  for (const v1::Event& event : events) {
    const auto it = events_by_field_.find(event.payload().kind_case());
    (it == events_by_field_.end() ? events_unset_ : it->second)->Increment();
  }
}

void ServiceMetrics::CallNotOk(absl::string_view method, absl::string_view code,
                               absl::string_view rule) {
  not_ok_
      ->Add({{"method", std::string(method)},
             {"code", std::string(code)},
             {"rule", std::string(rule)}})
      .Increment();
}

void ServiceMetrics::AppendAcknowledged(absl::string_view method,
                                        absl::Duration latency) {
  const auto it = latency_by_method_.find(method);
  if (it != latency_by_method_.end()) {
    it->second->Observe(absl::ToDoubleSeconds(latency));
  }
}

}  // namespace ehcp::services
