// Child processes, /proc readings and interruption cleanup for
// compare_bench (see compare_procs.h).
#include "bench/compare_procs.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace ehcp::bench {
namespace {

std::string ErrnoText(int error) {
  return std::generic_category().message(error);
}

// The fields of /proc/PID/stat after the command name, which may hold
// spaces and parentheses: field 3 (state) is element 0.
std::optional<std::vector<std::string>> StatFields(pid_t pid) {
  std::ifstream file(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  if (!std::getline(file, line)) return std::nullopt;
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::vector<std::string> fields =
      absl::StrSplit(absl::string_view(line).substr(close + 1), ' ',
                     absl::SkipEmpty());
  if (fields.size() < 15) return std::nullopt;
  return fields;
}

double Ticks(const std::string& field) {
  static const double ticks_per_second =
      static_cast<double>(sysconf(_SC_CLK_TCK));
  uint64_t ticks = 0;
  if (!absl::SimpleAtoi(field, &ticks)) return 0;
  return static_cast<double>(ticks) / ticks_per_second;
}

// Fields (counted from 1 as in proc(5)): ppid 4, utime 14, stime 15,
// cutime 16, cstime 17. StatFields starts at field 3.
constexpr int kPpid = 4 - 3;
constexpr int kUtime = 14 - 3;
constexpr int kStime = 15 - 3;
constexpr int kCutime = 16 - 3;
constexpr int kCstime = 17 - 3;

// Live processes whose parent is `parent`.
std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> children;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return children;
  const std::string parent_text = absl::StrCat(parent);
  while (dirent* entry = readdir(proc)) {
    pid_t pid = 0;
    if (!absl::SimpleAtoi(entry->d_name, &pid) || pid == parent) continue;
    std::optional<std::vector<std::string>> fields = StatFields(pid);
    if (fields && (*fields)[kPpid] == parent_text) children.push_back(pid);
  }
  closedir(proc);
  return children;
}

// A value in kB from a "Name:   123 kB" line of a /proc status-like file.
std::optional<double> KbField(const std::string& path,
                              absl::string_view name) {
  std::ifstream file(path);
  std::string line;
  while (std::getline(file, line)) {
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, name) || !absl::ConsumePrefix(&rest, ":")) {
      continue;
    }
    rest = absl::StripAsciiWhitespace(rest);
    absl::ConsumeSuffix(&rest, " kB");
    double kb = 0;
    if (absl::SimpleAtod(rest, &kb)) return kb;
  }
  return std::nullopt;
}

struct Cleanups {
  std::mutex mu;
  int next_id = 0;
  std::map<int, std::function<void()>> by_id;  // newest last
};

Cleanups& GlobalCleanups() {
  static Cleanups* cleanups = new Cleanups;
  return *cleanups;
}

}  // namespace

absl::StatusOr<RunAs> LookUpUser(const std::string& name) {
  passwd* entry = getpwnam(name.c_str());
  if (entry == nullptr) {
    return absl::NotFoundError(absl::StrCat("no user \"", name, "\""));
  }
  RunAs run_as;
  run_as.switch_user = true;
  run_as.uid = entry->pw_uid;
  run_as.gid = entry->pw_gid;
  run_as.name = name;
  return run_as;
}

absl::StatusOr<pid_t> Spawn(const SpawnOptions& options) {
  if (options.argv.empty()) return absl::InvalidArgumentError("empty argv");
  // Everything the child needs is prepared before fork: after it, only
  // async-signal-safe calls until exec.
  std::vector<char*> argv;
  for (const std::string& arg : options.argv) {
    argv.push_back(const_cast<char*>(arg.c_str()));
  }
  argv.push_back(nullptr);
  int err_fd = -1;
  if (!options.stderr_path.empty()) {
    err_fd = open(options.stderr_path.c_str(),
                  O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (err_fd < 0) {
      const int error = errno;
      return absl::UnavailableError(absl::StrCat(
          "open ", options.stderr_path, ": ", ErrnoText(error)));
    }
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    const int error = errno;
    if (err_fd >= 0) close(err_fd);
    return absl::UnavailableError(
        absl::StrCat("fork for ", options.argv[0], ": ", ErrnoText(error)));
  }
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (options.die_with_parent) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
    }
    const int null_fd = open("/dev/null", O_RDWR);
    dup2(null_fd, STDIN_FILENO);
    dup2(options.stdout_fd >= 0
             ? options.stdout_fd
             : (options.stdout_to_stderr_path && err_fd >= 0 ? err_fd
                                                             : null_fd),
         STDOUT_FILENO);
    dup2(err_fd >= 0 ? err_fd : null_fd, STDERR_FILENO);
    if (!options.cwd.empty() && chdir(options.cwd.c_str()) != 0) _exit(126);
    if (options.run_as.switch_user) {
      if (setgroups(0, nullptr) != 0 || setgid(options.run_as.gid) != 0 ||
          setuid(options.run_as.uid) != 0) {
        _exit(125);
      }
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  if (err_fd >= 0) close(err_fd);
  return pid;
}

std::optional<int> WaitFor(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) return status;
    if (done < 0 && errno != EINTR) return 0;  // Not our child (any more).
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

int Terminate(pid_t pid, std::chrono::milliseconds grace, bool* killed) {
  *killed = false;
  kill(pid, SIGTERM);
  if (std::optional<int> status = WaitFor(pid, grace)) return *status;
  *killed = true;
  kill(pid, SIGKILL);
  return WaitFor(pid, std::chrono::seconds(30)).value_or(0);
}

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) {
    return absl::StrCat("exited with status ", WEXITSTATUS(status));
  }
  if (WIFSIGNALED(status)) {
    return absl::StrCat("killed by signal ", WTERMSIG(status), " (",
                        strsignal(WTERMSIG(status)), ")");
  }
  return absl::StrCat("wait status ", status);
}

absl::StatusOr<std::string> RunCommand(const std::vector<std::string>& argv,
                                       const RunAs& run_as,
                                       const std::string& cwd,
                                       const std::string& log_path,
                                       std::chrono::seconds timeout) {
  // A file rather than a pipe: a daemon the command starts (pg_ctl start)
  // may keep inherited descriptors open long after the command exits.
  const int truncate = open(log_path.c_str(),
                            O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (truncate >= 0) close(truncate);
  SpawnOptions options;
  options.argv = argv;
  options.run_as = run_as;
  options.cwd = cwd;
  options.stderr_path = log_path;
  options.stdout_to_stderr_path = true;
  absl::StatusOr<pid_t> pid = Spawn(options);
  if (!pid.ok()) return pid.status();
  std::optional<int> status = WaitFor(*pid, timeout);
  std::string output = FileTail(log_path, 4000);
  if (!status) {
    kill(*pid, SIGKILL);
    WaitFor(*pid, std::chrono::seconds(10));
    return absl::DeadlineExceededError(
        absl::StrCat(argv[0], " did not finish within ", timeout.count(),
                     " s; output: ", output));
  }
  if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    std::string why = DescribeWaitStatus(*status);
    if (WIFEXITED(*status) && WEXITSTATUS(*status) >= 125) {
      why += " (125: cannot switch user, 126: cannot enter " + cwd +
             ", 127: cannot execute)";
    }
    return absl::InternalError(
        absl::StrCat(absl::StrJoin(argv, " "), ": ", why, "; output: ",
                     output.empty() ? "(none)" : output));
  }
  return output;
}

absl::StatusOr<int> FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    const int error = errno;
    return absl::UnavailableError(absl::StrCat("socket: ", ErrnoText(error)));
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const int error = errno;
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("bind 127.0.0.1:0: ", ErrnoText(error)));
  }
  close(fd);
  return ntohs(address.sin_port);
}

std::optional<double> ProcessCpuSeconds(pid_t pid) {
  std::optional<std::vector<std::string>> fields = StatFields(pid);
  if (!fields) return std::nullopt;
  return Ticks((*fields)[kUtime]) + Ticks((*fields)[kStime]);
}

std::optional<double> TreeCpuSeconds(pid_t root) {
  std::optional<std::vector<std::string>> fields = StatFields(root);
  if (!fields) return std::nullopt;
  double seconds = Ticks((*fields)[kUtime]) + Ticks((*fields)[kStime]) +
                   Ticks((*fields)[kCutime]) + Ticks((*fields)[kCstime]);
  for (pid_t child : ChildrenOf(root)) {
    seconds += ProcessCpuSeconds(child).value_or(0);
  }
  return seconds;
}

std::optional<double> RssMb(pid_t pid) {
  std::optional<double> kb =
      KbField(absl::StrCat("/proc/", pid, "/status"), "VmRSS");
  if (!kb) return std::nullopt;
  return *kb / 1024;
}

std::optional<double> TreePssMb(pid_t root) {
  std::optional<double> kb =
      KbField(absl::StrCat("/proc/", root, "/smaps_rollup"), "Pss");
  if (!kb) return std::nullopt;
  double total = *kb;
  for (pid_t child : ChildrenOf(root)) {
    total +=
        KbField(absl::StrCat("/proc/", child, "/smaps_rollup"), "Pss")
            .value_or(0);
  }
  return total / 1024;
}

std::string FileTail(const std::string& path, size_t max_bytes) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return "";
  std::stringstream buffer;
  buffer << file.rdbuf();
  std::string text = buffer.str();
  if (text.size() > max_bytes) text = "..." + text.substr(text.size() - max_bytes);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

void InstallInterruptCleanup() {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  std::thread([stop] {
    int signal_number = 0;
    sigwait(&stop, &signal_number);
    std::fprintf(stderr,
                 "\ncompare_bench: %s received: stopping servers and removing "
                 "temporary directories\n",
                 signal_number == SIGINT ? "SIGINT" : "SIGTERM");
    Cleanups& cleanups = GlobalCleanups();
    std::lock_guard<std::mutex> lock(cleanups.mu);
    for (auto it = cleanups.by_id.rbegin(); it != cleanups.by_id.rend(); ++it) {
      it->second();
    }
    std::fflush(stdout);
    _exit(130);
  }).detach();
}

int AddCleanup(std::function<void()> cleanup) {
  Cleanups& cleanups = GlobalCleanups();
  std::lock_guard<std::mutex> lock(cleanups.mu);
  const int id = cleanups.next_id++;
  cleanups.by_id.emplace(id, std::move(cleanup));
  return id;
}

void RemoveCleanup(int id) {
  Cleanups& cleanups = GlobalCleanups();
  std::lock_guard<std::mutex> lock(cleanups.mu);
  cleanups.by_id.erase(id);
}

}  // namespace ehcp::bench
