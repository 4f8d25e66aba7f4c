#include "storage/event_log.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "storage/internal/event_log_impl.h"

namespace ehcp::storage {

bool ExpectedVersion::Matches(uint64_t actual) const {
  switch (kind) {
    case Kind::kAny:
      return true;
    case Kind::kNoStream:
      return actual == 0;
    case Kind::kExact:
      return actual == version;
  }
  return false;
}

std::string ExpectedVersion::ToString() const {
  switch (kind) {
    case Kind::kAny:
      return "any version";
    case Kind::kNoStream:
      return "no stream";
    case Kind::kExact:
      return absl::StrCat("version ", version);
  }
  return "?";
}

absl::StatusOr<std::unique_ptr<EventLog>> EventLog::Open(
    const std::string& dir, const Options& options) {
  return EventLogImpl::Open(dir, options);
}

absl::StatusOr<AppendResult> EventLog::Append(AppendRequest request) {
  absl::Notification done;
  absl::StatusOr<AppendResult> outcome;
  AppendAsync(std::move(request),
              [&done, &outcome](absl::StatusOr<AppendResult> result) {
                outcome = std::move(result);
                done.Notify();
              });
  done.WaitForNotification();
  return outcome;
}

}  // namespace ehcp::storage
