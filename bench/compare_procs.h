// Child processes for compare_bench: starting and stopping the servers it
// measures (ehcpd, PostgreSQL), reading their CPU time and memory from
// /proc, and cleaning up after an interruption.
//
// The servers are separate processes, so their CPU time is read from
// /proc/PID/stat (user + system, all threads) rather than from getrusage.
// PostgreSQL is a tree of processes; TreeCpuSeconds sums the postmaster and
// its children (see there).
//
// Interruptions: InstallInterruptCleanup blocks SIGINT and SIGTERM in every
// thread and waits for them on a thread of its own, which runs the cleanups
// registered with AddCleanup (newest first: stop servers, then remove
// directories) and exits 130. Call it before any other thread starts.
#ifndef EHCP_BENCH_COMPARE_PROCS_H_
#define EHCP_BENCH_COMPARE_PROCS_H_

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ehcp::bench {

// Whom a child runs as: unchanged, or another user (e.g. "postgres" when
// this process is root, since initdb refuses to run as root).
struct RunAs {
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string name;
};

// The user `name`, for RunAs; NOT_FOUND naming it when it does not exist.
absl::StatusOr<RunAs> LookUpUser(const std::string& name);

// How to start a child.
struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is the path of the program.
  RunAs run_as;
  std::string cwd;          // "" keeps the current directory.
  int stdout_fd = -1;       // -1: /dev/null.
  std::string stderr_path;  // "" : /dev/null; else appended to.
  bool stdout_to_stderr_path = false;  // stdout into stderr_path as well.
  bool die_with_parent = false;        // PR_SET_PDEATHSIG SIGKILL.
};

// Forks and execs; the child starts with no blocked signals. The pid, or
// an error naming the program.
absl::StatusOr<pid_t> Spawn(const SpawnOptions& options);

// Runs argv to completion with stdout and stderr into `log_path` and
// returns that output; an error naming the program, its exit status and
// its output when it fails or runs longer than `timeout` (then killed).
absl::StatusOr<std::string> RunCommand(const std::vector<std::string>& argv,
                                       const RunAs& run_as,
                                       const std::string& cwd,
                                       const std::string& log_path,
                                       std::chrono::seconds timeout);

// Waits for `pid` for at most `timeout`: its wait status (0 when it is not,
// or no longer, a child of this process), or nullopt if it still runs.
std::optional<int> WaitFor(pid_t pid, std::chrono::milliseconds timeout);

// Sends SIGTERM, waits up to `grace`, then SIGKILL and waits. Returns the
// wait status; sets *killed when SIGKILL was needed.
int Terminate(pid_t pid, std::chrono::milliseconds grace, bool* killed);

// "exited with status 3", "killed by signal 9".
std::string DescribeWaitStatus(int status);

// A TCP port on 127.0.0.1 free when asked (bound to port 0, then closed).
absl::StatusOr<int> FreeLoopbackPort();

// CPU seconds (user + system, all threads) of one process; nullopt when it
// cannot be read (process gone).
std::optional<double> ProcessCpuSeconds(pid_t pid);

// CPU seconds of a process tree as a counter that only grows: the root's
// own time plus the time its reaped children left in it (cutime + cstime),
// plus the time of its live children (found by their ppid in /proc/*/stat).
// A child that exits between two readings moves from the third term to the
// second, so differences between readings count each child's CPU inside
// the interval once.
std::optional<double> TreeCpuSeconds(pid_t root);

// VmRSS of a process in MB (2^20 bytes); nullopt if unreadable.
std::optional<double> RssMb(pid_t pid);

// Proportional set size (shared pages split between their users) of a
// process and its live children, in MB; nullopt if the root is unreadable.
std::optional<double> TreePssMb(pid_t root);

// The last `max_bytes` of a file, for error messages ("" if unreadable).
std::string FileTail(const std::string& path, size_t max_bytes = 2000);

// See the file comment.
void InstallInterruptCleanup();
// Registers a cleanup to run on interruption; returns its id.
int AddCleanup(std::function<void()> cleanup);
// Unregisters it (the owner cleaned up itself).
void RemoveCleanup(int id);

}  // namespace ehcp::bench

#endif  // EHCP_BENCH_COMPARE_PROCS_H_
