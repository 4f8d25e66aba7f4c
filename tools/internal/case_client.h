// The calls ehcpctl makes to ehcpd (its CaseService, ClockService,
// AlertService and AdminService),
// behind an interface so that the commands (commands.h) can be tested
// against a fake.
//
//   absl::StatusOr<std::unique_ptr<CaseClient>> client = NewGrpcCaseClient(
//       "127.0.0.1:50051", absl::Seconds(10), absl::Seconds(10));
//   absl::StatusOr<v1::GetCaseStateResponse> state =
//       client->GetCaseState(request);
//
// Errors are absl::Status with the server's code and message (gRPC status
// codes and absl codes share their numbers; grpc::Status is converted here
// and nowhere else). Failures to talk to the server at all are written for
// people, naming the address:
//   UNAVAILABLE "cannot reach ehcpd at 127.0.0.1:50051 (is it running?)"
//   DEADLINE_EXCEEDED "ehcpd at 127.0.0.1:50051 did not answer within 10s"
// and IsConnectionFailure() tells them from the server's own refusals. A
// server that does not serve a method (an older ehcpd) gives UNIMPLEMENTED
// "ehcpd at 127.0.0.1:50051 does not serve ehcp.v1.ClockService/ListBreaches
// (is it older than ehcpctl?)".
//
// Thread safety: a CaseClient may be used from one thread at a time;
// Cancellation::Cancel may be called from any thread.
#ifndef EHCP_TOOLS_INTERNAL_CASE_CLIENT_H_
#define EHCP_TOOLS_INTERNAL_CASE_CLIENT_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ehcp/v1/alert_service.pb.h"
#include "ehcp/v1/case_service.pb.h"
#include "ehcp/v1/clock_service.pb.h"

namespace ehcp::tools {

namespace v1 = ::ehcp::v1;

// A one-shot stop request for a long call (a subscription), settable from
// another thread (a signal watcher).
class Cancellation {
 public:
  // Marks cancelled and runs the hook, if one is set, once.
  void Cancel();
  bool cancelled() const;
  // Sets the hook Cancel runs (replacing any); runs it at once when already
  // cancelled. The hook must be safe to call from another thread.
  void SetHook(std::function<void()> hook);
  // Removes the hook; after it returns the hook is not running and will
  // not run.
  void ClearHook();

 private:
  mutable absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  std::function<void()> hook_ ABSL_GUARDED_BY(mu_);
};

class CaseClient {
 public:
  virtual ~CaseClient() = default;

  // The address of the server, for messages.
  virtual const std::string& server() const = 0;

  // The unary calls of ehcp.v1.CaseService, each with the client's
  // deadline. The server's errors come back as they are
  // (case_service.proto lists them); see above for connection failures.
  virtual absl::StatusOr<v1::OpenCaseResponse> OpenCase(
      const v1::OpenCaseRequest& request) = 0;
  virtual absl::StatusOr<v1::AppendEventsResponse> AppendEvents(
      const v1::AppendEventsRequest& request) = 0;
  virtual absl::StatusOr<v1::ReadCaseResponse> ReadCase(
      const v1::ReadCaseRequest& request) = 0;
  virtual absl::StatusOr<v1::ReadLogResponse> ReadLog(
      const v1::ReadLogRequest& request) = 0;
  virtual absl::StatusOr<v1::GetCaseStateResponse> GetCaseState(
      const v1::GetCaseStateRequest& request) = 0;
  virtual absl::StatusOr<v1::GetDigestResponse> GetDigest(
      const v1::GetDigestRequest& request) = 0;
  // Streams a verification of the log's hash chain, calling `on_message`
  // for each progress message and the verdict; the stream's status (the
  // call deadline applies to the whole stream).
  virtual absl::Status VerifyLog(
      const v1::VerifyLogRequest& request,
      absl::FunctionRef<void(const v1::VerifyLogResponse&)> on_message) = 0;

  // Streams an export of the log or a case, calling `on_message` for each
  // page; the stream's status (the call deadline applies to the whole
  // stream).
  virtual absl::Status ExportLog(
      const v1::ExportLogRequest& request,
      absl::FunctionRef<void(const v1::ExportLogResponse&)> on_message) = 0;
  // Streams an import: calls `next` for each page to send, until it returns
  // false (the last page, possibly empty, is filled then) or an error,
  // which cancels the call (ehcpd then imports nothing) and is returned.
  // Otherwise ehcpd's answer.
  virtual absl::StatusOr<v1::ImportLogResponse> ImportLog(
      absl::FunctionRef<absl::StatusOr<bool>(v1::ImportLogRequest*)> next) = 0;

  // The unary calls of ehcp.v1.ClockService, each with the client's
  // deadline (clock_service.proto lists their errors).
  virtual absl::StatusOr<v1::GetCaseClocksResponse> GetCaseClocks(
      const v1::GetCaseClocksRequest& request) = 0;
  // Streams a case's replay (the header, then its entries), calling
  // `on_message` for each; the stream's status (the call deadline applies
  // to the whole stream).
  virtual absl::Status ReplayCase(
      const v1::ReplayCaseRequest& request,
      absl::FunctionRef<void(const v1::ReplayCaseResponse&)> on_message) = 0;
  virtual absl::StatusOr<v1::ListBreachesResponse> ListBreaches(
      const v1::ListBreachesRequest& request) = 0;
  virtual absl::StatusOr<v1::GetReviewBacklogResponse> GetReviewBacklog(
      const v1::GetReviewBacklogRequest& request) = 0;
  virtual absl::StatusOr<v1::GetTimelinessResponse> GetTimeliness(
      const v1::GetTimelinessRequest& request) = 0;
  virtual absl::StatusOr<v1::FindCaseResponse> FindCase(
      const v1::FindCaseRequest& request) = 0;
  virtual absl::StatusOr<v1::ListCasesResponse> ListCases(
      const v1::ListCasesRequest& request) = 0;
  virtual absl::StatusOr<v1::ListDeadlinesResponse> ListDeadlines(
      const v1::ListDeadlinesRequest& request) = 0;
  virtual absl::StatusOr<v1::GetProjectionStatusResponse> GetProjectionStatus(
      const v1::GetProjectionStatusRequest& request) = 0;
  virtual absl::StatusOr<v1::RebuildProjectionsResponse> RebuildProjections(
      const v1::RebuildProjectionsRequest& request) = 0;

  // The unary calls of ehcp.v1.AlertService and ehcp.v1.AdminService,
  // each with the client's deadline (alert_service.proto lists their
  // errors).
  virtual absl::StatusOr<v1::ListAlertsResponse> ListAlerts(
      const v1::ListAlertsRequest& request) = 0;
  virtual absl::StatusOr<v1::GetAlertStatusResponse> GetAlertStatus(
      const v1::GetAlertStatusRequest& request) = 0;
  virtual absl::StatusOr<v1::GetTodayResponse> GetToday(
      const v1::GetTodayRequest& request) = 0;
  virtual absl::StatusOr<v1::SetTodayResponse> SetToday(
      const v1::SetTodayRequest& request) = 0;
  // Watches the alert log from request.from_sequence, calling `on_message`
  // for each message, until `cancel` is cancelled (returns OK) or the
  // stream ends (returns its status; the server ends watches only when it
  // stops: UNAVAILABLE "lost ehcpd at ..."). No deadline. `cancel` may be
  // null (never cancelled).
  virtual absl::Status WatchAlerts(
      const v1::WatchAlertsRequest& request,
      absl::FunctionRef<void(const v1::WatchAlertsResponse&)> on_message,
      Cancellation* cancel) = 0;

  // Follows the log from request.from_position, calling `on_event` for
  // each event in order, until `cancel` is cancelled (returns OK) or the
  // stream ends (returns its status; the server ends subscriptions only
  // when it stops: UNAVAILABLE "lost ehcpd at ..."). No deadline: it runs
  // until cancelled. `cancel` may be null (never cancelled).
  virtual absl::Status Subscribe(
      const v1::SubscribeRequest& request,
      absl::FunctionRef<void(const v1::Event&)> on_event,
      Cancellation* cancel) = 0;
};

// True when `status` says the server could not be reached, did not answer
// in time or went away (as opposed to answering with an error): a status
// made by ConnectionFailure.
bool IsConnectionFailure(const absl::Status& status);

// A status with `code` and `message` (written for people, naming the
// server) marked as a connection failure.
absl::Status ConnectionFailure(absl::StatusCode code,
                               absl::string_view message);

// How ehcpctl secures its channel: plaintext when ca_file is empty;
// otherwise TLS trusting that CA (PEM), with a client certificate and key
// (PEM) when given (mutual TLS), checking the server's certificate for
// server_name when given, else for the host of the address.
struct ClientTls {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string server_name;
};

// A client for ehcpd at `server` (HOST:PORT), over TLS per `tls`. NOT_FOUND
// naming the file when a TLS file cannot be read. It connects lazily, on its first call, waiting at most `connect_timeout`
// for the connection: a refused or unresolvable address fails at once with
// UNAVAILABLE "cannot reach ehcpd at <server> (is it running?)" (over TLS
// with a hint about the certificates), a silent
// one after `connect_timeout`. Each unary call then has `call_timeout` as
// its deadline. With `token_file`, every call carries the metadata
// `authorization: Bearer <token>`, the token being the file's first line
// (surrounding spaces dropped); NOT_FOUND naming --token-file when it
// cannot be read, INVALID_ARGUMENT when it holds no token.
absl::StatusOr<std::unique_ptr<CaseClient>> NewGrpcCaseClient(
    const std::string& server, absl::Duration connect_timeout,
    absl::Duration call_timeout, const ClientTls& tls = {},
    const std::string& token_file = "");

}  // namespace ehcp::tools

#endif  // EHCP_TOOLS_INTERNAL_CASE_CLIENT_H_
