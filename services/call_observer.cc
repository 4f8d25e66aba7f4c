#include "services/internal/call_observer.h"

#include <cstdint>
#include <map>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/interceptor.h"

namespace ehcp::services {
namespace {

using grpc::experimental::InterceptionHookPoints;

constexpr size_t kMaxIdLength = 64;

bool IsRequestIdChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' ||
         c == '_' || c == ':' || c == '-';
}

bool IsRuleChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '*';
}

std::string NewRequestId() {
  thread_local absl::BitGen gen;
  return absl::StrFormat("%016x", absl::Uniform<uint64_t>(gen));
}

// The client's request id if it is acceptable; "" otherwise.
std::string ClientRequestId(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) {
  const auto it = metadata.find(kRequestIdKey);
  if (it == metadata.end()) return "";
  const absl::string_view id(it->second.data(), it->second.size());
  if (id.empty() || id.size() > kMaxIdLength) return "";
  for (const char c : id) {
    if (!IsRequestIdChar(c)) return "";
  }
  return std::string(id);
}

class CallObserver final : public grpc::experimental::Interceptor {
 public:
  CallObserver(grpc::experimental::ServerRpcInfo* info,
               const CallObserverFactory* factory)
      : info_(info), factory_(factory), arrived_(absl::Now()) {}

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      if (const auto* metadata = methods->GetRecvInitialMetadata();
          metadata != nullptr) {
        request_id_ = ClientRequestId(*metadata);
      }
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() == nullptr) {
      unparseable_ = true;  // failed to deserialize, or a client stream ended
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      if (request_id_.empty()) request_id_ = NewRequestId();
      if (auto* trailing = methods->GetSendTrailingMetadata();
          trailing != nullptr) {
        trailing->emplace(kRequestIdKey, request_id_);
      }
      grpc::Status status = methods->GetSendStatus();
      const absl::string_view method = info_->method();
      // A message that failed to deserialize makes gRPC's callback API
      // answer UNIMPLEMENTED, with no message. (A null message also ends
      // every client stream: only the UNIMPLEMENTED answer tells them apart.)
      const bool unparseable =
          unparseable_ &&
          status.error_code() == grpc::StatusCode::UNIMPLEMENTED;
      if (unparseable) {
        status = grpc::Status(
            grpc::StatusCode::INVALID_ARGUMENT,
            absl::StrCat("request: the bytes sent to ",
                         std::string(absl::StripPrefix(method, "/")),
                         " do not parse as its request message (protobuf)"));
        methods->ModifySendStatus(status);
      }
      CallObserverFactory::CallEnd end;
      end.unparseable = unparseable;
      end.method = std::string(absl::StripPrefix(method, "/"));
      end.unary =
          info_->type() == grpc::experimental::ServerRpcInfo::Type::UNARY;
      end.code = status.error_code();
      end.rule = unparseable
                     ? std::string("request.unparseable")
                     : RuleOf(status.error_code(), status.error_message());
      end.request_id = request_id_;
      end.latency = absl::Now() - arrived_;
      factory_->Ended(end);
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* const info_;
  const CallObserverFactory* const factory_;
  const absl::Time arrived_;
  std::string request_id_;
  bool unparseable_ = false;
};

}  // namespace

std::string RuleOf(grpc::StatusCode code, absl::string_view message) {
  if (code != grpc::StatusCode::FAILED_PRECONDITION ||
      !absl::ConsumePrefix(&message, "rule ")) {
    return "";
  }
  const size_t colon = message.find(':');
  if (colon == absl::string_view::npos || colon == 0 || colon > kMaxIdLength) {
    return "";
  }
  const absl::string_view rule = message.substr(0, colon);
  for (const char c : rule) {
    if (!IsRuleChar(c)) return "";
  }
  return std::string(rule);
}

std::string CodeName(grpc::StatusCode code) {
  // The numeric values of grpc::StatusCode and absl::StatusCode coincide.
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

bool IsServerFault(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::DATA_LOSS:
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::UNIMPLEMENTED:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return true;
    default:
      return false;
  }
}

CallObserverFactory::CallObserverFactory(ServiceMetrics* metrics,
                                         StructuredLog* log,
                                         absl::Duration slow_call)
    : metrics_(metrics), log_(log), slow_call_(slow_call) {}

grpc::experimental::Interceptor* CallObserverFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new CallObserver(info, this);
}

void CallObserverFactory::Ended(const CallEnd& call) const {
  const bool ok = call.code == grpc::StatusCode::OK;
  const std::string code = CodeName(call.code);
  const int64_t latency_ms = absl::ToInt64Milliseconds(call.latency);
  if (!ok) {
    metrics_->CallNotOk(call.method, code, call.rule);
    const bool fault = IsServerFault(call.code);
    LogFields fields = {{"method", call.method},
                        {"code", code},
                        {"rule", call.rule},
                        {"request_id", call.request_id},
                        {"latency_ms", latency_ms}};
    if (call.unparseable) {
      absl::MutexLock lock(&mu_);
      const absl::Time now = absl::Now();
      if (now - last_unparseable_logged_ < absl::Seconds(1)) {
        ++unparseable_not_logged_;
        return;
      }
      last_unparseable_logged_ = now;
      fields.push_back({"unparseable_not_logged",
                        static_cast<uint64_t>(unparseable_not_logged_)});
      unparseable_not_logged_ = 0;
    }
    log_->LogJson(fault ? "call_failed" : "call_refused", fields,
                  fault ? LogLevel::kError : LogLevel::kWarning);
  } else {
    metrics_->AppendAcknowledged(call.method, call.latency);
  }
  if (call.unary && call.latency >= slow_call_) {
    log_->LogJson("slow_call",
                  {{"method", call.method},
                   {"code", code},
                   {"request_id", call.request_id},
                   {"latency_ms", latency_ms},
                   {"threshold_ms", absl::ToInt64Milliseconds(slow_call_)}},
                  LogLevel::kWarning);
  }
}

}  // namespace ehcp::services
