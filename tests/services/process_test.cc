// The ehcpd binary as operators run it: signals, restarts, kill -9.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/services/journey_builder.h"

extern char** environ;

namespace ehcp::testing {
namespace {

// A running ehcpd child process on a free port.
class EhcpdProcess {
 public:
  explicit EhcpdProcess(const std::string& data_dir) {
    int out[2];
    EXPECT_EQ(pipe(out), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    std::string data_flag = "--data_dir=" + data_dir;
    std::vector<char*> argv = {const_cast<char*>(EHCPD_PATH),
                               data_flag.data(),
                               const_cast<char*>("--listen=127.0.0.1:0"),
                               nullptr};
    EXPECT_EQ(posix_spawn(&pid_, EHCPD_PATH, &actions, nullptr, argv.data(),
                          environ),
              0);
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    stdout_ = out[0];
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
          context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
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
  for (const auto& [id, events] : acknowledged) total_acknowledged += events.size();
  ASSERT_GT(total_acknowledged, 0u) << "no append was acknowledged before the kill";

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

}  // namespace
}  // namespace ehcp::testing
