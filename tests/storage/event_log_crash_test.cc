// Crash safety: a writer process is killed with SIGKILL mid-stream; every
// append it had acknowledged must be there after reopening, every append
// whole, and positions gap-free. Repeated on the same directory, so that
// each round also recovers from the previous kill.
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "storage/event_log.h"
#include "tests/storage/test_util.h"

extern char** environ;

namespace ehcp::storage {
namespace {

using ::ehcp::storage::testing::OpenOrDie;
using ::ehcp::storage::testing::ScopedTempDir;

constexpr int kThreads = 4;
constexpr uint64_t kRecordsPerAppend = 3;

struct Ack {
  std::string stream;
  uint64_t last_version = 0;
  uint64_t last_position = 0;
};

// Runs the writer on `dir` for `run_for`, kills it, and returns the appends
// it acknowledged (complete lines only).
std::vector<Ack> RunWriterAndKill(const std::string& dir,
                                  absl::Duration run_for) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  const std::string path = STORAGE_CRASH_WRITER_PATH;
  const std::string threads = std::to_string(kThreads);
  const std::string k = std::to_string(kRecordsPerAppend);
  std::vector<char*> argv = {const_cast<char*>(path.c_str()),
                             const_cast<char*>(dir.c_str()),
                             const_cast<char*>(threads.c_str()),
                             const_cast<char*>(k.c_str()), nullptr};
  pid_t pid = 0;
  const int spawned =
      posix_spawn(&pid, path.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  EXPECT_EQ(spawned, 0) << "cannot spawn " << path;
  if (spawned != 0) {
    close(fds[0]);
    return {};
  }

  std::string output;
  char buffer[4096];
  // The writer runs for `run_for` after its first acknowledgement, so that a
  // slow start on a loaded machine (opening the log, loading the library)
  // does not leave a round with nothing acknowledged; it gets at most a
  // minute to acknowledge the first append.
  absl::Time kill_at = absl::Now() + absl::Minutes(1);
  bool first_ack_seen = false;
  bool eof = false;
  while (!eof) {
    if (!first_ack_seen && output.find('\n') != std::string::npos) {
      first_ack_seen = true;
      kill_at = absl::Now() + run_for;
    }
    const absl::Duration left = kill_at - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    pollfd poll_fd = {fds[0], POLLIN, 0};
    if (poll(&poll_fd, 1,
             static_cast<int>(absl::ToInt64Milliseconds(left)) + 1) <= 0) {
      continue;
    }
    const ssize_t n = read(fds[0], buffer, sizeof(buffer));
    if (n <= 0) eof = true;
    if (n > 0) output.append(buffer, n);
  }
  kill(pid, SIGKILL);
  int wait_status = 0;
  EXPECT_EQ(waitpid(pid, &wait_status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(wait_status) && WTERMSIG(wait_status) == SIGKILL)
      << "the writer ended by itself (status " << wait_status
      << "); see its stderr";
  // Lines written before the kill were acknowledged too.
  for (ssize_t n; (n = read(fds[0], buffer, sizeof(buffer))) > 0;) {
    output.append(buffer, n);
  }
  close(fds[0]);

  std::vector<Ack> acks;
  output.resize(output.rfind('\n') + 1);  // Drop a torn last line.
  std::istringstream lines(output);
  for (Ack ack; lines >> ack.stream >> ack.last_version >> ack.last_position;) {
    acks.push_back(ack);
  }
  return acks;
}

TEST(CrashTest, AcknowledgedAppendsSurviveKillNine) {
  ScopedTempDir dir;
  const std::string log_dir = dir.Sub("log");
  std::vector<Ack> all_acks;
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::vector<Ack> acks = RunWriterAndKill(log_dir, absl::Milliseconds(400));
    EXPECT_GT(acks.size(), 0u);
    all_acks.insert(all_acks.end(), acks.begin(), acks.end());

    std::unique_ptr<EventLog> log = OpenOrDie(log_dir);
    ASSERT_NE(log, nullptr);
    // Every acknowledged append, with the right content at the right place.
    for (const Ack& ack : all_acks) {
      absl::StatusOr<std::vector<Record>> records =
          log->ReadStream(ack.stream, ack.last_version, Direction::kBackwards,
                          kRecordsPerAppend);
      ASSERT_TRUE(records.ok()) << records.status();
      ASSERT_EQ(records->size(), kRecordsPerAppend) << ack.stream;
      EXPECT_EQ((*records)[0].position, ack.last_position) << ack.stream;
      for (size_t i = 0; i < records->size(); ++i) {
        EXPECT_EQ((*records)[i].position, ack.last_position - i);
      }
    }
    // Every record: gap-free positions, whole appends, expected content.
    std::map<std::string, uint64_t> versions;
    uint64_t position = 0;
    while (true) {
      absl::StatusOr<std::vector<Record>> page =
          log->ReadAll(position + 1, kMaxPageSize);
      ASSERT_TRUE(page.ok()) << page.status();
      if (page->empty()) break;
      for (const Record& record : *page) {
        ASSERT_EQ(record.position, ++position);
        ASSERT_EQ(record.version, ++versions[record.stream_id]);
        ASSERT_EQ(record.data,
                  record.stream_id + "@" + std::to_string(record.version));
      }
    }
    EXPECT_EQ(position, log->HeadPosition());
    for (const auto& [stream, version] : versions) {
      EXPECT_EQ(version % kRecordsPerAppend, 0u)
          << stream << " has a torn append";
    }
    EXPECT_TRUE(log->VerifyChain(0, 0).ok());
  }
}

}  // namespace
}  // namespace ehcp::storage
