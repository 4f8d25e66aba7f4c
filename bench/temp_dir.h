// A temporary directory for one measurement, removed with the object.
#ifndef EHCP_BENCH_TEMP_DIR_H_
#define EHCP_BENCH_TEMP_DIR_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace ehcp::bench {

class TempDir {
 public:
  // Creates "<parent>/ehcp-bench-XXXXXX". The errno's code on failure.
  static absl::StatusOr<std::unique_ptr<TempDir>> Make(
      const std::string& parent);

  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  // Removes the directory and everything in it, ignoring errors.
  ~TempDir();

  const std::string& path() const { return path_; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}

  std::string path_;
};

}  // namespace ehcp::bench

#endif  // EHCP_BENCH_TEMP_DIR_H_
