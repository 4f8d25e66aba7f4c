#include "tools/case_client.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "ehcp/v1/case_service.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace ehcp::tools {
namespace {

// Marks statuses made by ConnectionFailure.
constexpr absl::string_view kConnectionPayload =
    "type.googleapis.com/ehcp.tools.ConnectionFailure";

std::string Seconds(absl::Duration d) {
  return absl::StrFormat("%gs", absl::ToDoubleSeconds(d));
}

class GrpcCaseClient final : public CaseClient {
 public:
  GrpcCaseClient(const std::string& server, absl::Duration timeout)
      : server_(server),
        timeout_(timeout),
        channel_(
            grpc::CreateChannel(server, grpc::InsecureChannelCredentials())),
        stub_(v1::CaseService::NewStub(channel_)) {}

  const std::string& server() const override { return server_; }

  absl::StatusOr<v1::OpenCaseResponse> OpenCase(
      const v1::OpenCaseRequest& request) override {
    return Call<v1::OpenCaseResponse>(&v1::CaseService::Stub::OpenCase,
                                      request);
  }
  absl::StatusOr<v1::AppendEventsResponse> AppendEvents(
      const v1::AppendEventsRequest& request) override {
    return Call<v1::AppendEventsResponse>(&v1::CaseService::Stub::AppendEvents,
                                          request);
  }
  absl::StatusOr<v1::ReadCaseResponse> ReadCase(
      const v1::ReadCaseRequest& request) override {
    return Call<v1::ReadCaseResponse>(&v1::CaseService::Stub::ReadCase,
                                      request);
  }
  absl::StatusOr<v1::ReadLogResponse> ReadLog(
      const v1::ReadLogRequest& request) override {
    return Call<v1::ReadLogResponse>(&v1::CaseService::Stub::ReadLog, request);
  }
  absl::StatusOr<v1::GetCaseStateResponse> GetCaseState(
      const v1::GetCaseStateRequest& request) override {
    return Call<v1::GetCaseStateResponse>(&v1::CaseService::Stub::GetCaseState,
                                          request);
  }

  absl::Status Subscribe(const v1::SubscribeRequest& request,
                         absl::FunctionRef<void(const v1::Event&)> on_event,
                         Cancellation* cancel) override {
    EHCP_RETURN_IF_ERROR(Connect());
    grpc::ClientContext context;  // no deadline: follows until cancelled
    if (cancel != nullptr) cancel->SetHook([&context] { context.TryCancel(); });
    std::unique_ptr<grpc::ClientReader<v1::SubscribeResponse>> reader =
        stub_->Subscribe(&context, request);
    v1::SubscribeResponse response;
    while (reader->Read(&response)) on_event(response.event());
    const grpc::Status status = reader->Finish();
    if (cancel != nullptr) {
      cancel->ClearHook();
      if (cancel->cancelled()) return absl::OkStatus();
    }
    if (status.ok()) {
      return ConnectionFailure(
          absl::StatusCode::kUnavailable,
          absl::StrCat("ehcpd at ", server_, " ended the subscription"));
    }
    return FromGrpc(status);
  }

 private:
  std::chrono::system_clock::time_point Deadline() const {
    return std::chrono::system_clock::now() +
           absl::ToChronoNanoseconds(timeout_);
  }

  // Waits for the channel to be ready, at most timeout_. A refused or
  // unresolvable address puts the channel in TRANSIENT_FAILURE at once,
  // which fails here without waiting for the deadline.
  absl::Status Connect() {
    if (connected_) return absl::OkStatus();
    const auto deadline = Deadline();
    grpc_connectivity_state state = channel_->GetState(/*try_to_connect=*/true);
    while (state != GRPC_CHANNEL_READY) {
      if (state == GRPC_CHANNEL_TRANSIENT_FAILURE ||
          state == GRPC_CHANNEL_SHUTDOWN) {
        return ConnectionFailure(absl::StatusCode::kUnavailable,
                                 absl::StrCat("cannot reach ehcpd at ", server_,
                                              " (is it running?)"));
      }
      if (!channel_->WaitForStateChange(state, deadline)) {
        return ConnectionFailure(
            absl::StatusCode::kUnavailable,
            absl::StrCat("cannot reach ehcpd at ", server_, " within ",
                         Seconds(timeout_), " (is it running?)"));
      }
      state = channel_->GetState(/*try_to_connect=*/true);
    }
    connected_ = true;
    return absl::OkStatus();
  }

  template <typename Response, typename Method, typename Request>
  absl::StatusOr<Response> Call(Method method, const Request& request) {
    EHCP_RETURN_IF_ERROR(Connect());
    grpc::ClientContext context;
    context.set_deadline(Deadline());
    Response response;
    const grpc::Status status =
        (stub_.get()->*method)(&context, request, &response);
    if (!status.ok()) return FromGrpc(status);
    return response;
  }

  // The one place grpc::Status becomes absl::Status.
  absl::Status FromGrpc(const grpc::Status& status) const {
    const auto code = static_cast<absl::StatusCode>(status.error_code());
    switch (code) {
      case absl::StatusCode::kUnavailable:
        return ConnectionFailure(code,
                                 absl::StrCat("lost ehcpd at ", server_, " (",
                                              status.error_message(), ")"));
      case absl::StatusCode::kDeadlineExceeded:
        return ConnectionFailure(
            code, absl::StrCat("ehcpd at ", server_, " did not answer within ",
                               Seconds(timeout_)));
      default:
        return absl::Status(code, status.error_message());
    }
  }

  const std::string server_;
  const absl::Duration timeout_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::CaseService::Stub> stub_;
  bool connected_ = false;
};

}  // namespace

void Cancellation::Cancel() {
  absl::MutexLock lock(&mu_);
  if (cancelled_) return;
  cancelled_ = true;
  if (hook_) hook_();
}

bool Cancellation::cancelled() const {
  absl::MutexLock lock(&mu_);
  return cancelled_;
}

void Cancellation::SetHook(std::function<void()> hook) {
  absl::MutexLock lock(&mu_);
  hook_ = std::move(hook);
  if (cancelled_ && hook_) hook_();
}

void Cancellation::ClearHook() {
  absl::MutexLock lock(&mu_);
  hook_ = nullptr;
}

bool IsConnectionFailure(const absl::Status& status) {
  return status.GetPayload(kConnectionPayload).has_value();
}

absl::Status ConnectionFailure(absl::StatusCode code,
                               absl::string_view message) {
  absl::Status status(code, message);
  status.SetPayload(kConnectionPayload, absl::Cord("1"));
  return status;
}

std::unique_ptr<CaseClient> NewGrpcCaseClient(const std::string& server,
                                              absl::Duration timeout) {
  return std::make_unique<GrpcCaseClient>(server, timeout);
}

}  // namespace ehcp::tools
