#include "services/internal/case_service.h"

#include <atomic>
#include <deque>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "domain/case_state.h"
#include "domain/dates.h"
#include "cases/event_codec.h"
#include "services/internal/auth.h"
#include "services/internal/case_convert.h"
#include "services/internal/grpc_status.h"
#include "services/internal/log_transfer.h"
#include "services/internal/log_audit.h"

namespace ehcp::services {

using cases::DecodeRecord;
namespace {

constexpr int kDefaultPage = 100;
constexpr int kMaxPage = 1000;

absl::StatusOr<size_t> PageSize(int32_t requested) {
  if (requested < 0 || requested > kMaxPage) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_count: must be 0 (default ", kDefaultPage, ") to ", kMaxPage,
        ", got ", requested));
  }
  return requested == 0 ? kDefaultPage : requested;
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
                                 cases::CaseCache* cases,
                                 CaseCommands* commands, Executor* executor,
                                 CaseCommands::Clock now)
    : log_(log),
      cases_(cases),
      commands_(commands),
      executor_(executor),
      now_(std::move(now)) {}

CaseServiceImpl::~CaseServiceImpl() = default;

grpc::ServerUnaryReactor* CaseServiceImpl::OpenCase(
    grpc::CallbackServerContext* context, const v1::OpenCaseRequest* request,
    v1::OpenCaseResponse* response) {
  absl::StatusOr<Principal> caller =
      Authorize(auth_, *context, "ehcp.v1.CaseService/OpenCase");
  if (!caller.ok()) return Finished(context, caller.status());
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  commands_->OpenCase(
      *request, caller->name,
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
  absl::StatusOr<Principal> caller =
      Authorize(auth_, *context, "ehcp.v1.CaseService/AppendEvents");
  if (!caller.ok()) return Finished(context, caller.status());
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  commands_->Append(
      *request, caller->name,
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
  if (absl::Status allowed =
          Allowed(auth_, *context, "ehcp.v1.CaseService/ReadCase");
      !allowed.ok()) {
    return Finished(context, allowed);
  }
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
  // Reads the log (or the case cache, which may): on the executor.
  return FinishOn(executor_, context,
                  [this, request, response, page]() -> absl::Status {
    absl::StatusOr<uint64_t> version = log_->StreamVersion(request->case_id());
    if (!version.ok()) return version.status();
    if (*version == 0) {
      return absl::NotFoundError(
          absl::StrCat("case ", request->case_id(), " not found"));
    }
    const bool backwards =
        request->direction() == v1::READ_DIRECTION_BACKWARDS;
    absl::StatusOr<std::vector<storage::Record>> records = log_->ReadStream(
        request->case_id(), static_cast<uint64_t>(request->from_version()),
        backwards ? storage::Direction::kBackwards
                  : storage::Direction::kForwards,
        *page);
    if (!records.ok()) return records.status();
    if (absl::Status s = DecodeInto(*records, response->mutable_events());
        !s.ok()) {
      return s;
    }
    response->set_case_version(static_cast<int64_t>(*version));
    if (records->size() == *page && !records->empty()) {
      const uint64_t last = records->back().version;
      if (backwards && last > 1) response->set_next_version(last - 1);
      if (!backwards && last < *version) response->set_next_version(last + 1);
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CaseServiceImpl::ReadLog(
    grpc::CallbackServerContext* context, const v1::ReadLogRequest* request,
    v1::ReadLogResponse* response) {
  if (absl::Status allowed =
          Allowed(auth_, *context, "ehcp.v1.CaseService/ReadLog");
      !allowed.ok()) {
    return Finished(context, allowed);
  }
  if (request->from_position() < 0) {
    return Finished(context, absl::InvalidArgumentError(
                                 "from_position: must not be negative"));
  }
  absl::StatusOr<size_t> page = PageSize(request->max_count());
  if (!page.ok()) return Finished(context, page.status());
  // Reads the log (or the case cache, which may): on the executor.
  return FinishOn(executor_, context,
                  [this, request, response, page]() -> absl::Status {
    const uint64_t head = log_->HeadPosition();
    const uint64_t from =
        std::max<uint64_t>(1, static_cast<uint64_t>(request->from_position()));
    absl::StatusOr<std::vector<storage::Record>> records =
        log_->ReadAll(from, *page);
    if (!records.ok()) return records.status();
    if (absl::Status s = DecodeInto(*records, response->mutable_events());
        !s.ok()) {
      return s;
    }
    response->set_head_position(
        static_cast<int64_t>(std::max(head, log_->HeadPosition())));
    response->set_next_position(static_cast<int64_t>(
        records->empty() ? from : records->back().position + 1));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CaseServiceImpl::GetCaseState(
    grpc::CallbackServerContext* context,
    const v1::GetCaseStateRequest* request,
    v1::GetCaseStateResponse* response) {
  if (absl::Status allowed =
          Allowed(auth_, *context, "ehcp.v1.CaseService/GetCaseState");
      !allowed.ok()) {
    return Finished(context, allowed);
  }
  if (request->case_id().empty()) {
    return Finished(context, absl::InvalidArgumentError("case_id: is required"));
  }
  // Reads the log (or the case cache, which may): on the executor.
  return FinishOn(executor_, context,
                  [this, request, response]() -> absl::Status {
    absl::StatusOr<std::shared_ptr<cases::SharedCase>> shared =
        cases_->Get(request->case_id());
    if (!shared.ok()) return shared.status();
    const absl::CivilDay today = domain::LondonDate(now_());
    {
      absl::MutexLock lock(&(*shared)->mu);
      *response->mutable_state() =
          ToProto((*shared)->model.state(), today);
      response->mutable_state()->set_case_version((*shared)->model.version());
    }
    response->mutable_state()->set_case_id(request->case_id());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CaseServiceImpl::GetDigest(
    grpc::CallbackServerContext* context,
    const v1::GetDigestRequest* /*request*/,
    v1::GetDigestResponse* response) {
  if (absl::Status allowed =
          Allowed(auth_, *context, "ehcp.v1.CaseService/GetDigest");
      !allowed.ok()) {
    return Finished(context, allowed);
  }
  // Reads the head record: on the executor.
  return FinishOn(executor_, context, [this, response]() -> absl::Status {
    absl::StatusOr<v1::GetDigestResponse> digest = ReadDigest(*log_);
    if (!digest.ok()) return digest.status();
    *response = *std::move(digest);
    return absl::OkStatus();
  });
}

grpc::ServerWriteReactor<v1::VerifyLogResponse>* CaseServiceImpl::VerifyLog(
    grpc::CallbackServerContext* context,
    const v1::VerifyLogRequest* request) {
  if (absl::Status allowed =
          Allowed(auth_, *context, "ehcp.v1.CaseService/VerifyLog");
      !allowed.ok()) {
    return new RefusedStream<v1::VerifyLogResponse>(allowed);
  }
  return StartVerifyLog(
      log_, executor_,
      [this] {
        absl::MutexLock lock(&mu_);
        return stopping_;
      },
      *request);
}

grpc::ServerWriteReactor<v1::ExportLogResponse>* CaseServiceImpl::ExportLog(
    grpc::CallbackServerContext* context,
    const v1::ExportLogRequest* request) {
  if (absl::Status allowed =
          Allowed(auth_, *context, "ehcp.v1.CaseService/ExportLog");
      !allowed.ok()) {
    return new RefusedStream<v1::ExportLogResponse>(allowed);
  }
  return StartExportLog(log_, executor_, *request);
}

grpc::ServerReadReactor<v1::ImportLogRequest>* CaseServiceImpl::ImportLog(
    grpc::CallbackServerContext* context,
    v1::ImportLogResponse* response) {
  if (absl::Status allowed =
          Allowed(auth_, *context, "ehcp.v1.CaseService/ImportLog");
      !allowed.ok()) {
    return new RefusedReadStream<v1::ImportLogRequest>(allowed);
  }
  return StartImportLog(log_, executor_, response);
}

// Streams the log from a position: pages of history (each read on the
// executor, never on a gRPC thread), then waits on the log for new commits. Owns itself; deleted once gRPC is done with it and no
// notification from the log can still reach it (reference counted).
//
// State changes happen under mu_; the gRPC operations they lead to
// (StartWrite, Finish) and the registration with the log happen after it is
// released, since gRPC may run a reaction, and the log a notification,
// inline on the calling thread.
class CaseServiceImpl::SubscribeReactor
    : public grpc::ServerWriteReactor<v1::SubscribeResponse> {
 public:
  SubscribeReactor(CaseServiceImpl* service, uint64_t from)
      : service_(service), next_(std::max<uint64_t>(1, from)) {
    service_->Register(this);
    Pump();
  }

  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (!ok) cancelled_ = true;  // The client is gone.
    }
    Pump();
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
      if (waiting_) {
        // 0: the registration is still under way; Wait() cancels it.
        token = token_;
        if (token == 0) return;
      }
    }
    if (token == 0) {
      Pump();
      return;
    }
    CancelWait(token);
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
  struct Step {
    enum Kind { kNothing, kWrite, kFinish, kWait, kRead } kind = kNothing;
    grpc::Status status;    // kFinish
    uint64_t after = 0;     // kWait: the position to see passed
    uint64_t wait_id = 0;   // kWait
  };

  // Moves the stream on by one step: write the next event, finish, or wait
  // for the log. Does nothing while a write or a wait is outstanding.
  void Pump() {
    Step step;
    {
      absl::MutexLock lock(&mu_);
      step = NextStepLocked();
    }
    switch (step.kind) {
      case Step::kNothing:
        return;
      case Step::kWrite:
        StartWrite(&response_);
        return;
      case Step::kFinish:
        Finish(step.status);
        return;
      case Step::kWait:
        Wait(step);
        return;
      case Step::kRead:
        Read();
        return;
    }
  }

  Step NextStepLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Step step;
    if (finished_ || writing_ || waiting_ || reading_) return step;
    if (cancelled_) {
      return FinishLocked(grpc::Status(
          cancel_code_, cancel_code_ == grpc::StatusCode::UNAVAILABLE
                            ? "ehcpd is shutting down"
                            : "subscription cancelled"));
    }
    if (!read_error_.ok()) return FinishLocked(ToGrpcStatus(read_error_));
    if (buffer_.empty() && !caught_up_) {
      // The next page of history: read on the executor, never here.
      reading_ = true;
      step.kind = Step::kRead;
      return step;
    }
    if (buffer_.empty()) {
      caught_up_ = false;  // The next commit sends it back to the log.
      waiting_ = true;
      token_ = 0;
      step.kind = Step::kWait;
      step.after = next_ - 1;
      step.wait_id = ++wait_id_;
      return step;
    }
    response_.Clear();
    *response_.mutable_event() = std::move(buffer_.front());
    buffer_.pop_front();
    writing_ = true;
    step.kind = Step::kWrite;
    return step;
  }

  Step FinishLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    finished_ = true;
    Step step;
    step.kind = Step::kFinish;
    step.status = std::move(status);
    return step;
  }

  // Reads the page after next_ on the executor (inline only when the
  // executor refuses the task: it is full or stopping), then moves on.
  void Read() {
    Ref();  // Held by the read until it has run.
    auto read = [this] {
      uint64_t from;
      {
        absl::MutexLock lock(&mu_);
        from = next_;
      }
      absl::StatusOr<std::vector<storage::Record>> page =
          service_->log_->ReadAll(from, kPageSize);
      {
        absl::MutexLock lock(&mu_);
        reading_ = false;
        if (!page.ok()) {
          read_error_ = page.status();
        } else {
          caught_up_ = page->empty();
          for (const storage::Record& record : *page) {
            absl::StatusOr<v1::Event> event = DecodeRecord(record);
            if (!event.ok()) {
              read_error_ = event.status();
              break;
            }
            buffer_.push_back(*std::move(event));
            next_ = record.position + 1;
          }
        }
      }
      Pump();
      Unref();
    };
    if (!service_->executor_->Submit(read)) read();
  }

  // Registers with the log for the next commit after step.after. The log
  // may run the notification at once, on this thread.
  void Wait(const Step& step) {
    Ref();  // Held by the notification until it has run.
    const uint64_t token =
        service_->log_->NotifyAfter(step.after, [this](bool closed) {
          {
            absl::MutexLock lock(&mu_);
            waiting_ = false;
            token_ = 0;
            if (closed && !cancelled_) {
              cancelled_ = true;
              cancel_code_ = grpc::StatusCode::UNAVAILABLE;
            }
          }
          Pump();
          Unref();
        });
    bool cancel_now = false;
    {
      absl::MutexLock lock(&mu_);
      if (token != 0 && waiting_ && wait_id_ == step.wait_id) {
        token_ = token;
        cancel_now = cancelled_;  // Cancel() came while registering.
      }
    }
    if (cancel_now) CancelWait(token);
  }

  // Withdraws the registration `token`; if it has not run, moves on (to
  // Finish, as the stream is cancelled).
  void CancelWait(uint64_t token) {
    if (!service_->log_->CancelNotify(token)) return;  // It runs anyway.
    {
      absl::MutexLock lock(&mu_);
      waiting_ = false;
      token_ = 0;
    }
    Pump();
    Unref();  // The notification's reference: it will never run.
  }

  static constexpr size_t kPageSize = 256;
  CaseServiceImpl* const service_;
  // gRPC's reference (released in OnDone), plus one per pending
  // notification and per StopSubscriptions in progress.
  std::atomic<int> refs_{1};
  absl::Mutex mu_;
  uint64_t next_ ABSL_GUARDED_BY(mu_);
  std::deque<v1::Event> buffer_ ABSL_GUARDED_BY(mu_);
  // Written under mu_ before StartWrite; gRPC reads it until OnWriteDone.
  v1::SubscribeResponse response_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool waiting_ ABSL_GUARDED_BY(mu_) = false;
  // A page of history is being read on the executor.
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  // The last read found nothing new: wait for the next commit.
  bool caught_up_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status read_error_ ABSL_GUARDED_BY(mu_);
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  grpc::StatusCode cancel_code_ ABSL_GUARDED_BY(mu_) =
      grpc::StatusCode::CANCELLED;
  uint64_t token_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t wait_id_ ABSL_GUARDED_BY(mu_) = 0;
};

grpc::ServerWriteReactor<v1::SubscribeResponse>* CaseServiceImpl::Subscribe(
    grpc::CallbackServerContext* context,
    const v1::SubscribeRequest* request) {
  if (absl::Status allowed =
          Allowed(auth_, *context, "ehcp.v1.CaseService/Subscribe");
      !allowed.ok()) {
    return new RefusedStream<v1::SubscribeResponse>(allowed);
  }
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ || request->from_position() < 0) {
      return new RefusedStream<v1::SubscribeResponse>(
          stopping_ ? absl::UnavailableError("ehcpd is shutting down")
                    : absl::InvalidArgumentError(
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
