#include "tools/internal/case_client.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "ehcp/v1/alert_service.grpc.pb.h"
#include "ehcp/v1/case_service.grpc.pb.h"
#include "ehcp/v1/clock_service.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace ehcp::tools {
namespace {

// Marks statuses made by ConnectionFailure.
constexpr absl::string_view kConnectionPayload =
    "type.googleapis.com/ehcp.tools.ConnectionFailure";

std::string Seconds(absl::Duration d) {
  return absl::StrFormat("%gs", absl::ToDoubleSeconds(d));
}

// The whole of a (small) file given by `flag`.
absl::StatusOr<std::string> ReadFile(absl::string_view flag,
                                     const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat(flag, ": cannot read ", path, ": ", std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class GrpcCaseClient final : public CaseClient {
 public:
  GrpcCaseClient(const std::string& server, absl::Duration connect_timeout,
                 absl::Duration call_timeout,
                 std::shared_ptr<grpc::ChannelCredentials> credentials,
                 const grpc::ChannelArguments& arguments, bool tls,
                 std::string bearer_token)
      : server_(server),
        bearer_token_(std::move(bearer_token)),
        connect_timeout_(connect_timeout),
        hint_(tls ? "is it running? does --tls-ca hold the CA of its "
                    "certificate, and, if it asks for one, --tls-cert a "
                    "certificate its client CA signed?"
                  : "is it running?"),
        call_timeout_(call_timeout),
        channel_(grpc::CreateCustomChannel(server, std::move(credentials),
                                           arguments)),
        stub_(v1::CaseService::NewStub(channel_)),
        clock_stub_(v1::ClockService::NewStub(channel_)),
        alert_stub_(v1::AlertService::NewStub(channel_)),
        admin_stub_(v1::AdminService::NewStub(channel_)) {}

  const std::string& server() const override { return server_; }

  absl::StatusOr<v1::OpenCaseResponse> OpenCase(
      const v1::OpenCaseRequest& request) override {
    return Call<v1::OpenCaseResponse>(*stub_, &v1::CaseService::Stub::OpenCase,
                                      "CaseService/OpenCase", request);
  }
  absl::StatusOr<v1::AppendEventsResponse> AppendEvents(
      const v1::AppendEventsRequest& request) override {
    return Call<v1::AppendEventsResponse>(*stub_,
                                          &v1::CaseService::Stub::AppendEvents,
                                          "CaseService/AppendEvents", request);
  }
  absl::StatusOr<v1::ReadCaseResponse> ReadCase(
      const v1::ReadCaseRequest& request) override {
    return Call<v1::ReadCaseResponse>(*stub_, &v1::CaseService::Stub::ReadCase,
                                      "CaseService/ReadCase", request);
  }
  absl::StatusOr<v1::ReadLogResponse> ReadLog(
      const v1::ReadLogRequest& request) override {
    return Call<v1::ReadLogResponse>(*stub_, &v1::CaseService::Stub::ReadLog,
                                     "CaseService/ReadLog", request);
  }
  absl::StatusOr<v1::GetCaseStateResponse> GetCaseState(
      const v1::GetCaseStateRequest& request) override {
    return Call<v1::GetCaseStateResponse>(*stub_,
                                          &v1::CaseService::Stub::GetCaseState,
                                          "CaseService/GetCaseState", request);
  }

  absl::StatusOr<v1::GetCaseClocksResponse> GetCaseClocks(
      const v1::GetCaseClocksRequest& request) override {
    return Call<v1::GetCaseClocksResponse>(
        *clock_stub_, &v1::ClockService::Stub::GetCaseClocks,
        "ClockService/GetCaseClocks", request);
  }
  absl::Status ReplayCase(const v1::ReplayCaseRequest& request,
                          absl::FunctionRef<void(const v1::ReplayCaseResponse&)>
                              on_message) override {
    return Stream(*clock_stub_, &v1::ClockService::Stub::ReplayCase,
                  "ClockService/ReplayCase", request, on_message);
  }
  absl::StatusOr<v1::ListBreachesResponse> ListBreaches(
      const v1::ListBreachesRequest& request) override {
    return Call<v1::ListBreachesResponse>(*clock_stub_,
                                          &v1::ClockService::Stub::ListBreaches,
                                          "ClockService/ListBreaches", request);
  }
  absl::StatusOr<v1::FindCaseResponse> FindCase(
      const v1::FindCaseRequest& request) override {
    return Call<v1::FindCaseResponse>(*clock_stub_,
                                      &v1::ClockService::Stub::FindCase,
                                      "ClockService/FindCase", request);
  }
  absl::StatusOr<v1::ListCasesResponse> ListCases(
      const v1::ListCasesRequest& request) override {
    return Call<v1::ListCasesResponse>(*clock_stub_,
                                       &v1::ClockService::Stub::ListCases,
                                       "ClockService/ListCases", request);
  }
  absl::StatusOr<v1::ListDeadlinesResponse> ListDeadlines(
      const v1::ListDeadlinesRequest& request) override {
    return Call<v1::ListDeadlinesResponse>(
        *clock_stub_, &v1::ClockService::Stub::ListDeadlines,
        "ClockService/ListDeadlines", request);
  }
  absl::StatusOr<v1::GetReviewBacklogResponse> GetReviewBacklog(
      const v1::GetReviewBacklogRequest& request) override {
    return Call<v1::GetReviewBacklogResponse>(
        *clock_stub_, &v1::ClockService::Stub::GetReviewBacklog,
        "ClockService/GetReviewBacklog", request);
  }
  absl::StatusOr<v1::GetTimelinessResponse> GetTimeliness(
      const v1::GetTimelinessRequest& request) override {
    return Call<v1::GetTimelinessResponse>(
        *clock_stub_, &v1::ClockService::Stub::GetTimeliness,
        "ClockService/GetTimeliness", request);
  }
  absl::StatusOr<v1::GetProjectionStatusResponse> GetProjectionStatus(
      const v1::GetProjectionStatusRequest& request) override {
    return Call<v1::GetProjectionStatusResponse>(
        *clock_stub_, &v1::ClockService::Stub::GetProjectionStatus,
        "ClockService/GetProjectionStatus", request);
  }
  absl::StatusOr<v1::RebuildProjectionsResponse> RebuildProjections(
      const v1::RebuildProjectionsRequest& request) override {
    return Call<v1::RebuildProjectionsResponse>(
        *clock_stub_, &v1::ClockService::Stub::RebuildProjections,
        "ClockService/RebuildProjections", request);
  }

  absl::StatusOr<v1::GetDigestResponse> GetDigest(
      const v1::GetDigestRequest& request) override {
    return Call<v1::GetDigestResponse>(*stub_,
                                       &v1::CaseService::Stub::GetDigest,
                                       "CaseService/GetDigest", request);
  }

  absl::Status VerifyLog(const v1::VerifyLogRequest& request,
                         absl::FunctionRef<void(const v1::VerifyLogResponse&)>
                             on_message) override {
    return Stream(*stub_, &v1::CaseService::Stub::VerifyLog,
                  "CaseService/VerifyLog", request, on_message);
  }

  absl::Status ExportLog(const v1::ExportLogRequest& request,
                         absl::FunctionRef<void(const v1::ExportLogResponse&)>
                             on_message) override {
    return Stream(*stub_, &v1::CaseService::Stub::ExportLog,
                  "CaseService/ExportLog", request, on_message);
  }

  absl::StatusOr<v1::ImportLogResponse> ImportLog(
      absl::FunctionRef<absl::StatusOr<bool>(v1::ImportLogRequest*)> next)
      override {
    EHCP_RETURN_IF_ERROR(Connect());
    grpc::ClientContext context;
    Authorize(&context);
    context.set_deadline(Deadline(call_timeout_));
    v1::ImportLogResponse response;
    std::unique_ptr<grpc::ClientWriter<v1::ImportLogRequest>> writer =
        stub_->ImportLog(&context, &response);
    v1::ImportLogRequest request;
    for (;;) {
      request.Clear();
      absl::StatusOr<bool> more = next(&request);
      if (!more.ok()) {
        context.TryCancel();
        writer->Finish();
        return more.status();
      }
      if (request.records_size() > 0 && !writer->Write(request)) break;
      if (!*more) break;
    }
    writer->WritesDone();
    const grpc::Status status = writer->Finish();
    if (!status.ok()) return FromGrpc(status, "CaseService/ImportLog");
    return response;
  }

  absl::StatusOr<v1::ListAlertsResponse> ListAlerts(
      const v1::ListAlertsRequest& request) override {
    return Call<v1::ListAlertsResponse>(*alert_stub_,
                                        &v1::AlertService::Stub::ListAlerts,
                                        "AlertService/ListAlerts", request);
  }
  absl::StatusOr<v1::GetAlertStatusResponse> GetAlertStatus(
      const v1::GetAlertStatusRequest& request) override {
    return Call<v1::GetAlertStatusResponse>(
        *alert_stub_, &v1::AlertService::Stub::GetAlertStatus,
        "AlertService/GetAlertStatus", request);
  }
  absl::StatusOr<v1::GetTodayResponse> GetToday(
      const v1::GetTodayRequest& request) override {
    return Call<v1::GetTodayResponse>(*admin_stub_,
                                      &v1::AdminService::Stub::GetToday,
                                      "AdminService/GetToday", request);
  }
  absl::StatusOr<v1::SetTodayResponse> SetToday(
      const v1::SetTodayRequest& request) override {
    return Call<v1::SetTodayResponse>(*admin_stub_,
                                      &v1::AdminService::Stub::SetToday,
                                      "AdminService/SetToday", request);
  }

  absl::Status WatchAlerts(
      const v1::WatchAlertsRequest& request,
      absl::FunctionRef<void(const v1::WatchAlertsResponse&)> on_message,
      Cancellation* cancel) override {
    return Follow(*alert_stub_, &v1::AlertService::Stub::WatchAlerts,
                  "AlertService/WatchAlerts", request, on_message, cancel);
  }

  absl::Status Subscribe(const v1::SubscribeRequest& request,
                         absl::FunctionRef<void(const v1::Event&)> on_event,
                         Cancellation* cancel) override {
    return Follow<v1::SubscribeResponse>(
        *stub_, &v1::CaseService::Stub::Subscribe, "CaseService/Subscribe",
        request,
        [&on_event](const v1::SubscribeResponse& r) { on_event(r.event()); },
        cancel);
  }

 private:
  static std::chrono::system_clock::time_point Deadline(
      absl::Duration timeout) {
    return std::chrono::system_clock::now() +
           absl::ToChronoNanoseconds(timeout);
  }

  // Waits for the channel to be ready, at most connect_timeout_. A refused or
  // unresolvable address puts the channel in TRANSIENT_FAILURE at once,
  // which fails here without waiting for the deadline.
  absl::Status Connect() {
    if (connected_) return absl::OkStatus();
    const auto deadline = Deadline(connect_timeout_);
    grpc_connectivity_state state = channel_->GetState(/*try_to_connect=*/true);
    while (state != GRPC_CHANNEL_READY) {
      if (state == GRPC_CHANNEL_TRANSIENT_FAILURE ||
          state == GRPC_CHANNEL_SHUTDOWN) {
        return ConnectionFailure(
            absl::StatusCode::kUnavailable,
            absl::StrCat("cannot reach ehcpd at ", server_, " (", hint_, ")"));
      }
      if (!channel_->WaitForStateChange(state, deadline)) {
        return ConnectionFailure(
            absl::StatusCode::kUnavailable,
            absl::StrCat("cannot reach ehcpd at ", server_, " within ",
                         Seconds(connect_timeout_), " (", hint_, ")"));
      }
      state = channel_->GetState(/*try_to_connect=*/true);
    }
    connected_ = true;
    return absl::OkStatus();
  }

  // Every call's credential: the bearer token, when there is one.
  void Authorize(grpc::ClientContext* context) const {
    if (!bearer_token_.empty()) {
      context->AddMetadata("authorization",
                           absl::StrCat("Bearer ", bearer_token_));
    }
  }

  // Calls `method` of `stub` (named `name`, "Service/Method", for
  // messages) with the call deadline.
  template <typename Response, typename Stub, typename Method, typename Request>
  absl::StatusOr<Response> Call(Stub& stub, Method method,
                                absl::string_view name,
                                const Request& request) {
    EHCP_RETURN_IF_ERROR(Connect());
    grpc::ClientContext context;
    Authorize(&context);
    context.set_deadline(Deadline(call_timeout_));
    Response response;
    const grpc::Status status = (stub.*method)(&context, request, &response);
    if (!status.ok()) return FromGrpc(status, name);
    return response;
  }

  // Reads the server stream of `method` (named `name`) with no deadline,
  // calling `on_message` for each message, until `cancel` is cancelled
  // (OK) or the stream ends (UNAVAILABLE, a connection failure, also when
  // it ends "well": the server ends follows only when it stops).
  template <typename Response, typename Stub, typename Request>
  absl::Status Follow(Stub& stub,
                      std::unique_ptr<grpc::ClientReader<Response>> (
                          Stub::*method)(grpc::ClientContext*, const Request&),
                      absl::string_view name, const Request& request,
                      absl::FunctionRef<void(const Response&)> on_message,
                      Cancellation* cancel) {
    EHCP_RETURN_IF_ERROR(Connect());
    grpc::ClientContext context;  // no deadline: follows until cancelled
    Authorize(&context);
    if (cancel != nullptr) cancel->SetHook([&context] { context.TryCancel(); });
    std::unique_ptr<grpc::ClientReader<Response>> reader =
        (stub.*method)(&context, request);
    Response response;
    while (reader->Read(&response)) on_message(response);
    const grpc::Status status = reader->Finish();
    if (cancel != nullptr) {
      cancel->ClearHook();
      if (cancel->cancelled()) return absl::OkStatus();
    }
    if (status.ok()) {
      return ConnectionFailure(
          absl::StatusCode::kUnavailable,
          absl::StrCat("ehcpd at ", server_, " ended ", name));
    }
    return FromGrpc(status, name);
  }

  // Reads the server stream of `method` to its end, calling `on_message`
  // for each message, with the call deadline over the whole stream.
  template <typename Response, typename Stub, typename Request>
  absl::Status Stream(Stub& stub,
                      std::unique_ptr<grpc::ClientReader<Response>> (
                          Stub::*method)(grpc::ClientContext*, const Request&),
                      absl::string_view name, const Request& request,
                      absl::FunctionRef<void(const Response&)> on_message) {
    EHCP_RETURN_IF_ERROR(Connect());
    grpc::ClientContext context;
    Authorize(&context);
    context.set_deadline(Deadline(call_timeout_));
    std::unique_ptr<grpc::ClientReader<Response>> reader =
        (stub.*method)(&context, request);
    Response response;
    while (reader->Read(&response)) on_message(response);
    const grpc::Status status = reader->Finish();
    if (!status.ok()) return FromGrpc(status, name);
    return absl::OkStatus();
  }

  // The one place grpc::Status becomes absl::Status. `method` names the
  // call ("ClockService/ListBreaches"), or is empty.
  absl::Status FromGrpc(const grpc::Status& status,
                        absl::string_view method = "") const {
    const auto code = static_cast<absl::StatusCode>(status.error_code());
    switch (code) {
      case absl::StatusCode::kUnimplemented:
        // What gRPC says for a service or method the server lacks.
        if (method.empty() || !status.error_message().empty()) {
          return absl::Status(code, status.error_message());
        }
        return absl::Status(
            code, absl::StrCat("ehcpd at ", server_, " does not serve ehcp.v1.",
                               method, " (is it older than ehcpctl?)"));
      case absl::StatusCode::kUnavailable:
        return ConnectionFailure(code,
                                 absl::StrCat("lost ehcpd at ", server_, " (",
                                              status.error_message(), ")"));
      case absl::StatusCode::kDeadlineExceeded:
        return ConnectionFailure(
            code, absl::StrCat("ehcpd at ", server_, " did not answer within ",
                               Seconds(call_timeout_)));
      default:
        return absl::Status(code, status.error_message());
    }
  }

  const std::string server_;
  const std::string bearer_token_;  // empty: no authorization metadata
  const absl::Duration connect_timeout_;
  const std::string hint_;  // why a connection may fail, for messages
  const absl::Duration call_timeout_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::CaseService::Stub> stub_;
  std::unique_ptr<v1::ClockService::Stub> clock_stub_;
  std::unique_ptr<v1::AlertService::Stub> alert_stub_;
  std::unique_ptr<v1::AdminService::Stub> admin_stub_;
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

absl::StatusOr<std::unique_ptr<CaseClient>> NewGrpcCaseClient(
    const std::string& server, absl::Duration connect_timeout,
    absl::Duration call_timeout, const ClientTls& tls,
    const std::string& token_file) {
  std::string token;
  if (!token_file.empty()) {
    EHCP_ASSIGN_OR_RETURN(const std::string text,
                          ReadFile("--token-file", token_file));
    token = std::string(absl::StripAsciiWhitespace(
        absl::string_view(text).substr(0, text.find('\n'))));
    if (token.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--token-file: ", token_file, " holds no token on its first line"));
    }
  }
  grpc::ChannelArguments arguments;
  if (tls.ca_file.empty()) {
    return std::make_unique<GrpcCaseClient>(
        server, connect_timeout, call_timeout,
        grpc::InsecureChannelCredentials(), arguments, /*tls=*/false,
        std::move(token));
  }
  grpc::SslCredentialsOptions options;
  EHCP_ASSIGN_OR_RETURN(options.pem_root_certs,
                        ReadFile("--tls-ca", tls.ca_file));
  if (!tls.cert_file.empty()) {
    EHCP_ASSIGN_OR_RETURN(options.pem_cert_chain,
                          ReadFile("--tls-cert", tls.cert_file));
    EHCP_ASSIGN_OR_RETURN(options.pem_private_key,
                          ReadFile("--tls-key", tls.key_file));
  }
  if (!tls.server_name.empty()) {
    arguments.SetSslTargetNameOverride(tls.server_name);
  }
  return std::make_unique<GrpcCaseClient>(server, connect_timeout, call_timeout,
                                          grpc::SslCredentials(options),
                                          arguments, /*tls=*/true,
                                          std::move(token));
}

}  // namespace ehcp::tools
