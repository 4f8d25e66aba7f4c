#include "tests/storage/test_util.h"

#include <stdlib.h>

#include <filesystem>
#include <vector>

#include "gtest/gtest.h"

namespace ehcp::storage::testing {

ScopedTempDir::ScopedTempDir() {
  std::string pattern = ::testing::TempDir();
  if (pattern.empty() || pattern.back() != '/') pattern += '/';
  pattern += "event_log_test.XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (mkdtemp(buffer.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp " << pattern << " failed";
  }
  path_ = buffer.data();
}

ScopedTempDir::~ScopedTempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

AppendRequest MakeRequest(const std::string& stream_id,
                          ExpectedVersion expected, size_t count,
                          const std::string& tag) {
  AppendRequest request;
  request.stream_id = stream_id;
  request.expected = expected;
  for (size_t i = 0; i < count; ++i) {
    request.records.push_back(
        {"t", stream_id + "/" + tag + "/" + std::to_string(i)});
  }
  return request;
}

AppendRequest MakeKeyedRequest(const std::string& stream_id,
                               ExpectedVersion expected, size_t count,
                               const std::string& key,
                               const std::string& digest) {
  AppendRequest request = MakeRequest(stream_id, expected, count, key);
  request.idempotency_key = key;
  request.request_digest = digest;
  return request;
}

std::unique_ptr<EventLog> OpenOrDie(const std::string& dir,
                                    const EventLog::Options& options) {
  absl::StatusOr<std::unique_ptr<EventLog>> log = EventLog::Open(dir, options);
  EXPECT_TRUE(log.ok()) << log.status();
  if (!log.ok()) return nullptr;
  return *std::move(log);
}

}  // namespace ehcp::storage::testing
