// The gRPC adapters of the alert log (ehcp.v1.AlertService) and of the
// server's date (ehcp.v1.AdminService).
//
// ListAlerts reads a page on the executor. WatchAlerts streams pages read on
// the executor and, once caught up, waits for the scheduler's next alert
// with a notification (AlertScheduler::NotifyAtSequence), never on a
// thread. SetToday moves a simulated date (ServerClock) and tells the
// scheduler at once.
//
// Thread safety: called concurrently by gRPC; safe.
#ifndef EHCP_SERVICES_INTERNAL_ALERT_SERVICE_H_
#define EHCP_SERVICES_INTERNAL_ALERT_SERVICE_H_

#include <set>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "ehcp/v1/alert_service.grpc.pb.h"
#include "projections/alert_scheduler.h"
#include "services/internal/executor.h"
#include "services/internal/server_clock.h"

namespace ehcp::services {

class Authenticator;

// Converts a proto filter; INVALID_ARGUMENT naming the field for an LA code
// that is not an ONS code, an unknown clock id, or a kind UNSPECIFIED or
// unknown.
absl::StatusOr<projections::AlertFilter> FromProto(const v1::AlertFilter& f);
v1::Alert ToProto(const projections::Alert& alert);

class AlertServiceImpl final : public v1::AlertService::CallbackService {
 public:
  // Both must outlive the service.
  AlertServiceImpl(projections::AlertScheduler* scheduler, Executor* executor);

  grpc::ServerUnaryReactor* ListAlerts(
      grpc::CallbackServerContext* context,
      const v1::ListAlertsRequest* request,
      v1::ListAlertsResponse* response) override;
  grpc::ServerWriteReactor<v1::WatchAlertsResponse>* WatchAlerts(
      grpc::CallbackServerContext* context,
      const v1::WatchAlertsRequest* request) override;
  grpc::ServerUnaryReactor* GetAlertStatus(
      grpc::CallbackServerContext* context,
      const v1::GetAlertStatusRequest* request,
      v1::GetAlertStatusResponse* response) override;

  // Who may call what (services/internal/auth.h); null (the default):
  // authentication off, every caller "anonymous" with every role. Set
  // before the server starts; must outlive the service.
  void set_authenticator(Authenticator* auth) { auth_ = auth; }

  // Ends every watch (UNAVAILABLE) and refuses new ones: before the server
  // shuts down, so that its grace period is not spent waiting for them.
  void StopWatches();

 private:
  class WatchReactor;
  void Register(WatchReactor* reactor);
  void Unregister(WatchReactor* reactor);

  Authenticator* auth_ = nullptr;
  projections::AlertScheduler* const scheduler_;
  Executor* const executor_;
  absl::Mutex mu_;
  std::set<WatchReactor*> watches_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

class AdminServiceImpl final : public v1::AdminService::CallbackService {
 public:
  // Both must outlive the service; `scheduler` may be null.
  AdminServiceImpl(ServerClock* clock, projections::AlertScheduler* scheduler);

  grpc::ServerUnaryReactor* GetToday(grpc::CallbackServerContext* context,
                                     const v1::GetTodayRequest* request,
                                     v1::GetTodayResponse* response) override;
  grpc::ServerUnaryReactor* SetToday(grpc::CallbackServerContext* context,
                                     const v1::SetTodayRequest* request,
                                     v1::SetTodayResponse* response) override;

  // Who may call what (services/internal/auth.h); null (the default):
  // authentication off, every caller "anonymous" with every role. Set
  // before the server starts; must outlive the service.
  void set_authenticator(Authenticator* auth) { auth_ = auth; }

 private:
  Authenticator* auth_ = nullptr;
  ServerClock* const clock_;
  projections::AlertScheduler* const scheduler_;
};

}  // namespace ehcp::services

#endif  // EHCP_SERVICES_INTERNAL_ALERT_SERVICE_H_
