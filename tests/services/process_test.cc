// The ehcpd binary as operators run it: signals, restarts, kill -9.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "ehcp/v1/alert_service.grpc.pb.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/services/journey_builder.h"

extern char** environ;

namespace ehcp::testing {
namespace {

// Starts ehcpd on `data_dir` and a free port, with `extra` flags, its
// `stream` (STDOUT_FILENO or STDERR_FILENO) into a pipe; returns its pid
// and sets *read_end to the pipe's end to read.
pid_t SpawnEhcpd(const std::string& data_dir, int stream, int* read_end,
                 std::vector<std::string> extra = {}) {
  int pipe_ends[2];
  EXPECT_EQ(pipe(pipe_ends), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_ends[1], stream);
  posix_spawn_file_actions_addclose(&actions, pipe_ends[0]);
  std::string data_flag = "--data_dir=" + data_dir;
  std::vector<char*> argv = {const_cast<char*>(EHCPD_PATH), data_flag.data(),
                             const_cast<char*>("--listen=127.0.0.1:0")};
  for (std::string& flag : extra) argv.push_back(flag.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  EXPECT_EQ(
      posix_spawn(&pid, EHCPD_PATH, &actions, nullptr, argv.data(), environ),
      0);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_ends[1]);
  *read_end = pipe_ends[0];
  return pid;
}

// A running ehcpd child process on a free port.
class EhcpdProcess {
 public:
  explicit EhcpdProcess(const std::string& data_dir,
                        std::vector<std::string> extra_flags = {}) {
    pid_ =
        SpawnEhcpd(data_dir, STDOUT_FILENO, &stdout_, std::move(extra_flags));
    const std::string line = ReadLine(absl::Seconds(20));
    const size_t colon = line.rfind(':', line.find(" (data"));
    EXPECT_NE(colon, std::string::npos) << "ehcpd said: " << line;
    port_ = std::atoi(line.c_str() + colon + 1);
    EXPECT_GT(port_, 0) << line;
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_),
                                   grpc::InsecureChannelCredentials());
  }

  ~EhcpdProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(stdout_);
  }

  std::shared_ptr<grpc::Channel> channel() { return channel_; }

  // Closes this side's connection. A sync client that is idle answers the
  // server's GOAWAY only when gRPC's backup poller runs (every 5 s), which
  // would hold ehcpd's shutdown that long; real clients are either busy or
  // gone.
  void DropChannel() { channel_.reset(); }

  // Sends `signal` and waits (up to `timeout`) for the exit. Returns the
  // wait status, or -1 on timeout.
  int SignalAndWait(int signal, absl::Duration timeout) {
    kill(pid_, signal);
    const absl::Time give_up = absl::Now() + timeout;
    while (absl::Now() < give_up) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return status;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    return -1;
  }

 private:
  std::string ReadLine(absl::Duration timeout) {
    std::string line;
    const absl::Time give_up = absl::Now() + timeout;
    char c;
    while (absl::Now() < give_up) {
      pollfd fd{stdout_, POLLIN, 0};
      if (poll(&fd, 1, 100) <= 0) continue;
      if (read(stdout_, &c, 1) != 1) break;
      if (c == '\n') return line;
      line.push_back(c);
    }
    return line;
  }

  pid_t pid_ = -1;
  int stdout_ = -1;
  int port_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
};

std::string OpenAndAssess(v1::CaseService::Stub& stub, const std::string& ref) {
  grpc::ClientContext context;
  v1::OpenCaseRequest open;
  open.set_la_code("E10000016");
  open.set_case_reference(ref);
  v1::OpenCaseResponse opened;
  grpc::Status status = stub.OpenCase(&context, open, &opened);
  EXPECT_TRUE(status.ok()) << status.error_message();
  grpc::ClientContext append_context;
  v1::AppendEventsResponse response;
  status = stub.AppendEvents(
      &append_context,
      AppendRequest(opened.case_id(),
                    {Request("2024-01-08"), DecideToAssess("2024-02-01")}),
      &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return opened.case_id();
}

std::vector<v1::Event> ReadCase(v1::CaseService::Stub& stub,
                                const std::string& id) {
  std::vector<v1::Event> events;
  v1::ReadCaseRequest request;
  request.set_case_id(id);
  request.set_max_count(1000);
  do {
    grpc::ClientContext context;
    v1::ReadCaseResponse page;
    grpc::Status status = stub.ReadCase(&context, request, &page);
    EXPECT_TRUE(status.ok()) << status.error_message();
    events.insert(events.end(), page.events().begin(), page.events().end());
    request.set_from_version(page.next_version());
  } while (request.from_version() != 0);
  return events;
}

TEST(ProcessTest, SigtermStopsCleanlyWithExitZeroAndKeepsTheData) {
  TempDir dir;
  std::string id;
  {
    EhcpdProcess ehcpd(dir.path());
    {
      auto stub = v1::CaseService::NewStub(ehcpd.channel());
      id = OpenAndAssess(*stub, "SIGTERM-1");
    }
    ehcpd.DropChannel();
    const absl::Time signalled = absl::Now();
    const int status = ehcpd.SignalAndWait(SIGTERM, absl::Seconds(20));
    ASSERT_NE(status, -1) << "ehcpd did not stop within 20 s of SIGTERM";
    EXPECT_LT(absl::Now() - signalled, absl::Seconds(4))
        << "ehcpd took long to stop with no call in flight";
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  EhcpdProcess again(dir.path());
  {
    auto stub = v1::CaseService::NewStub(again.channel());
    EXPECT_EQ(ReadCase(*stub, id).size(), 3u);
  }
  again.DropChannel();
  const int status = again.SignalAndWait(SIGINT, absl::Seconds(20));
  ASSERT_NE(status, -1);
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(ProcessTest, AcknowledgedAppendsSurviveKillNineAndNoBatchIsHalfWritten) {
  TempDir dir;
  constexpr int kWriters = 8;
  // case id → event ids acknowledged, in order.
  std::map<std::string, std::vector<std::string>> acknowledged;
  std::mutex mu;
  {
    EhcpdProcess ehcpd(dir.path());
    std::vector<std::string> ids;
    {
      auto stub = v1::CaseService::NewStub(ehcpd.channel());
      for (int w = 0; w < kWriters; ++w) {
        ids.push_back(OpenAndAssess(*stub, absl::StrCat("KILL-", w)));
      }
    }
    std::atomic<bool> stop{false};
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back([&, w] {
        auto stub = v1::CaseService::NewStub(ehcpd.channel());
        for (int i = 0; !stop.load(); ++i) {
          // Two events per append: a torn write would leave one of them.
          grpc::ClientContext context;
          context.set_deadline(
              absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
          v1::AppendEventsResponse response;
          grpc::Status status = stub->AppendEvents(
              &context,
              AppendRequest(ids[w],
                            {AskAdvice("2024-02-10", absl::StrCat("A", i)),
                             AskAdvice("2024-02-10", absl::StrCat("B", i))}),
              &response);
          if (!status.ok()) return;  // the server died under us
          std::lock_guard<std::mutex> lock(mu);
          for (const v1::Event& e : response.events()) {
            acknowledged[ids[w]].push_back(e.event_id());
          }
        }
      });
    }
    absl::SleepFor(absl::Milliseconds(800));
    ehcpd.SignalAndWait(SIGKILL, absl::Seconds(10));
    stop = true;
    for (std::thread& t : writers) t.join();
  }
  size_t total_acknowledged = 0;
  for (const auto& [id, events] : acknowledged)
    total_acknowledged += events.size();
  ASSERT_GT(total_acknowledged, 0u)
      << "no append was acknowledged before the kill";

  EhcpdProcess after(dir.path());
  auto stub = v1::CaseService::NewStub(after.channel());
  for (const auto& [id, acked] : acknowledged) {
    std::vector<v1::Event> events = ReadCase(*stub, id);
    ASSERT_GE(events.size(), 3 + acked.size()) << id;
    // After the 3 set-up events, appends come in whole pairs.
    EXPECT_EQ((events.size() - 3) % 2, 0u) << id << " has a half-written batch";
    for (size_t i = 0; i < acked.size(); ++i) {
      EXPECT_EQ(events[3 + i].event_id(), acked[i]) << id;
    }
    for (size_t v = 0; v < events.size(); ++v) {
      EXPECT_EQ(events[v].case_version(), static_cast<int64_t>(v + 1));
    }
  }
  // The whole log is gap-free after recovery.
  v1::ReadLogRequest request;
  request.set_max_count(1000);
  int64_t expected_position = 1;
  while (true) {
    grpc::ClientContext context;
    v1::ReadLogResponse page;
    ASSERT_TRUE(stub->ReadLog(&context, request, &page).ok());
    if (page.events().empty()) break;
    for (const v1::Event& e : page.events()) {
      ASSERT_EQ(e.global_position(), expected_position++);
    }
    request.set_from_position(page.next_position());
  }
}

// A tmpfs of `megabytes` mounted at `dir` for the test's lifetime; mounted()
// is false where the test may not mount one (not root, or a container
// without the capability).
class SmallDisk {
 public:
  SmallDisk(const std::string& dir, int megabytes) : dir_(dir) {
    std::filesystem::create_directories(dir);
    mounted_ = mount("tmpfs", dir.c_str(), "tmpfs", 0,
                     absl::StrCat("size=", megabytes, "m").c_str()) == 0;
  }
  ~SmallDisk() {
    if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  // Makes room: the same files, a bigger disk.
  bool Grow(int megabytes) {
    return mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT,
                 absl::StrCat("size=", megabytes, "m").c_str()) == 0;
  }

 private:
  std::string dir_;
  bool mounted_ = false;
};

// Runs ehcpd on `data_dir` until it exits, or has written `enough` to
// stderr (when not empty), or 20 s pass (then stops it with SIGTERM);
// returns its wait status and what it wrote to stderr.
std::pair<int, std::string> RunEhcpdOnce(const std::string& data_dir,
                                         const std::string& enough = "") {
  int stderr_fd = -1;
  const pid_t pid = SpawnEhcpd(data_dir, STDERR_FILENO, &stderr_fd);
  std::string said;
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  int status = -1;
  char buffer[512];
  while (absl::Now() < give_up) {
    pollfd fd{stderr_fd, POLLIN, 0};
    if (poll(&fd, 1, 50) > 0) {
      const ssize_t n = read(stderr_fd, buffer, sizeof(buffer));
      if (n > 0) said.append(buffer, static_cast<size_t>(n));
    }
    if (waitpid(pid, &status, WNOHANG) == pid) break;
    status = -1;
    if (!enough.empty() && said.find(enough) != std::string::npos) break;
  }
  if (status == -1) {
    kill(pid, SIGTERM);
    waitpid(pid, &status, 0);
  }
  close(stderr_fd);
  return {status, said};
}

// Appends advice requests to case `id` until an append is refused (at most
// 2,000 calls of 40), counting the events acknowledged; the refusal.
grpc::Status FillDisk(v1::CaseService::Stub& stub, const std::string& id,
                      size_t* acknowledged) {
  grpc::Status refused;
  for (int call = 0; call < 2000 && refused.ok(); ++call) {
    std::vector<v1::ProposedEvent> events;
    for (int i = 0; i < 40; ++i) {
      events.push_back(
          AskAdvice("2024-02-10", absl::StrCat("A", call, "_", i)));
    }
    grpc::ClientContext context;
    v1::AppendEventsResponse response;
    refused = stub.AppendEvents(&context, AppendRequest(id, events), &response);
    if (refused.ok())
      *acknowledged += static_cast<size_t>(response.events_size());
  }
  return refused;
}

// A full disk is an error, not a crash (RocksDB's own LOG writer used to
// abort the process at the first line it could not write): appends are
// refused with RESOURCE_EXHAUSTED naming the data directory, reads go on,
// SIGTERM stops cleanly, a restart on the still-full disk refuses with a
// message and no abort, and once there is room every acknowledged event is
// there and appends resume.
TEST(ProcessTest, AFullDiskRefusesAppendsWithoutAbortingAndLosesNothing) {
  TempDir dir;
  SmallDisk disk(dir.path() + "/disk", 3);
  if (!disk.mounted()) {
    GTEST_SKIP() << "cannot mount a tmpfs here (needs root): "
                 << strerror(errno);
  }
  const std::string data = dir.path() + "/disk/data";
  std::string id;
  size_t acknowledged = 0;
  {
    EhcpdProcess ehcpd(data);
    auto stub = v1::CaseService::NewStub(ehcpd.channel());
    id = OpenAndAssess(*stub, "FULL-1");
    acknowledged = 3;
    const grpc::Status refused = FillDisk(*stub, id, &acknowledged);
    ASSERT_FALSE(refused.ok()) << "3 MiB never filled";
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << refused.error_message();
    EXPECT_NE(refused.error_message().find(data), std::string::npos)
        << refused.error_message();
    EXPECT_NE(refused.error_message().find("No space left"), std::string::npos)
        << refused.error_message();
    // Reads go on.
    EXPECT_EQ(ReadCase(*stub, id).size(), acknowledged);
    stub.reset();
    ehcpd.DropChannel();
    const int status = ehcpd.SignalAndWait(SIGTERM, absl::Seconds(20));
    ASSERT_NE(status, -1);
    EXPECT_TRUE(WIFEXITED(status))
        << "ehcpd was killed by signal "
        << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  {
    // The disk is still full: it starts (read-only), no abort, and says why
    // appends are refused.
    const auto [status, said] = RunEhcpdOnce(data, "resume by themselves");
    EXPECT_FALSE(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT) << said;
    EXPECT_NE(said.find("appends are refused for now"), std::string::npos)
        << said;
    EXPECT_NE(said.find("No space left"), std::string::npos) << said;
  }
  ASSERT_TRUE(disk.Grow(64));
  EhcpdProcess after(data);
  auto stub = v1::CaseService::NewStub(after.channel());
  const std::vector<v1::Event> events = ReadCase(*stub, id);
  EXPECT_EQ(events.size(), acknowledged);
  grpc::ClientContext context;
  v1::AppendEventsResponse response;
  EXPECT_TRUE(
      stub->AppendEvents(&context,
                         AppendRequest(id, {AskAdvice("2024-02-11", "Z")}),
                         &response)
          .ok());
}

// Flips 4 bytes in the middle of the clock index's MANIFEST: RocksDB's
// checksum then refuses the index.
void DamageClockIndex(const std::string& data_dir) {
  for (const auto& entry :
       std::filesystem::directory_iterator(data_dir + "/clock-index")) {
    if (entry.path().filename().string().rfind("MANIFEST-", 0) != 0) continue;
    const int fd = open(entry.path().c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(pwrite(fd, "\xff\xff\xff\xff", 4, 20), 4);
    close(fd);
    return;
  }
  FAIL() << "no MANIFEST in " << data_dir << "/clock-index";
}

// The late clocks of the test's council (E10000016) as of 2026-01-01, after
// `position`: "case clock:instance days_late", or the call's error.
std::vector<std::string> Breaches(v1::ClockService::Stub& stub,
                                  int64_t position, grpc::Status* status) {
  grpc::ClientContext context;
  v1::ListBreachesRequest request;
  request.set_la_code("E10000016");
  request.set_as_of("2026-01-01");
  request.set_min_position(position);
  v1::ListBreachesResponse response;
  *status = stub.ListBreaches(&context, request, &response);
  std::vector<std::string> rows;
  for (const v1::Clock& c : response.clocks()) {
    rows.push_back(absl::StrCat(c.case_id(), " ", c.clock_id(), ":",
                                c.instance(), " ", c.days_late()));
  }
  return rows;
}

v1::GetProjectionStatusResponse ProjectionStatus(v1::ClockService::Stub& stub) {
  grpc::ClientContext context;
  v1::GetProjectionStatusResponse response;
  EXPECT_TRUE(stub.GetProjectionStatus(
                      &context, v1::GetProjectionStatusRequest(), &response)
                  .ok());
  return response;
}

// A clock index found damaged at start does not keep ehcpd down: reports
// answer FAILED_PRECONDITION naming the clock index and the cure (at once,
// even when waiting for a position), the projection status says it is not
// healthy, the log's reads go on, and RebuildProjections discards the
// damaged index and builds the same answers from the log.
TEST(ProcessTest, AClockIndexFoundDamagedIsReportedAndRebuiltThroughTheApi) {
  TempDir dir;
  std::string id;
  std::vector<std::string> before;
  int64_t position = 0;
  {
    EhcpdProcess ehcpd(dir.path());
    {
      auto cases = v1::CaseService::NewStub(ehcpd.channel());
      id = OpenAndAssess(*cases, "DAMAGED-INDEX-1");
      position =
          static_cast<int64_t>(ReadCase(*cases, id).back().global_position());
      auto clocks = v1::ClockService::NewStub(ehcpd.channel());
      grpc::Status status;
      before = Breaches(*clocks, position, &status);
      ASSERT_TRUE(status.ok()) << status.error_message();
      ASSERT_FALSE(before.empty()) << "the assessment is overdue by 2026";
    }
    ehcpd.DropChannel();
    ASSERT_NE(ehcpd.SignalAndWait(SIGTERM, absl::Seconds(20)), -1);
  }
  DamageClockIndex(dir.path());

  EhcpdProcess ehcpd(dir.path());
  auto cases = v1::CaseService::NewStub(ehcpd.channel());
  auto clocks = v1::ClockService::NewStub(ehcpd.channel());
  grpc::Status status;
  const absl::Time asked = absl::Now();
  EXPECT_TRUE(Breaches(*clocks, position, &status).empty());
  EXPECT_LT(absl::Now() - asked, absl::Seconds(5)) << "waited for a position "
                                                      "a damaged index "
                                                      "cannot reach";
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << status.error_message();
  EXPECT_EQ(status.error_message().rfind("clock index is damaged", 0), 0u)
      << status.error_message();
  EXPECT_NE(status.error_message().find("RebuildProjections"),
            std::string::npos);
  v1::GetProjectionStatusResponse health = ProjectionStatus(*clocks);
  EXPECT_FALSE(health.healthy());
  EXPECT_NE(health.problem().find("damaged"), std::string::npos)
      << health.problem();
  EXPECT_EQ(ReadCase(*cases, id).size(), 3u) << "the log is not affected";

  {
    grpc::ClientContext context;
    v1::RebuildProjectionsResponse rebuilt;
    status = clocks->RebuildProjections(
        &context, v1::RebuildProjectionsRequest(), &rebuilt);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(rebuilt.checkpoint(), position);
  }
  health = ProjectionStatus(*clocks);
  EXPECT_TRUE(health.healthy()) << health.problem();
  EXPECT_EQ(Breaches(*clocks, position, &status), before);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

// Runs ehcpd with `args` to its exit (at most 60 s); returns its wait
// status and what it wrote to stdout and stderr.
std::pair<int, std::string> RunEhcpdToExit(std::vector<std::string> args) {
  int pipe_ends[2];
  EXPECT_EQ(pipe(pipe_ends), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_ends[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipe_ends[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_ends[0]);
  std::vector<char*> argv = {const_cast<char*>(EHCPD_PATH)};
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  EXPECT_EQ(
      posix_spawn(&pid, EHCPD_PATH, &actions, nullptr, argv.data(), environ),
      0);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_ends[1]);
  std::string said;
  char buffer[512];
  int status = -1;
  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  while (absl::Now() < give_up) {
    pollfd fd{pipe_ends[0], POLLIN, 0};
    if (poll(&fd, 1, 50) > 0) {
      const ssize_t n = read(pipe_ends[0], buffer, sizeof(buffer));
      if (n > 0) said.append(buffer, static_cast<size_t>(n));
    }
    if (waitpid(pid, &status, WNOHANG) == pid) break;
    status = -1;
  }
  if (status == -1) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  for (ssize_t n; (n = read(pipe_ends[0], buffer, sizeof(buffer))) > 0;) {
    said.append(buffer, static_cast<size_t>(n));
  }
  close(pipe_ends[0]);
  return {status, said};
}

// One changed byte in the middle of the write-ahead log, no backup: ehcpd
// refuses to start, naming what recovery would keep and the command; the
// command refuses any other position and changes nothing; at the named
// position it keeps a copy of the damaged files, keeps exactly that prefix
// with its chain verified, moves the clock index aside, and ehcpd then
// starts, rebuilds the index and appends after the kept head.
TEST(ProcessTest, AnOperatorRecoversADamagedLogToTheNamedPositionKeepingACopy) {
  TempDir dir;
  {
    EhcpdProcess ehcpd(dir.path());
    auto cases = v1::CaseService::NewStub(ehcpd.channel());
    for (int i = 0; i < 20; ++i) {
      OpenAndAssess(*cases, absl::StrCat("RECOVER-", i));
    }
  }  // kill -9: everything is in the write-ahead log
  std::filesystem::path wal;
  for (const auto& entry :
       std::filesystem::directory_iterator(dir.path() + "/log")) {
    if (entry.path().extension() == ".log" &&
        (wal.empty() || entry.file_size() > std::filesystem::file_size(wal))) {
      wal = entry.path();
    }
  }
  ASSERT_FALSE(wal.empty());
  {
    std::fstream f(wal, std::ios::in | std::ios::out | std::ios::binary);
    const std::streamoff at =
        static_cast<std::streamoff>(std::filesystem::file_size(wal) / 3);
    f.seekg(at);
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x10);
    f.seekp(at);
    f.write(&c, 1);
  }
  const auto [refused_status, refused] = RunEhcpdOnce(dir.path());
  ASSERT_TRUE(WIFEXITED(refused_status) && WEXITSTATUS(refused_status) == 1)
      << refused;
  const size_t at = refused.find("would keep positions 1-");
  ASSERT_NE(at, std::string::npos) << refused;
  const int64_t keep = std::stoll(refused.substr(at + 23));
  ASSERT_GT(keep, 0);
  ASSERT_LT(keep, 60);
  EXPECT_NE(refused.find(absl::StrCat("--recover_to=", keep)),
            std::string::npos)
      << refused;

  const std::string data_flag = "--data_dir=" + dir.path();
  auto [wrong_status, wrong] =
      RunEhcpdToExit({data_flag, absl::StrCat("--recover_to=", keep + 1)});
  EXPECT_TRUE(WIFEXITED(wrong_status) && WEXITSTATUS(wrong_status) == 1)
      << wrong;
  EXPECT_NE(wrong.find("nothing was changed"), std::string::npos) << wrong;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    EXPECT_EQ(entry.path().filename().string().rfind("damaged-", 0),
              std::string::npos)
        << "a refused recovery left " << entry.path();
  }

  auto [done_status, done] =
      RunEhcpdToExit({data_flag, absl::StrCat("--recover_to=", keep)});
  ASSERT_TRUE(WIFEXITED(done_status) && WEXITSTATUS(done_status) == 0) << done;
  EXPECT_NE(done.find(absl::StrCat("holds positions 1-", keep)),
            std::string::npos)
      << done;
  std::filesystem::path kept;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    if (entry.path().filename().string().rfind("damaged-", 0) == 0) {
      kept = entry.path();
    }
  }
  ASSERT_FALSE(kept.empty()) << done;
  EXPECT_TRUE(std::filesystem::exists(kept / "log" / wal.filename()));
  EXPECT_TRUE(std::filesystem::exists(kept / "clock-index"));

  EhcpdProcess ehcpd(dir.path());
  auto cases = v1::CaseService::NewStub(ehcpd.channel());
  grpc::ClientContext context;
  v1::GetDigestResponse digest;
  ASSERT_TRUE(cases->GetDigest(&context, v1::GetDigestRequest(), &digest).ok());
  EXPECT_EQ(digest.position(), keep);
  const std::string id = OpenAndAssess(*cases, "RECOVER-AFTER");
  const std::vector<v1::Event> after = ReadCase(*cases, id);
  ASSERT_FALSE(after.empty());
  EXPECT_EQ(after.front().global_position(), keep + 1);
}

// Once there is room again, appends resume by themselves, without a
// restart, and nothing is lost or doubled: after a kill -9 every
// acknowledged event is there once, the chain verifies and the clock
// index has caught up.
TEST(ProcessTest, AppendsResumeByThemselvesOnceTheFullDiskHasRoom) {
  TempDir dir;
  SmallDisk disk(dir.path() + "/disk", 3);
  if (!disk.mounted()) {
    GTEST_SKIP() << "cannot mount a tmpfs here (needs root): "
                 << strerror(errno);
  }
  const std::string data = dir.path() + "/disk/data";
  std::string id;
  size_t acknowledged = 0;
  {
    EhcpdProcess ehcpd(data);
    auto stub = v1::CaseService::NewStub(ehcpd.channel());
    id = OpenAndAssess(*stub, "FULL-2");
    acknowledged = 3;
    const grpc::Status refused = FillDisk(*stub, id, &acknowledged);
    ASSERT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << refused.error_message();
    ASSERT_TRUE(disk.Grow(512));
    grpc::Status resumed = refused;
    const absl::Time give_up = absl::Now() + absl::Seconds(20);
    while (!resumed.ok() && absl::Now() < give_up) {
      grpc::ClientContext context;
      v1::AppendEventsResponse response;
      resumed = stub->AppendEvents(
          &context, AppendRequest(id, {AskAdvice("2024-02-11", "RESUMED")}),
          &response);
      if (resumed.ok()) {
        acknowledged += 1;
      } else {
        absl::SleepFor(absl::Milliseconds(200));
      }
    }
    ASSERT_TRUE(resumed.ok())
        << "appends did not resume: " << resumed.error_message();
    for (int i = 0; i < 5; ++i) {
      grpc::ClientContext context;
      v1::AppendEventsResponse response;
      ASSERT_TRUE(stub->AppendEvents(
                          &context,
                          AppendRequest(id, {AskAdvice("2024-02-12",
                                                       absl::StrCat("M", i))}),
                          &response)
                      .ok());
      acknowledged += 1;
    }
    EXPECT_EQ(ReadCase(*stub, id).size(), acknowledged);
  }  // kill -9
  EhcpdProcess after(data);
  auto stub = v1::CaseService::NewStub(after.channel());
  const std::vector<v1::Event> events = ReadCase(*stub, id);
  ASSERT_EQ(events.size(), acknowledged);
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].case_version(), static_cast<int64_t>(i + 1));
  }
  grpc::ClientContext verify_context;
  auto reader = stub->VerifyLog(&verify_context, v1::VerifyLogRequest());
  v1::VerifyLogResponse verdict;
  while (reader->Read(&verdict)) {
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_TRUE(verdict.done() && verdict.intact()) << verdict.problem();
  auto clocks = v1::ClockService::NewStub(after.channel());
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  v1::GetProjectionStatusResponse status = ProjectionStatus(*clocks);
  while (status.lag() != 0 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(100));
    status = ProjectionStatus(*clocks);
  }
  EXPECT_EQ(status.lag(), 0);
  EXPECT_TRUE(status.healthy()) << status.problem();
}

// Started on a disk that is already full (after a kill -9 at the moment it
// filled), ehcpd serves read-only: reads, clocks and reports answer, appends
// are refused RESOURCE_EXHAUSTED naming the data directory, and health says
// CaseService NOT_SERVING. Once there is room it becomes writable by itself
// — with no append to prompt it — and nothing is lost or doubled.
TEST(ProcessTest, StartsReadOnlyOnAFullDiskAndBecomesWritableByItselfWithRoom) {
  TempDir dir;
  SmallDisk disk(dir.path() + "/disk", 3);
  if (!disk.mounted()) {
    GTEST_SKIP() << "cannot mount a tmpfs here (needs root): "
                 << strerror(errno);
  }
  const std::string data = dir.path() + "/disk/data";
  std::string id;
  size_t acknowledged = 0;
  {
    EhcpdProcess ehcpd(data);
    auto stub = v1::CaseService::NewStub(ehcpd.channel());
    id = OpenAndAssess(*stub, "FULL-3");
    acknowledged = 3;
    const grpc::Status refused = FillDisk(*stub, id, &acknowledged);
    ASSERT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << refused.error_message();
  }  // kill -9 on the full disk
  EhcpdProcess ehcpd(data);
  auto stub = v1::CaseService::NewStub(ehcpd.channel());
  auto clocks = v1::ClockService::NewStub(ehcpd.channel());
  EXPECT_EQ(ReadCase(*stub, id).size(), acknowledged);
  EXPECT_FALSE(ClocksAsOf(*clocks, id, "2024-06-01").empty());
  grpc::Status report;
  Breaches(*clocks, 0, &report);
  EXPECT_TRUE(report.ok()) << report.error_message();
  {
    grpc::ClientContext context;
    v1::AppendEventsResponse response;
    const grpc::Status status = stub->AppendEvents(
        &context, AppendRequest(id, {AskAdvice("2024-02-11", "RO")}),
        &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_NE(status.error_message().find("read-only"), std::string::npos)
        << status.error_message();
    EXPECT_NE(status.error_message().find(data), std::string::npos)
        << status.error_message();
  }
  EXPECT_EQ(HealthOf(ehcpd.channel(), ""), 1);
  EXPECT_EQ(HealthOf(ehcpd.channel(), "ehcp.v1.CaseService"), 2);
  v1::GetProjectionStatusResponse status = ProjectionStatus(*clocks);
  EXPECT_NE(status.log_write_problem().find("read-only"), std::string::npos)
      << status.log_write_problem();
  // The clock index serves what it holds. When the kill came before it had
  // read the last appends, it cannot write them on the full disk: it says
  // so (NOT_SERVING, with its problem) until there is room.
  if (status.lag() == 0) {
    EXPECT_EQ(HealthOf(ehcpd.channel(), "ehcp.v1.ClockService"), 1);
  } else {
    const absl::Time give_up = absl::Now() + absl::Seconds(10);
    while (HealthOf(ehcpd.channel(), "ehcp.v1.ClockService") != 2 &&
           absl::Now() < give_up) {
      absl::SleepFor(absl::Milliseconds(50));
    }
    EXPECT_EQ(HealthOf(ehcpd.channel(), "ehcp.v1.ClockService"), 2);
    status = ProjectionStatus(*clocks);
    EXPECT_FALSE(status.healthy());
    EXPECT_FALSE(status.problem().empty());
  }

  ASSERT_TRUE(disk.Grow(512));
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (HealthOf(ehcpd.channel(), "ehcp.v1.CaseService") != 1 &&
         absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_EQ(HealthOf(ehcpd.channel(), "ehcp.v1.CaseService"), 1)
      << "not writable again: "
      << ProjectionStatus(*clocks).log_write_problem();
  EXPECT_EQ(ProjectionStatus(*clocks).log_write_problem(), "");
  for (int i = 0; i < 3; ++i) {
    grpc::ClientContext context;
    v1::AppendEventsResponse response;
    ASSERT_TRUE(
        stub->AppendEvents(&context,
                           AppendRequest(id, {AskAdvice("2024-02-12",
                                                        absl::StrCat("W", i))}),
                           &response)
            .ok());
    acknowledged += 1;
  }
  const std::vector<v1::Event> events = ReadCase(*stub, id);
  ASSERT_EQ(events.size(), acknowledged);
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].case_version(), static_cast<int64_t>(i + 1));
  }
  status = ProjectionStatus(*clocks);
  const absl::Time caught_up = absl::Now() + absl::Seconds(20);
  while (status.lag() != 0 && absl::Now() < caught_up) {
    absl::SleepFor(absl::Milliseconds(100));
    status = ProjectionStatus(*clocks);
  }
  EXPECT_EQ(status.lag(), 0);
  EXPECT_TRUE(status.healthy()) << status.problem();
  grpc::ClientContext verify_context;
  auto reader = stub->VerifyLog(&verify_context, v1::VerifyLogRequest());
  v1::VerifyLogResponse verdict;
  while (reader->Read(&verdict)) {
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_TRUE(verdict.done() && verdict.intact()) << verdict.problem();
}

// Reads `fd` until a full line holding `needle` has arrived (at most 20 s),
// appending what it read to *text; returns that line, or "".
std::string ReadUntilLineWith(int fd, const std::string& needle,
                              std::string* text) {
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  char buffer[512];
  while (absl::Now() < give_up) {
    size_t start = 0;
    for (size_t end; (end = text->find('\n', start)) != std::string::npos;
         start = end + 1) {
      const std::string line = text->substr(start, end - start);
      if (line.find(needle) != std::string::npos) return line;
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n <= 0) break;
    text->append(buffer, static_cast<size_t>(n));
  }
  return "";
}

// ehcpd's stderr is its operator's log: one JSON object per line, from the
// start-up configuration (whose listen address a script can read) to the
// stop; a refused call is a call_refused line with its method, code, rule
// and the client's request id, and neither the case reference nor the
// birth month the client sent appears anywhere.
TEST(ProcessTest, StderrIsAJsonLogOfTheStartAndOfRefusalsWithoutPersonalData) {
  TempDir dir;
  int stderr_fd = -1;
  pid_t pid = SpawnEhcpd(dir.path(), STDERR_FILENO, &stderr_fd);
  std::string said;
  const std::string started =
      ReadUntilLineWith(stderr_fd, "server_started", &said);
  ASSERT_FALSE(started.empty()) << said;
  google::protobuf::Struct start;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(started, &start).ok())
      << started;
  const std::string listen = start.fields().at("listen").string_value();
  EXPECT_EQ(start.fields().at("data_dir").string_value(), dir.path());
  EXPECT_TRUE(start.fields().at("sync").bool_value());
  EXPECT_EQ(start.fields().at("workers").number_value(), 4);

  auto stub = v1::CaseService::NewStub(
      grpc::CreateChannel(listen, grpc::InsecureChannelCredentials()));
  grpc::ClientContext open_context;
  v1::OpenCaseRequest open;
  open.set_la_code("E10000016");
  open.set_case_reference("DOE-JOHN-0099");
  open.set_birth_month("2012-09");
  open.set_opened_on("2024-01-02");
  v1::OpenCaseResponse opened;
  ASSERT_TRUE(stub->OpenCase(&open_context, open, &opened).ok());
  grpc::ClientContext context;
  context.AddMetadata("x-request-id", "proc-req-1");
  v1::AppendEventsResponse response;
  const grpc::Status refused = stub->AppendEvents(
      &context,
      AppendRequest(
          opened.case_id(),
          {Request("2024-01-08"), Cease("2024-01-09"), Final("2024-05-31")}),
      &response);
  ASSERT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << refused.error_message();
  const std::string rule =
      refused.error_message().substr(5, refused.error_message().find(':') - 5);

  const std::string line = ReadUntilLineWith(stderr_fd, "proc-req-1", &said);
  ASSERT_FALSE(line.empty()) << said;
  google::protobuf::Struct call;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &call).ok())
      << line;
  EXPECT_EQ(call.fields().at("event").string_value(), "call_refused") << line;
  EXPECT_EQ(call.fields().at("method").string_value(),
            "ehcp.v1.CaseService/AppendEvents")
      << line;
  EXPECT_EQ(call.fields().at("code").string_value(), "FAILED_PRECONDITION");
  EXPECT_EQ(call.fields().at("rule").string_value(), rule) << line;
  EXPECT_FALSE(rule.empty()) << refused.error_message();
  EXPECT_EQ(call.fields().at("request_id").string_value(), "proc-req-1");
  EXPECT_TRUE(call.fields().at("latency_ms").has_number_value()) << line;

  stub.reset();
  kill(pid, SIGTERM);
  ReadUntilLineWith(stderr_fd, "\"stopped\"", &said);
  int status = 0;
  waitpid(pid, &status, 0);
  close(stderr_fd);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << said;
  size_t start_of_line = 0;
  for (size_t end; (end = said.find('\n', start_of_line)) != std::string::npos;
       start_of_line = end + 1) {
    const std::string each = said.substr(start_of_line, end - start_of_line);
    google::protobuf::Struct object;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(each, &object).ok())
        << "not a JSON object: " << each;
  }
  EXPECT_EQ(said.find("DOE-JOHN"), std::string::npos) << said;
  EXPECT_EQ(said.find("2012-09"), std::string::npos) << said;
}

// Children's records: the data directory and everything ehcpd writes in
// it, before and during its run, are its user's alone (0700 / 0600), also
// when the directory existed with looser modes.
TEST(ProcessTest, TheDataDirectoryIsPrivateToEhcpdsUser) {
  namespace fs = std::filesystem;
  TempDir dir;
  const std::string data = dir.path() + "/data";
  fs::create_directories(data + "/old");
  fs::permissions(data, fs::perms(0755));
  fs::permissions(data + "/old", fs::perms(0755));
  std::ofstream(data + "/old/notes.txt") << "left by someone\n";
  fs::permissions(data + "/old/notes.txt", fs::perms(0644));
  {
    EhcpdProcess ehcpd(data);
    {
      auto stub = v1::CaseService::NewStub(ehcpd.channel());
      OpenAndAssess(*stub, "PRIVATE-1");
    }
    ehcpd.DropChannel();
    ASSERT_NE(ehcpd.SignalAndWait(SIGTERM, absl::Seconds(20)), -1);
  }
  int files = 0;
  EXPECT_EQ(fs::status(data).permissions() & fs::perms::mask, fs::perms(0700));
  for (const fs::directory_entry& entry :
       fs::recursive_directory_iterator(data)) {
    const fs::perms mode =
        entry.symlink_status().permissions() & fs::perms::mask;
    if (entry.is_directory()) {
      EXPECT_EQ(mode, fs::perms(0700)) << entry.path();
    } else if (entry.is_regular_file()) {
      EXPECT_EQ(mode, fs::perms(0600)) << entry.path();
      ++files;
    }
  }
  EXPECT_GT(files, 5) << "the walk saw too few of ehcpd's files";
}

// --- Alerts across kill -9 ---------------------------------------------

// The day `days` after `from`, as "YYYY-MM-DD".
std::string DayAfter(absl::CivilDay from, int days) {
  return absl::FormatCivilTime(from + days);
}

// An event of a journey, to be recorded once its day has come.
struct PlannedEvent {
  absl::CivilDay on;
  int case_index;
  v1::ProposedEvent event;
};

constexpr int kAlertCases = 24;

// The journeys of 24 Kent cases starting a week apart from 2024-01-08:
// some on time through a final plan (then an annual review falls due),
// some stopped at the request, some decided late, some finalised late. By
// date (a case's events in journey order).
std::vector<PlannedEvent> AlertJourneys() {
  std::vector<PlannedEvent> plan;
  for (int i = 0; i < kAlertCases; ++i) {
    const absl::CivilDay start = absl::CivilDay(2024, 1, 8) + 7 * i;
    auto add = [&](int day, v1::ProposedEvent (*make)(const std::string&)) {
      plan.push_back({start + day, i, make(DayAfter(start, day))});
    };
    add(0, Request);
    switch (i % 4) {
      case 0:  // on time throughout
        add(30, DecideToAssess);
        add(100, Draft);
        add(130, Final);
        break;
      case 1:  // nothing after the request
        break;
      case 2:  // decided late, then nothing
        add(50, DecideToAssess);
        break;
      case 3:  // decided on time, finalised late
        add(35, DecideToAssess);
        add(150, Draft);
        add(175, Final);
        break;
    }
  }
  std::stable_sort(
      plan.begin(), plan.end(),
      [](const PlannedEvent& a, const PlannedEvent& b) { return a.on < b.on; });
  return plan;
}

// Opens the cases of AlertJourneys; their ids by index.
std::vector<std::string> OpenAlertCases(v1::CaseService::Stub& stub) {
  std::vector<std::string> ids;
  for (int i = 0; i < kAlertCases; ++i) {
    grpc::ClientContext context;
    v1::OpenCaseRequest open;
    open.set_la_code("E10000016");
    open.set_case_reference(absl::StrCat("ALERT-", i));
    open.set_opened_on("2024-01-02");
    v1::OpenCaseResponse opened;
    grpc::Status status = stub.OpenCase(&context, open, &opened);
    EXPECT_TRUE(status.ok()) << status.error_message();
    ids.push_back(opened.case_id());
  }
  return ids;
}

// Waits (up to 60 s) until the scheduler has raised the alerts of `day`
// with the whole log read.
void Settle(v1::AlertService::Stub& alerts, const std::string& day) {
  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  for (;;) {
    grpc::ClientContext context;
    v1::GetAlertStatusResponse status;
    ASSERT_TRUE(
        alerts.GetAlertStatus(&context, v1::GetAlertStatusRequest(), &status)
            .ok());
    if (status.day() == day && status.checkpoint() == status.head()) return;
    ASSERT_LT(absl::Now(), give_up)
        << "the scheduler did not reach " << day << ": day " << status.day()
        << ", checkpoint " << status.checkpoint() << " of " << status.head()
        << " " << status.error();
    absl::SleepFor(absl::Milliseconds(10));
  }
}

void SetToday(v1::AdminService::Stub& admin, absl::CivilDay day) {
  grpc::ClientContext context;
  v1::SetTodayRequest request;
  request.set_today(absl::FormatCivilTime(day));
  v1::SetTodayResponse response;
  grpc::Status status = admin.SetToday(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
}

// A server walking the journeys through simulated days.
struct AlertWalk {
  explicit AlertWalk(EhcpdProcess& ehcpd)
      : cases(v1::CaseService::NewStub(ehcpd.channel())),
        alerts(v1::AlertService::NewStub(ehcpd.channel())),
        admin(v1::AdminService::NewStub(ehcpd.channel())) {}

  // Moves today to `day`, lets the scheduler raise the days up to it, then
  // records the events whose day has come, one call each, and lets the
  // scheduler raise what they change: the same steps give the same alerts.
  void Step(absl::CivilDay day) {
    const std::string date = absl::FormatCivilTime(day);
    ASSERT_NO_FATAL_FAILURE(SetToday(*admin, day));
    ASSERT_NO_FATAL_FAILURE(Settle(*alerts, date));
    for (; next < plan.size() && plan[next].on <= day; ++next) {
      grpc::ClientContext context;
      v1::AppendEventsResponse response;
      grpc::Status status = cases->AppendEvents(
          &context,
          AppendRequest(ids[plan[next].case_index], {plan[next].event}),
          &response);
      ASSERT_TRUE(status.ok()) << status.error_message();
    }
    ASSERT_NO_FATAL_FAILURE(Settle(*alerts, date));
  }

  std::unique_ptr<v1::CaseService::Stub> cases;
  std::unique_ptr<v1::AlertService::Stub> alerts;
  std::unique_ptr<v1::AdminService::Stub> admin;
  std::vector<PlannedEvent> plan = AlertJourneys();
  std::vector<std::string> ids;  // by case index
  size_t next = 0;               // the first event of `plan` not recorded
};

// Every alert of the log, by ListAlerts pages.
std::vector<v1::Alert> AllAlerts(v1::AlertService::Stub& alerts) {
  std::vector<v1::Alert> all;
  v1::ListAlertsRequest request;
  request.set_from_sequence(1);
  request.set_page_size(1000);
  for (;;) {
    grpc::ClientContext context;
    v1::ListAlertsResponse page;
    grpc::Status status = alerts.ListAlerts(&context, request, &page);
    EXPECT_TRUE(status.ok()) << status.error_message();
    if (!status.ok()) return all;
    all.insert(all.end(), page.alerts().begin(), page.alerts().end());
    if (page.next_sequence() > page.last_sequence()) return all;
    request.set_from_sequence(page.next_sequence());
  }
}

// An alert without what depends on the run (sequence, case id, position):
// what it announced, of which case (by reference), on which day.
std::string AlertKey(const v1::Alert& a) {
  return absl::StrCat(a.day(), " ", v1::AlertKind_Name(a.kind()), " ",
                      a.case_reference(), " ", a.clock_id(), "#", a.instance(),
                      " due ", a.due(), " late ", a.days_late(), " left ",
                      a.days_remaining());
}

// A simulated 18 months walked a fortnight at a time, each journey's
// events recorded as their days come, with ehcpd killed -9 halfway just
// after it was told to move on a fortnight (while its scheduler may be
// working through those days): after the restart the alert log goes on
// with no gap and no repeat, each (case, clock, instance, kind) announced
// at most once, what was served before the kill unchanged, and it holds
// exactly what a server never killed raised over the same steps.
TEST(ProcessTest, KillNineHalfwayThroughASimulatedYearLosesAndRepeatsNoAlert) {
  const absl::CivilDay first(2024, 1, 2), last(2025, 6, 30);
  const absl::CivilDay halfway = first + (last - first) / 2;
  auto next_step = [&](absl::CivilDay day) { return std::min(day + 14, last); };
  std::vector<std::string> expected;
  {
    TempDir dir;
    EhcpdProcess ehcpd(dir.path(), {"--today=2024-01-02"});
    AlertWalk walk(ehcpd);
    walk.ids = OpenAlertCases(*walk.cases);
    for (absl::CivilDay day = first;; day = next_step(day)) {
      ASSERT_NO_FATAL_FAILURE(walk.Step(day));
      if (day == last) break;
    }
    for (const v1::Alert& a : AllAlerts(*walk.alerts)) {
      expected.push_back(AlertKey(a));
    }
    ehcpd.DropChannel();
  }
  ASSERT_GT(expected.size(), 40u) << "the journeys raise too few alerts";

  TempDir dir;
  absl::CivilDay day = first;
  std::vector<v1::Alert> before_kill;
  std::vector<std::string> ids;
  size_t next_event = 0;
  {
    EhcpdProcess ehcpd(dir.path(), {"--today=2024-01-02"});
    AlertWalk walk(ehcpd);
    walk.ids = ids = OpenAlertCases(*walk.cases);
    for (; day < halfway; day = next_step(day)) {
      ASSERT_NO_FATAL_FAILURE(walk.Step(day));
    }
    before_kill = AllAlerts(*walk.alerts);
    next_event = walk.next;
    ASSERT_NO_FATAL_FAILURE(SetToday(*walk.admin, day));
    ASSERT_NE(ehcpd.SignalAndWait(SIGKILL, absl::Seconds(10)), -1);
  }
  ASSERT_FALSE(before_kill.empty());
  EhcpdProcess ehcpd(dir.path(),
                     {absl::StrCat("--today=", absl::FormatCivilTime(day))});
  AlertWalk walk(ehcpd);
  walk.ids = ids;
  walk.next = next_event;
  for (;; day = next_step(day)) {
    ASSERT_NO_FATAL_FAILURE(walk.Step(day));
    if (day == last) break;
  }

  const std::vector<v1::Alert> after = AllAlerts(*walk.alerts);
  std::set<std::string> announced;
  std::vector<std::string> got;
  for (size_t i = 0; i < after.size(); ++i) {
    const v1::Alert& a = after[i];
    ASSERT_EQ(a.sequence(), i + 1) << "a gap or a repeat in the sequence";
    if (i > 0) {
      EXPECT_LE(after[i - 1].day(), a.day()) << "alert #" << a.sequence();
    }
    EXPECT_TRUE(announced
                    .insert(absl::StrCat(a.case_id(), " ", a.clock_id(), "#",
                                         a.instance(), " ",
                                         v1::AlertKind_Name(a.kind())))
                    .second)
        << "announced twice: " << AlertKey(a);
    got.push_back(AlertKey(a));
  }
  ASSERT_LE(before_kill.size(), after.size());
  for (size_t i = 0; i < before_kill.size(); ++i) {
    EXPECT_EQ(before_kill[i].SerializeAsString(), after[i].SerializeAsString())
        << "alert #" << i + 1 << " changed across the kill";
  }
  EXPECT_EQ(std::multiset<std::string>(got.begin(), got.end()),
            std::multiset<std::string>(expected.begin(), expected.end()));
  walk.cases.reset();
  walk.alerts.reset();
  walk.admin.reset();
  ehcpd.DropChannel();
}

}  // namespace
}  // namespace ehcp::testing
