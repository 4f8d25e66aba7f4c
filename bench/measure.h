// The measurement harness of append_bench: a warm-up, then a fixed window,
// and the figures of the operations that complete inside the window.
//
// A measurement runs workers that repeat one operation until told to stop.
// Each worker keeps its own Tally; an operation counts when it *ends* while
// the window is open, so throughput is completions per second of window and
// the latencies are those of the same operations.
//
//   Window window(timing);
//   ... start workers that loop until window.phase() == Phase::kStop,
//       timing each operation and calling tally.Record(window.phase(), ...)
//   Window::Span span = window.Run(/*opened=*/{}, /*closed=*/{});
//   ... join the workers ...
//   Figures figures = Summarize(tallies, span);
//
// Thread safety: Window::phase() may be read from any thread; a Tally
// belongs to one worker at a time (hand it over with a happens-before, e.g.
// a join or a mutex).
#ifndef EHCP_BENCH_MEASURE_H_
#define EHCP_BENCH_MEASURE_H_

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ehcp::bench {

using Clock = std::chrono::steady_clock;

struct Timing {
  std::chrono::milliseconds warm_up{500};
  std::chrono::milliseconds window{2000};
};

enum class Phase { kWarmUp, kMeasure, kStop };

// Drives the phases of one measurement.
class Window {
 public:
  explicit Window(Timing timing) : timing_(timing) {}

  Phase phase() const { return phase_.load(std::memory_order_acquire); }

  // What Run measured: wall-clock seconds of the window, the CPU seconds
  // (user + system, all threads of the process) spent during it, and the
  // CPU seconds spent by the whole machine (every process; from
  // /proc/stat, 0 if unreadable).
  struct Span {
    double seconds = 0;
    double cpu_seconds = 0;
    double machine_cpu_seconds = 0;
  };

  // Sleeps through the warm-up, calls `opened` (if set) and opens the
  // window, sleeps through it, sets kStop and calls `closed` (if set).
  // Called once, from the thread that owns the measurement.
  Span Run(const std::function<void()>& opened,
           const std::function<void()>& closed);

 private:
  const Timing timing_;
  std::atomic<Phase> phase_{Phase::kWarmUp};
};

// One worker's counts and latencies.
class Tally {
 public:
  // Counts an operation of `events` events that ran from `start` to `end`
  // if `phase_at_end` is kMeasure; otherwise ignores it.
  void Record(Phase phase_at_end, Clock::time_point start,
              Clock::time_point end, int events);
  // Counts a failed operation (in any phase), keeping the first message.
  void Fail(std::string message);

  uint64_t ops() const { return ops_; }
  uint64_t events() const { return events_; }
  uint64_t errors() const { return errors_; }
  const std::string& first_error() const { return first_error_; }
  const std::vector<uint32_t>& latencies_micros() const { return latencies_; }

 private:
  uint64_t ops_ = 0;
  uint64_t events_ = 0;
  uint64_t errors_ = 0;
  std::string first_error_;
  std::vector<uint32_t> latencies_;
};

// The figures of one measurement, summed over its workers.
struct Figures {
  double seconds = 0;
  double cpu_seconds = 0;
  double machine_cpu_seconds = 0;
  uint64_t ops = 0;
  uint64_t events = 0;
  uint64_t errors = 0;
  std::string first_error;
  double p50_micros = 0;
  double p99_micros = 0;
  double p999_micros = 0;
  double max_micros = 0;

  double OpsPerSecond() const { return seconds > 0 ? ops / seconds : 0; }
  double EventsPerSecond() const { return seconds > 0 ? events / seconds : 0; }
  // Process CPU (every thread: clients, server, RocksDB) per operation.
  double CpuMicrosPerOp() const {
    return ops > 0 ? cpu_seconds * 1e6 / ops : 0;
  }
  // Cores kept busy by other processes during the window, on average: how
  // much the machine was shared while measuring.
  double OtherCores() const {
    if (seconds <= 0 || machine_cpu_seconds <= 0) return 0;
    return std::max(0.0, (machine_cpu_seconds - cpu_seconds) / seconds);
  }
};

Figures Summarize(const std::vector<Tally>& tallies, const Window::Span& span);

// One operation of a threaded measurement, on worker `thread`: the number
// of events it wrote, or an error (the worker then stops).
using ThreadOp = std::function<absl::StatusOr<int>(int thread)>;

// Runs `threads` workers, each repeating op(thread) back to back through
// the warm-up and the window, and returns the figures of the window.
// `opened` and `closed` as for Window::Run.
Figures RunThreads(int threads, Timing timing, const ThreadOp& op,
                   const std::function<void()>& opened = {},
                   const std::function<void()>& closed = {});

}  // namespace ehcp::bench

#endif  // EHCP_BENCH_MEASURE_H_
