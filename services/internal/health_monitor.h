// Per-service gRPC health (grpc.health.v1), judged once a second from the
// state of the log, the clock index and the background verification; the
// same tick makes a log stopped by a full disk writable again when there is
// room (storage::EventLog::ResumeWrites), so that an idle server resumes
// too — and a health-checking load balancer, which sends no append to a
// NOT_SERVING service, is not left waiting for one.
//
//   ehcp.v1.CaseService   NOT_SERVING while appends cannot be written (a
//                         full disk, a failed write) or the verification
//                         found the hash chain broken;
//   ehcp.v1.ClockService  NOT_SERVING while the clock index is damaged or
//                         its tailer fails, or the chain is broken;
//   "" (the server)       SERVING while it runs: reads go on in every state
//                         above.
//
//   HealthMonitor monitor({log, index, verifier}, server->GetHealthCheckService());
//   monitor.Start();   // judges at once, then every period
//   monitor.Stop();    // before the log closes
//
// Thread safety: Start and Stop from one thread; Judge is a pure function.
#ifndef EHCP_SERVICES_INTERNAL_HEALTH_MONITOR_H_
#define EHCP_SERVICES_INTERNAL_HEALTH_MONITOR_H_

#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "grpcpp/health_check_service_interface.h"
#include "projections/clock_index.h"
#include "services/internal/log_verifier.h"
#include "storage/event_log.h"

namespace ehcp::services {

// The service names health is reported for.
inline constexpr char kCaseServiceName[] = "ehcp.v1.CaseService";
inline constexpr char kClockServiceName[] = "ehcp.v1.ClockService";

// Whether each service can do its work, and why not (empty when it can).
struct HealthVerdict {
  bool cases_serving = true;
  std::string cases_problem;
  bool clocks_serving = true;
  std::string clocks_problem;
};

// The verdict for a log that writes with `write_status`, an index in
// `index` and a verification in `verification`.
HealthVerdict JudgeHealth(const absl::Status& write_status,
                          const projections::IndexStatus& index,
                          const LogVerifier::State& verification);

class HealthMonitor {
 public:
  struct Sources {
    storage::EventLog* log = nullptr;
    projections::ClockIndex* index = nullptr;
    LogVerifier* verifier = nullptr;
  };

  // The sources and `health` must outlive the monitor.
  HealthMonitor(Sources sources, grpc::HealthCheckServiceInterface* health,
                absl::Duration period = absl::Seconds(1));
  ~HealthMonitor();  // Calls Stop().
  HealthMonitor(const HealthMonitor&) = delete;
  HealthMonitor& operator=(const HealthMonitor&) = delete;

  // Judges once, sets the statuses, then goes on on a thread of its own.
  void Start();
  // Stops the thread (idempotent); the statuses stay as last set.
  void Stop();

 private:
  void Tick();

  const Sources sources_;
  grpc::HealthCheckServiceInterface* const health_;
  const absl::Duration period_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace ehcp::services

#endif  // EHCP_SERVICES_INTERNAL_HEALTH_MONITOR_H_
