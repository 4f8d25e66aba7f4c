#include "services/internal/grpc_status.h"

#include <string>

namespace ehcp::services {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

grpc::ServerUnaryReactor* Finished(grpc::CallbackServerContext* context,
                                   const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

void FinishOn(Executor* executor, grpc::ServerUnaryReactor* reactor,
              absl::AnyInvocable<absl::Status() &&> body) {
  const bool accepted =
      executor->Submit([reactor, body = std::move(body)]() mutable {
        reactor->Finish(ToGrpcStatus(std::move(body)()));
      });
  if (!accepted) reactor->Finish(ToGrpcStatus(executor->BusyStatus()));
}

grpc::ServerUnaryReactor* FinishOn(Executor* executor,
                                   grpc::CallbackServerContext* context,
                                   absl::AnyInvocable<absl::Status() &&> body) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  FinishOn(executor, reactor, std::move(body));
  return reactor;
}

}  // namespace ehcp::services
