// The server's clock: the one source of "now" and "today" for everything
// the server does (the event log's commit times, judging dates, the alert
// scheduler's day, the reports' default as_of). Nothing below services/
// reads the wall clock for a date or a stamp (storage/ and projections/
// read it only to pace retries and measure rates).
//
// By default it follows the wall clock: today is the Europe/London date.
// Started with a simulated date (ehcpd --today=YYYY-MM-DD), today stays at
// that date until SetToday moves it on (AdminService.SetToday, or a test),
// so that a demonstration or a test walks a year in seconds. Instants then
// fall within the simulated day (its noon, plus the time elapsed since the
// date was set, at most 11 h 59 min), so events recorded in a simulated
// day are stamped in it.
//
// Thread safety: safe for concurrent use.
#ifndef EHCP_SERVICES_INTERNAL_SERVER_CLOCK_H_
#define EHCP_SERVICES_INTERNAL_SERVER_CLOCK_H_

#include <functional>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace ehcp::services {

class ServerClock {
 public:
  // `wall` gives the real instant (tests pass a fixed one);
  // `simulated_today`, when set, starts a simulated date.
  ServerClock(std::function<absl::Time()> wall,
              std::optional<absl::CivilDay> simulated_today);

  ServerClock(const ServerClock&) = delete;
  ServerClock& operator=(const ServerClock&) = delete;

  absl::Time Now() const;
  absl::CivilDay Today() const;
  bool simulated() const { return simulated_; }

  // Moves a simulated today to `day`. FAILED_PRECONDITION when the clock
  // follows the wall clock ("start ehcpd with --today to set the date"), or
  // for a day before today (the date never moves back: alerts raised stay
  // raised). Setting today again is a no-op.
  absl::Status SetToday(absl::CivilDay day);

 private:
  const std::function<absl::Time()> wall_;
  const bool simulated_;
  mutable absl::Mutex mu_;
  absl::CivilDay today_ ABSL_GUARDED_BY(mu_);
  // The wall instant at which today_ was set.
  absl::Time set_at_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ehcp::services

#endif  // EHCP_SERVICES_INTERNAL_SERVER_CLOCK_H_
