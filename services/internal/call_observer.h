// Every call to ehcpd, observed once, in one place: a gRPC server
// interceptor (grpc::experimental, installed on the ServerBuilder) that
// sees each call arrive and its status leave, for every method of every
// service, so no service method has to remember to report itself.
//
// When a call ends it
//  - counts a call that ended non-OK in ServiceMetrics::CallNotOk, with the
//    domain rule that refused it (RuleOf);
//  - observes an acknowledged append's latency (OpenCase, AppendEvents) in
//    ServiceMetrics::AppendAcknowledged;
//  - logs a call that ended non-OK ("call_refused", warning, or
//    "call_failed", error — see IsServerFault) and a unary call slower than
//    the threshold ("slow_call", warning), with the method, the gRPC code
//    name, the rule, the request id and the latency in milliseconds. Never
//    the status message: it may echo what the client sent (a field's
//    value), and the log must hold no personal data;
//  - returns the request id to the client in the trailing metadata
//    `x-request-id`;
//  - answers a request whose bytes do not parse as the method's message
//    INVALID_ARGUMENT "request: ... do not parse" with the rule
//    "request.unparseable" (gRPC's callback API would answer UNIMPLEMENTED
//    with no message), logging at most one such refusal a second (with
//    how many were not logged since), so that a client sending garbage
//    cannot flood the log; each is still counted.
//
// The request id is the client's `x-request-id` metadata when it is 1–64
// characters of [A-Za-z0-9._:-]; otherwise (absent, or anything else, which
// is then not logged) a fresh one of 16 hex digits.
//
// Latency runs from the interceptor's creation (gRPC creates it as the call
// arrives, before the method runs) to the moment the status is sent.
//
// Thread safety: the factory is used by gRPC's threads concurrently; the
// metrics and the log it is given must outlive the server.
#ifndef EHCP_SERVICES_INTERNAL_CALL_OBSERVER_H_
#define EHCP_SERVICES_INTERNAL_CALL_OBSERVER_H_

#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/support/server_interceptor.h"
#include "grpcpp/support/status.h"
#include "services/internal/service_metrics.h"
#include "services/internal/structured_log.h"

namespace ehcp::services {

// The metadata key of the request id, both ways.
inline constexpr char kRequestIdKey[] = "x-request-id";

// The domain rule id a refusal names: for FAILED_PRECONDITION "rule <id>:
// …" (domain/admissibility.h) the <id> when it is 1–64 characters of
// [a-z0-9_.*]; "" otherwise.
std::string RuleOf(grpc::StatusCode code, absl::string_view message);

// "FAILED_PRECONDITION" for grpc::StatusCode::FAILED_PRECONDITION, etc.
std::string CodeName(grpc::StatusCode code);

// Whether `code` says the server failed (UNKNOWN, INTERNAL, DATA_LOSS,
// UNAVAILABLE, UNIMPLEMENTED, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED) rather
// than that the request was refused for what it asked (the others).
bool IsServerFault(grpc::StatusCode code);

class CallObserverFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // `metrics` and `log` must outlive every call; a unary call of at least
  // `slow_call` is logged as slow (absl::InfiniteDuration(): never).
  CallObserverFactory(ServiceMetrics* metrics, StructuredLog* log,
                      absl::Duration slow_call);

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

  // What one call's end amounts to (the interceptor's part, testable
  // alone): counts, observes and logs as the file comment says.
  struct CallEnd {
    // "ehcp.v1.CaseService/AppendEvents" (no leading slash).
    std::string method;
    bool unary = true;
    grpc::StatusCode code = grpc::StatusCode::OK;
    // The rule (RuleOf), or "".
    std::string rule;
    std::string request_id;
    absl::Duration latency;
    // The request's bytes did not parse (logged at most once a second).
    bool unparseable = false;
  };
  void Ended(const CallEnd& call) const;

 private:
  ServiceMetrics* const metrics_;
  StructuredLog* const log_;
  const absl::Duration slow_call_;
  mutable absl::Mutex mu_;
  mutable absl::Time last_unparseable_logged_ ABSL_GUARDED_BY(mu_) =
      absl::InfinitePast();
  mutable int64_t unparseable_not_logged_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace ehcp::services

#endif  // EHCP_SERVICES_INTERNAL_CALL_OBSERVER_H_
