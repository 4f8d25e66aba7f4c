// Conversion of absl::Status to grpc::Status, done once at the service edge,
// and finishing a unary callback call with one.
#ifndef EHCP_SERVICES_GRPC_STATUS_H_
#define EHCP_SERVICES_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "grpcpp/support/status.h"

namespace ehcp::services {

// Same code (the numeric values of absl::StatusCode and grpc::StatusCode
// coincide) and message.
grpc::Status ToGrpcStatus(const absl::Status& status);

// Finishes a unary call at once with `status` (converted) and returns its
// reactor: `return Finished(context, status);` in a callback method.
grpc::ServerUnaryReactor* Finished(grpc::CallbackServerContext* context,
                                   const absl::Status& status);

}  // namespace ehcp::services

#endif  // EHCP_SERVICES_GRPC_STATUS_H_
