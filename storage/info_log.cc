#include "storage/internal/info_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace ehcp::storage {
namespace {

class InfoLog final : public rocksdb::Logger {
 public:
  explicit InfoLog(std::string dir)
      : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL),
        path_(dir + "/LOG"),
        old_path_(dir + "/LOG.old") {}

  ~InfoLog() override {
    if (fd_ >= 0) ::close(fd_);
  }

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    char line[4096];
    const absl::Time now = absl::Now();
    const std::string stamp =
        absl::FormatTime("%Y/%m/%d-%H:%M:%E6S ", now, absl::UTCTimeZone());
    size_t n = stamp.copy(line, sizeof(line) - 2);
    const int body = std::vsnprintf(line + n, sizeof(line) - n - 1, format, ap);
    if (body < 0) return;
    n = std::min(n + static_cast<size_t>(body), sizeof(line) - 2);
    if (line[n - 1] != '\n') line[n++] = '\n';
    std::lock_guard<std::mutex> lock(mu_);
    if (fd_ < 0 || written_ > kInfoLogMaxBytes) Reopen();
    if (fd_ < 0) return;
    const ssize_t wrote = ::write(fd_, line, n);
    if (wrote > 0) written_ += static_cast<uint64_t>(wrote);
    // A failed or short write is dropped: the LOG is not the data.
  }

  size_t GetLogFileSize() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<size_t>(written_);
  }

 private:
  // Opens the LOG for appending, first moving a full one aside. Failures
  // leave fd_ < 0, and the next line tries again.
  void Reopen() {
    if (fd_ >= 0 && written_ > kInfoLogMaxBytes) {
      ::close(fd_);
      fd_ = -1;
      ::rename(path_.c_str(), old_path_.c_str());
    }
    if (fd_ < 0) {
      fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
                   0644);
      struct stat st;
      written_ = (fd_ >= 0 && ::fstat(fd_, &st) == 0)
                     ? static_cast<uint64_t>(st.st_size)
                     : 0;
    }
  }

  const std::string path_;
  const std::string old_path_;
  mutable std::mutex mu_;
  int fd_ = -1;
  uint64_t written_ = 0;
};

}  // namespace

std::shared_ptr<rocksdb::Logger> NewInfoLog(const std::string& dir) {
  return std::make_shared<InfoLog>(dir);
}

}  // namespace ehcp::storage
