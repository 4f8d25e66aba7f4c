#include "services/internal/server_clock.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "domain/dates.h"

namespace ehcp::services {

ServerClock::ServerClock(std::function<absl::Time()> wall,
                         std::optional<absl::CivilDay> simulated_today)
    : wall_(std::move(wall)), simulated_(simulated_today.has_value()) {
  today_ = simulated_today.value_or(absl::CivilDay());
  set_at_ = wall_();
}

absl::Time ServerClock::Now() const {
  if (!simulated_) return wall_();
  const absl::Time wall = wall_();
  absl::MutexLock lock(&mu_);
  const absl::Time noon = absl::FromCivil(
      absl::CivilSecond(today_.year(), today_.month(), today_.day(), 12, 0, 0),
      domain::LondonTimeZone());
  const absl::Duration elapsed =
      std::clamp(wall - set_at_, absl::ZeroDuration(),
                 absl::Hours(11) + absl::Minutes(59));
  return noon + elapsed;
}

absl::CivilDay ServerClock::Today() const {
  if (!simulated_) return domain::LondonDate(wall_());
  absl::MutexLock lock(&mu_);
  return today_;
}

absl::Status ServerClock::SetToday(absl::CivilDay day) {
  if (!simulated_) {
    return absl::FailedPreconditionError(
        "today: the server follows the real date (Europe/London); start "
        "ehcpd with --today=YYYY-MM-DD to simulate one");
  }
  const absl::Time wall = wall_();
  absl::MutexLock lock(&mu_);
  if (day < today_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "today: ", domain::FormatDate(day), " is before today (",
        domain::FormatDate(today_),
        "); the date never moves back, since alerts once raised stay raised"));
  }
  if (day == today_) return absl::OkStatus();
  today_ = day;
  set_at_ = wall;
  return absl::OkStatus();
}

}  // namespace ehcp::services
