// Conversion of absl::Status to grpc::Status, done once at the service edge,
// and finishing a unary callback call with one.
#ifndef EHCP_SERVICES_INTERNAL_GRPC_STATUS_H_
#define EHCP_SERVICES_INTERNAL_GRPC_STATUS_H_

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "grpcpp/support/status.h"
#include "services/internal/executor.h"

namespace ehcp::services {

// Same code (the numeric values of absl::StatusCode and grpc::StatusCode
// coincide) and message.
grpc::Status ToGrpcStatus(const absl::Status& status);

// Finishes a unary call at once with `status` (converted) and returns its
// reactor: `return Finished(context, status);` in a callback method.
grpc::ServerUnaryReactor* Finished(grpc::CallbackServerContext* context,
                                   const absl::Status& status);

// Runs `body` on `executor` (executor.h) and finishes the call with the
// status it returns; RESOURCE_EXHAUSTED at once when the executor's queue
// is full. For work that may touch the disk or take long: the gRPC thread
// only hands it off. `body` may fill the response; it runs at most once.
grpc::ServerUnaryReactor* FinishOn(Executor* executor,
                                   grpc::CallbackServerContext* context,
                                   absl::AnyInvocable<absl::Status() &&> body);
// The same for a reactor already taken (after a wait).
void FinishOn(Executor* executor, grpc::ServerUnaryReactor* reactor,
              absl::AnyInvocable<absl::Status() &&> body);

// A server stream finished at once with `status` (converted), owning
// itself: `return new RefusedStream<v1::VerifyLogResponse>(status);`.
template <typename Response>
class RefusedStream final : public grpc::ServerWriteReactor<Response> {
 public:
  explicit RefusedStream(const absl::Status& status) {
    this->Finish(ToGrpcStatus(status));
  }
  void OnDone() override { delete this; }
};

// The same for a client stream: `return new RefusedReadStream<
// v1::ImportLogRequest>(status);`.
template <typename Request>
class RefusedReadStream final : public grpc::ServerReadReactor<Request> {
 public:
  explicit RefusedReadStream(const absl::Status& status) {
    this->Finish(ToGrpcStatus(status));
  }
  void OnDone() override { delete this; }
};

}  // namespace ehcp::services

#endif  // EHCP_SERVICES_INTERNAL_GRPC_STATUS_H_
