#include "bench/temp_dir.h"

#include <stdlib.h>

#include <cerrno>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ehcp::bench {

absl::StatusOr<std::unique_ptr<TempDir>> TempDir::Make(
    const std::string& parent) {
  std::string pattern =
      (std::filesystem::path(parent) / "ehcp-bench-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    const int error = errno;
    return absl::Status(
        absl::ErrnoToStatusCode(error),
        absl::StrCat("cannot create a directory in ", parent, ": ",
                     std::generic_category().message(error)));
  }
  return std::unique_ptr<TempDir>(new TempDir(std::move(pattern)));
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace ehcp::bench
