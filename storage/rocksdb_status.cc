#include "storage/rocksdb_status.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "storage/absl_string_view.h"

namespace ehcp::storage {

absl::Status FromRocksDb(const rocksdb::Status& status,
                         std::string_view context) {
  if (status.ok()) return absl::OkStatus();
  const std::string message =
      absl::StrCat(ToAbsl(context), ": ", status.ToString());
  using Code = rocksdb::Status::Code;
  switch (status.code()) {
    case Code::kNotFound:
      return absl::NotFoundError(message);
    case Code::kCorruption:
      return absl::DataLossError(message);
    case Code::kIOError:
      if (status.IsNoSpace()) return absl::ResourceExhaustedError(message);
      return absl::UnavailableError(message);
    case Code::kBusy:
    case Code::kTimedOut:
    case Code::kTryAgain:
    case Code::kIncomplete:
    case Code::kShutdownInProgress:
      return absl::UnavailableError(message);
    case Code::kInvalidArgument:
    case Code::kNotSupported:
      return absl::FailedPreconditionError(message);
    case Code::kAborted:
      return absl::AbortedError(message);
    default:
      return absl::InternalError(message);
  }
}

}  // namespace ehcp::storage
