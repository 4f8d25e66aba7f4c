#include "services/internal/health_monitor.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace ehcp::services {

HealthVerdict JudgeHealth(const absl::Status& write_status,
                          const projections::IndexStatus& index,
                          const LogVerifier::State& verification) {
  HealthVerdict verdict;
  const bool broken = verification.done && !verification.intact;
  const std::string chain =
      broken ? absl::StrCat("the log's hash chain is broken: ",
                            verification.problem)
             : std::string();
  if (!write_status.ok()) {
    verdict.cases_serving = false;
    verdict.cases_problem = std::string(write_status.message());
  } else if (broken) {
    verdict.cases_serving = false;
    verdict.cases_problem = chain;
  }
  const absl::Status& index_problem =
      !index.damage.ok() ? index.damage : index.tailer_error;
  if (!index_problem.ok()) {
    verdict.clocks_serving = false;
    verdict.clocks_problem = std::string(index_problem.message());
  } else if (broken) {
    verdict.clocks_serving = false;
    verdict.clocks_problem = chain;
  }
  return verdict;
}

HealthMonitor::HealthMonitor(Sources sources,
                             grpc::HealthCheckServiceInterface* health,
                             absl::Duration period)
    : sources_(sources), health_(health), period_(period) {}

HealthMonitor::~HealthMonitor() { Stop(); }

void HealthMonitor::Start() {
  if (thread_.joinable()) return;
  Tick();
  thread_ = std::thread([this] {
    while (!stop_.WaitForNotificationWithTimeout(period_)) Tick();
  });
}

void HealthMonitor::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void HealthMonitor::Tick() {
  // On this thread, never a callback's: it may reopen the log.
  const absl::Status write_status = sources_.log->ResumeWrites();
  const HealthVerdict verdict =
      JudgeHealth(write_status, sources_.index->Status(),
                  sources_.verifier != nullptr ? sources_.verifier->state()
                                               : LogVerifier::State());
  if (health_ == nullptr) return;
  health_->SetServingStatus("", true);
  health_->SetServingStatus(kCaseServiceName, verdict.cases_serving);
  health_->SetServingStatus(kClockServiceName, verdict.clocks_serving);
}

}  // namespace ehcp::services
