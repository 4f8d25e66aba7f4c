#include "services/case_service.h"

#include <atomic>
#include <deque>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "domain/case_state.h"
#include "domain/dates.h"
#include "projections/event_codec.h"
#include "services/grpc_status.h"

namespace ehcp::services {

using projections::DecodeRecord;
namespace {

constexpr int kDefaultPage = 100;
constexpr int kMaxPage = 1000;
// Until authentication arrives every caller is recorded as this principal.
constexpr char kAnonymous[] = "anonymous";

absl::StatusOr<size_t> PageSize(int32_t requested) {
  if (requested < 0 || requested > kMaxPage) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_count: must be 0 (default ", kDefaultPage, ") to ", kMaxPage,
        ", got ", requested));
  }
  return requested == 0 ? kDefaultPage : requested;
}

grpc::ServerUnaryReactor* Finished(grpc::CallbackServerContext* context,
                                   const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

absl::Status DecodeInto(
    const std::vector<storage::Record>& records,
    google::protobuf::RepeatedPtrField<v1::Event>* events) {
  for (const storage::Record& record : records) {
    absl::StatusOr<v1::Event> event = DecodeRecord(record);
    if (!event.ok()) return event.status();
    *events->Add() = *std::move(event);
  }
  return absl::OkStatus();
}

}  // namespace

CaseServiceImpl::CaseServiceImpl(storage::EventLog* log,
                                 CaseRepository* cases,
                                 CaseCommands* commands,
                                 CaseCommands::Clock now)
    : log_(log), cases_(cases), commands_(commands), now_(std::move(now)) {}

CaseServiceImpl::~CaseServiceImpl() = default;

grpc::ServerUnaryReactor* CaseServiceImpl::OpenCase(
    grpc::CallbackServerContext* context, const v1::OpenCaseRequest* request,
    v1::OpenCaseResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  commands_->OpenCase(
      *request, kAnonymous,
      [reactor, response](absl::StatusOr<v1::OpenCaseResponse> result) {
        if (!result.ok()) {
          reactor->Finish(ToGrpcStatus(result.status()));
          return;
        }
        *response = *std::move(result);
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
}

grpc::ServerUnaryReactor* CaseServiceImpl::AppendEvents(
    grpc::CallbackServerContext* context,
    const v1::AppendEventsRequest* request,
    v1::AppendEventsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  commands_->Append(
      *request, kAnonymous,
      [reactor, response](absl::StatusOr<v1::AppendEventsResponse> result) {
        if (!result.ok()) {
          reactor->Finish(ToGrpcStatus(result.status()));
          return;
        }
        *response = *std::move(result);
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
}

grpc::ServerUnaryReactor* CaseServiceImpl::ReadCase(
    grpc::CallbackServerContext* context, const v1::ReadCaseRequest* request,
    v1::ReadCaseResponse* response) {
  if (request->case_id().empty()) {
    return Finished(context, absl::InvalidArgumentError("case_id: is required"));
  }
  if (request->from_version() < 0) {
    return Finished(context, absl::InvalidArgumentError(
                                 "from_version: must not be negative"));
  }
  if (!v1::ReadDirection_IsValid(request->direction())) {
    return Finished(context, absl::InvalidArgumentError(absl::StrCat(
                                 "direction: unknown value ",
                                 request->direction())));
  }
  absl::StatusOr<size_t> page = PageSize(request->max_count());
  if (!page.ok()) return Finished(context, page.status());
  absl::StatusOr<uint64_t> version = log_->StreamVersion(request->case_id());
  if (!version.ok()) return Finished(context, version.status());
  if (*version == 0) {
    return Finished(context, absl::NotFoundError(absl::StrCat(
                                 "case ", request->case_id(), " not found")));
  }
  const bool backwards =
      request->direction() == v1::READ_DIRECTION_BACKWARDS;
  absl::StatusOr<std::vector<storage::Record>> records = log_->ReadStream(
      request->case_id(), static_cast<uint64_t>(request->from_version()),
      backwards ? storage::Direction::kBackwards
                : storage::Direction::kForwards,
      *page);
  if (!records.ok()) return Finished(context, records.status());
  if (absl::Status s = DecodeInto(*records, response->mutable_events());
      !s.ok()) {
    return Finished(context, s);
  }
  response->set_case_version(static_cast<int64_t>(*version));
  if (records->size() == *page && !records->empty()) {
    const uint64_t last = records->back().version;
    if (backwards && last > 1) response->set_next_version(last - 1);
    if (!backwards && last < *version) response->set_next_version(last + 1);
  }
  return Finished(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* CaseServiceImpl::ReadLog(
    grpc::CallbackServerContext* context, const v1::ReadLogRequest* request,
    v1::ReadLogResponse* response) {
  if (request->from_position() < 0) {
    return Finished(context, absl::InvalidArgumentError(
                                 "from_position: must not be negative"));
  }
  absl::StatusOr<size_t> page = PageSize(request->max_count());
  if (!page.ok()) return Finished(context, page.status());
  const uint64_t head = log_->HeadPosition();
  const uint64_t from =
      std::max<uint64_t>(1, static_cast<uint64_t>(request->from_position()));
  absl::StatusOr<std::vector<storage::Record>> records =
      log_->ReadAll(from, *page);
  if (!records.ok()) return Finished(context, records.status());
  if (absl::Status s = DecodeInto(*records, response->mutable_events());
      !s.ok()) {
    return Finished(context, s);
  }
  response->set_head_position(
      static_cast<int64_t>(std::max(head, log_->HeadPosition())));
  response->set_next_position(static_cast<int64_t>(
      records->empty() ? from : records->back().position + 1));
  return Finished(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* CaseServiceImpl::GetCaseState(
    grpc::CallbackServerContext* context,
    const v1::GetCaseStateRequest* request,
    v1::GetCaseStateResponse* response) {
  if (request->case_id().empty()) {
    return Finished(context, absl::InvalidArgumentError("case_id: is required"));
  }
  absl::StatusOr<std::shared_ptr<const CaseSnapshot>> snapshot =
      cases_->Load(request->case_id());
  if (!snapshot.ok()) return Finished(context, snapshot.status());
  const domain::CaseState state = domain::FoldCase((*snapshot)->events);
  *response->mutable_state() =
      domain::ToProto(state, domain::LondonDate(now_()));
  response->mutable_state()->set_case_id(request->case_id());
  response->mutable_state()->set_case_version((*snapshot)->version());
  return Finished(context, absl::OkStatus());
}

// Streams the log from a position: pages of history, then waits on the log
// for new commits. Owns itself; deleted in OnDone once no notification from
// the log can still reach it (reference counted).
class CaseServiceImpl::SubscribeReactor
    : public grpc::ServerWriteReactor<v1::SubscribeResponse> {
 public:
  SubscribeReactor(CaseServiceImpl* service, uint64_t from)
      : service_(service), next_(std::max<uint64_t>(1, from)) {
    service_->Register(this);
    Pump();
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) cancelled_ = true;
    PumpLocked();
  }

  void OnCancel() override { Cancel(grpc::StatusCode::CANCELLED); }

  // Ends the stream with `code` (CANCELLED when the client went away,
  // UNAVAILABLE when the server stops), once no write is outstanding.
  void Cancel(grpc::StatusCode code) {
    uint64_t token = 0;
    {
      absl::MutexLock lock(&mu_);
      if (!cancelled_) cancel_code_ = code;
      cancelled_ = true;
      if (!waiting_) {
        PumpLocked();  // Finishes now unless a write is in flight.
        return;
      }
      token = token_;
    }
    if (service_->log_->CancelNotify(token)) {
      Unref();  // The notification will never run.
      absl::MutexLock lock(&mu_);
      waiting_ = false;
      PumpLocked();
    }
    // Otherwise the notification is running and will finish the stream.
  }

  void OnDone() override {
    service_->Unregister(this);
    Unref();
  }

  void Ref() { refs_.fetch_add(1); }
  void Unref() {
    if (refs_.fetch_sub(1) == 1) delete this;
  }

 private:
  void Pump() {
    absl::MutexLock lock(&mu_);
    PumpLocked();
  }

  // Writes the next buffered event, reads the next page, or waits for the
  // log. Does nothing while a write or a wait is outstanding.
  void PumpLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || writing_ || waiting_) return;
    if (cancelled_) {
      FinishLocked(grpc::Status(cancel_code_,
                                cancel_code_ == grpc::StatusCode::UNAVAILABLE
                                    ? "ehcpd is shutting down"
                                    : "subscription cancelled"));
      return;
    }
    if (buffer_.empty()) {
      absl::StatusOr<std::vector<storage::Record>> page =
          service_->log_->ReadAll(next_, kPageSize);
      if (!page.ok()) {
        FinishLocked(ToGrpcStatus(page.status()));
        return;
      }
      for (const storage::Record& record : *page) {
        absl::StatusOr<v1::Event> event = DecodeRecord(record);
        if (!event.ok()) {
          FinishLocked(ToGrpcStatus(event.status()));
          return;
        }
        buffer_.push_back(*std::move(event));
        next_ = record.position + 1;
      }
    }
    if (buffer_.empty()) {
      waiting_ = true;
      refs_.fetch_add(1);
      // NotifyAfter may run the callback at once on this thread, so the lock
      // must not be held across it.
      const uint64_t after = next_ - 1;
      mu_.Unlock();
      const uint64_t token =
          service_->log_->NotifyAfter(after, [this](bool closed) {
            {
              absl::MutexLock lock(&mu_);
              waiting_ = false;
              if (closed) {
                FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                          "the log is closing"));
              } else {
                PumpLocked();
              }
            }
            Unref();
          });
      mu_.Lock();
      token_ = token;
      return;
    }
    response_.Clear();
    *response_.mutable_event() = std::move(buffer_.front());
    buffer_.pop_front();
    writing_ = true;
    StartWrite(&response_);
  }

  void FinishLocked(const grpc::Status& status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    Finish(status);
  }

  static constexpr size_t kPageSize = 256;
  CaseServiceImpl* const service_;
  // gRPC's reference (released in OnDone), plus one per pending
  // notification and per StopSubscriptions in progress.
  std::atomic<int> refs_{1};
  absl::Mutex mu_;
  uint64_t next_ ABSL_GUARDED_BY(mu_);
  std::deque<v1::Event> buffer_ ABSL_GUARDED_BY(mu_);
  v1::SubscribeResponse response_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool waiting_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  grpc::StatusCode cancel_code_ ABSL_GUARDED_BY(mu_) =
      grpc::StatusCode::CANCELLED;
  uint64_t token_ ABSL_GUARDED_BY(mu_) = 0;
};

grpc::ServerWriteReactor<v1::SubscribeResponse>* CaseServiceImpl::Subscribe(
    grpc::CallbackServerContext* context,
    const v1::SubscribeRequest* request) {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ || request->from_position() < 0) {
      class Refused : public grpc::ServerWriteReactor<v1::SubscribeResponse> {
       public:
        explicit Refused(grpc::Status status) { Finish(status); }
        void OnDone() override { delete this; }
      };
      return new Refused(
          stopping_ ? grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                   "ehcpd is shutting down")
                    : grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                   "from_position: must not be negative"));
    }
  }
  return new SubscribeReactor(
      this, static_cast<uint64_t>(request->from_position()));
}

void CaseServiceImpl::Register(SubscribeReactor* reactor) {
  absl::MutexLock lock(&mu_);
  subscriptions_.insert(reactor);
}

void CaseServiceImpl::Unregister(SubscribeReactor* reactor) {
  absl::MutexLock lock(&mu_);
  subscriptions_.erase(reactor);
}

void CaseServiceImpl::StopSubscriptions() {
  std::vector<SubscribeReactor*> open;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    for (SubscribeReactor* reactor : subscriptions_) {
      reactor->Ref();  // Kept alive until cancelled below.
      open.push_back(reactor);
    }
  }
  for (SubscribeReactor* reactor : open) {
    reactor->Cancel(grpc::StatusCode::UNAVAILABLE);
    reactor->Unref();
  }
}

}  // namespace ehcp::services
