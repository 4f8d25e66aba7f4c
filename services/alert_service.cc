#include "services/internal/alert_service.h"

#include <algorithm>
#include <atomic>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "domain/dates.h"
#include "domain/rules.h"
#include "domain/validation.h"
#include "services/internal/auth.h"
#include "services/internal/grpc_status.h"

namespace ehcp::services {
namespace {

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;
constexpr size_t kWatchPageSize = 256;

}  // namespace

absl::StatusOr<projections::AlertFilter> FromProto(const v1::AlertFilter& f) {
  projections::AlertFilter filter;
  if (!f.la_code().empty() && !domain::IsOnsLaCode(f.la_code())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "filter.la_code: \"", f.la_code(), "\" is not an ONS LA code"));
  }
  for (int i = 0; i < f.clock_ids_size(); ++i) {
    if (!domain::IsKnownClockId(f.clock_ids(i))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "filter.clock_ids[", i, "]: unknown clock \"", f.clock_ids(i), "\""));
    }
  }
  filter.la_code = f.la_code();
  filter.clock_ids.assign(f.clock_ids().begin(), f.clock_ids().end());
  for (int i = 0; i < f.kinds_size(); ++i) {
    const int kind = f.kinds(i);
    if (kind < 1 || kind > 4) {
      return absl::InvalidArgumentError(
          absl::StrCat("filter.kinds[", i, "]: ", kind,
                       " is not DUE_SOON, BREACHED, RESOLVED or WITHDRAWN"));
    }
    filter.kinds.push_back(static_cast<projections::AlertKind>(kind));
  }
  return filter;
}

v1::Alert ToProto(const projections::Alert& alert) {
  v1::Alert out;
  out.set_sequence(alert.sequence);
  out.set_kind(static_cast<v1::AlertKind>(static_cast<int>(alert.kind)));
  out.set_day(domain::FormatDate(alert.day));
  out.set_position(static_cast<int64_t>(alert.position));
  out.set_case_id(alert.case_id);
  out.set_case_reference(alert.case_reference);
  out.set_la_code(alert.la_code);
  out.set_clock_id(alert.clock_id);
  out.set_instance(alert.instance);
  if (alert.due) out.set_due(domain::FormatDate(*alert.due));
  out.set_days_late(alert.days_late);
  out.set_days_remaining(alert.days_remaining);
  return out;
}

// A watch: pages of history read on the executor, then a notification from
// the scheduler for each next alert. Moves on one step at a time (Pump):
// a write, a read or a wait is outstanding, never two.
class AlertServiceImpl::WatchReactor
    : public grpc::ServerWriteReactor<v1::WatchAlertsResponse> {
 public:
  WatchReactor(AlertServiceImpl* service, uint64_t from,
               projections::AlertFilter filter)
      : service_(service), filter_(std::move(filter)), next_(from) {
    service_->Register(this);
    Pump();
  }

  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (!ok) cancelled_ = true;
    }
    Pump();
  }

  void OnCancel() override { Cancel(grpc::StatusCode::CANCELLED); }

  void OnDone() override {
    service_->Unregister(this);
    Unref();
  }

  // Ends the stream with `code` once nothing is outstanding.
  void Cancel(grpc::StatusCode code) {
    uint64_t token = 0;
    {
      absl::MutexLock lock(&mu_);
      if (!cancelled_) code_ = code;
      cancelled_ = true;
      if (waiting_) {
        token = token_;
        if (token == 0) return;  // Wait() sees cancelled_ and withdraws.
      }
    }
    if (token == 0) {
      Pump();
      return;
    }
    CancelWait(token);
  }

  void Ref() { refs_.fetch_add(1); }
  void Unref() {
    if (refs_.fetch_sub(1) == 1) delete this;
  }

 private:
  enum class Next { kNothing, kWrite, kFinish, kRead };

  void Pump() {
    Next next = Next::kNothing;
    grpc::Status status;
    {
      absl::MutexLock lock(&mu_);
      if (finished_ || writing_ || reading_ || waiting_) return;
      if (cancelled_) {
        finished_ = true;
        next = Next::kFinish;
        status =
            error_.ok()
                ? grpc::Status(
                      code_,
                      code_ == grpc::StatusCode::UNAVAILABLE
                          ? "ehcpd is stopping: resume from the next sequence"
                          : "cancelled")
                : ToGrpcStatus(error_);
      } else if (ready_) {
        ready_ = false;
        writing_ = true;
        next = Next::kWrite;
      } else {
        reading_ = true;
        next = Next::kRead;
      }
    }
    switch (next) {
      case Next::kNothing:
        return;
      case Next::kFinish:
        Finish(status);
        return;
      case Next::kWrite:
        StartWrite(&response_);
        return;
      case Next::kRead:
        Read();
        return;
    }
  }

  void Read() {
    Ref();
    auto read = [this] {
      uint64_t from;
      {
        absl::MutexLock lock(&mu_);
        from = next_;
      }
      absl::StatusOr<projections::AlertPage> page =
          service_->scheduler_->ListAlerts(from, filter_, kWatchPageSize);
      bool wait = false;
      {
        absl::MutexLock lock(&mu_);
        reading_ = false;
        if (!page.ok()) {
          error_ = page.status();
          cancelled_ = true;
        } else {
          next_ = page->next_sequence;
          if (!page->alerts.empty()) {
            response_.Clear();
            for (const projections::Alert& alert : page->alerts) {
              *response_.add_alerts() = ToProto(alert);
            }
            response_.set_next_sequence(next_);
            ready_ = true;
          } else if (next_ > page->last_sequence && !cancelled_) {
            waiting_ = true;  // Caught up: wait for alert next_.
            wait = true;
          }
        }
      }
      if (wait) {
        Wait();
      } else {
        Pump();
      }
      Unref();
    };
    if (!service_->executor_->Submit(read)) {
      {
        absl::MutexLock lock(&mu_);
        reading_ = false;
        error_ = service_->executor_->BusyStatus();
        cancelled_ = true;
      }
      Pump();
      Unref();
    }
  }

  // Registers for alert next_; the notification may run at once, on this
  // thread, or later on the scheduler's.
  void Wait() {
    uint64_t sequence;
    {
      absl::MutexLock lock(&mu_);
      sequence = next_;
    }
    Ref();  // Held by the notification until it has run.
    const uint64_t token =
        service_->scheduler_->NotifyAtSequence(sequence, [this](bool raised) {
          {
            absl::MutexLock lock(&mu_);
            waiting_ = false;
            token_ = 0;
            if (!raised && !cancelled_) {
              cancelled_ = true;
              code_ = grpc::StatusCode::UNAVAILABLE;
            }
          }
          // Hand off: this may run on the scheduler's thread.
          Pump();
          Unref();
        });
    bool cancel_now = false;
    {
      absl::MutexLock lock(&mu_);
      if (token != 0 && waiting_) {
        token_ = token;
        cancel_now = cancelled_;
      }
    }
    if (cancel_now) CancelWait(token);
  }

  void CancelWait(uint64_t token) {
    if (!service_->scheduler_->CancelNotify(token)) return;  // It runs.
    {
      absl::MutexLock lock(&mu_);
      waiting_ = false;
      token_ = 0;
    }
    Pump();
    Unref();  // The notification's reference: it will never run.
  }

  AlertServiceImpl* const service_;
  const projections::AlertFilter filter_;
  std::atomic<int> refs_{1};
  absl::Mutex mu_;
  uint64_t next_ ABSL_GUARDED_BY(mu_);
  v1::WatchAlertsResponse response_;
  bool ready_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool waiting_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  grpc::StatusCode code_ ABSL_GUARDED_BY(mu_) = grpc::StatusCode::CANCELLED;
  uint64_t token_ ABSL_GUARDED_BY(mu_) = 0;
};

AlertServiceImpl::AlertServiceImpl(projections::AlertScheduler* scheduler,
                                   Executor* executor)
    : scheduler_(scheduler), executor_(executor) {}

grpc::ServerUnaryReactor* AlertServiceImpl::ListAlerts(
    grpc::CallbackServerContext* context, const v1::ListAlertsRequest* request,
    v1::ListAlertsResponse* response) {
  if (absl::Status allowed =
          Allowed(auth_, *context, "ehcp.v1.AlertService/ListAlerts");
      !allowed.ok()) {
    return Finished(context, allowed);
  }
  if (request->page_size() < 0 || request->page_size() > kMaxPageSize) {
    return Finished(context, absl::InvalidArgumentError(absl::StrCat(
                                 "page_size: ", request->page_size(),
                                 " is not between 0 and ", kMaxPageSize)));
  }
  absl::StatusOr<projections::AlertFilter> filter =
      FromProto(request->filter());
  if (!filter.ok()) return Finished(context, filter.status());
  const size_t size = static_cast<size_t>(
      request->page_size() == 0 ? kDefaultPageSize : request->page_size());
  const uint64_t from = std::max<uint64_t>(1, request->from_sequence());
  return FinishOn(executor_, context,
                  [this, response, from, size,
                   filter = *std::move(filter)]() -> absl::Status {
                    absl::StatusOr<projections::AlertPage> page =
                        scheduler_->ListAlerts(from, filter, size);
                    if (!page.ok()) return page.status();
                    for (const projections::Alert& alert : page->alerts) {
                      *response->add_alerts() = ToProto(alert);
                    }
                    response->set_next_sequence(page->next_sequence);
                    response->set_last_sequence(page->last_sequence);
                    return absl::OkStatus();
                  });
}

grpc::ServerWriteReactor<v1::WatchAlertsResponse>*
AlertServiceImpl::WatchAlerts(grpc::CallbackServerContext* context,
                              const v1::WatchAlertsRequest* request) {
  if (absl::Status allowed =
          Allowed(auth_, *context, "ehcp.v1.AlertService/WatchAlerts");
      !allowed.ok()) {
    return new RefusedStream<v1::WatchAlertsResponse>(allowed);
  }
  absl::StatusOr<projections::AlertFilter> filter =
      FromProto(request->filter());
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ || !filter.ok()) {
      return new RefusedStream<v1::WatchAlertsResponse>(
          stopping_ ? absl::UnavailableError("ehcpd is shutting down")
                    : filter.status());
    }
  }
  return new WatchReactor(this, std::max<uint64_t>(1, request->from_sequence()),
                          *std::move(filter));
}

grpc::ServerUnaryReactor* AlertServiceImpl::GetAlertStatus(
    grpc::CallbackServerContext* context,
    const v1::GetAlertStatusRequest* /*request*/,
    v1::GetAlertStatusResponse* response) {
  if (absl::Status allowed =
          Allowed(auth_, *context, "ehcp.v1.AlertService/GetAlertStatus");
      !allowed.ok()) {
    return Finished(context, allowed);
  }
  const projections::SchedulerStatus status = scheduler_->Status();
  response->set_day(domain::FormatDate(status.day));
  response->set_first_day(domain::FormatDate(status.first_day));
  response->set_target_day(domain::FormatDate(status.target_day));
  response->set_checkpoint(static_cast<int64_t>(status.checkpoint));
  response->set_head(static_cast<int64_t>(status.head));
  response->set_last_sequence(status.last_sequence);
  if (!status.error.ok()) response->set_error(status.error.ToString());
  return Finished(context, absl::OkStatus());
}

void AlertServiceImpl::Register(WatchReactor* reactor) {
  absl::MutexLock lock(&mu_);
  watches_.insert(reactor);
}

void AlertServiceImpl::Unregister(WatchReactor* reactor) {
  absl::MutexLock lock(&mu_);
  watches_.erase(reactor);
}

void AlertServiceImpl::StopWatches() {
  std::vector<WatchReactor*> open;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    for (WatchReactor* reactor : watches_) {
      reactor->Ref();
      open.push_back(reactor);
    }
  }
  for (WatchReactor* reactor : open) {
    reactor->Cancel(grpc::StatusCode::UNAVAILABLE);
    reactor->Unref();
  }
}

AdminServiceImpl::AdminServiceImpl(ServerClock* clock,
                                   projections::AlertScheduler* scheduler)
    : clock_(clock), scheduler_(scheduler) {}

grpc::ServerUnaryReactor* AdminServiceImpl::GetToday(
    grpc::CallbackServerContext* context,
    const v1::GetTodayRequest* /*request*/, v1::GetTodayResponse* response) {
  if (absl::Status allowed =
          Allowed(auth_, *context, "ehcp.v1.AdminService/GetToday");
      !allowed.ok()) {
    return Finished(context, allowed);
  }
  response->set_today(domain::FormatDate(clock_->Today()));
  response->set_simulated(clock_->simulated());
  return Finished(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* AdminServiceImpl::SetToday(
    grpc::CallbackServerContext* context, const v1::SetTodayRequest* request,
    v1::SetTodayResponse* response) {
  if (absl::Status allowed =
          Allowed(auth_, *context, "ehcp.v1.AdminService/SetToday");
      !allowed.ok()) {
    return Finished(context, allowed);
  }
  absl::CivilDay day;
  if (!request->today().empty()) {
    if (request->advance_days() != 0) {
      return Finished(context, absl::InvalidArgumentError(
                                   "advance_days: give today or advance_days, "
                                   "not both"));
    }
    absl::StatusOr<absl::CivilDay> parsed =
        domain::ParseDate(request->today(), "today");
    if (!parsed.ok()) return Finished(context, parsed.status());
    day = *parsed;
  } else {
    if (request->advance_days() < 1 || request->advance_days() > 3660) {
      return Finished(context, absl::InvalidArgumentError(absl::StrCat(
                                   "advance_days: ", request->advance_days(),
                                   " is not between 1 and 3660 (or give "
                                   "today)")));
    }
    day = clock_->Today() + request->advance_days();
  }
  if (absl::Status set = clock_->SetToday(day); !set.ok()) {
    return Finished(context, set);
  }
  if (scheduler_ != nullptr) scheduler_->SetToday(clock_->Today());
  response->set_today(domain::FormatDate(clock_->Today()));
  return Finished(context, absl::OkStatus());
}

}  // namespace ehcp::services
