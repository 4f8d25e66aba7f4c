// Helpers shared by the storage tests: a fresh directory per test and
// request builders.
#ifndef EHCP_TESTS_STORAGE_TEST_UTIL_H_
#define EHCP_TESTS_STORAGE_TEST_UTIL_H_

#include <cstddef>
#include <memory>
#include <string>

#include "storage/event_log.h"

namespace ehcp::storage::testing {

// A new, empty directory under the test temp dir, removed with its contents
// when the object is destroyed.
class ScopedTempDir {
 public:
  ScopedTempDir();
  ~ScopedTempDir();
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;

  const std::string& path() const { return path_; }
  // A path inside the directory (not created).
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A request appending `count` records to `stream_id`, typed "t" and with
// data "<stream_id>/<tag>/<i>".
AppendRequest MakeRequest(const std::string& stream_id,
                          ExpectedVersion expected, size_t count = 1,
                          const std::string& tag = "r");

// The same with an idempotency key and digest.
AppendRequest MakeKeyedRequest(const std::string& stream_id,
                               ExpectedVersion expected, size_t count,
                               const std::string& key,
                               const std::string& digest);

// Opens `dir`; fails the current test (and returns null) on error.
std::unique_ptr<EventLog> OpenOrDie(const std::string& dir,
                                    const EventLog::Options& options = {});

}  // namespace ehcp::storage::testing

#endif  // EHCP_TESTS_STORAGE_TEST_UTIL_H_
