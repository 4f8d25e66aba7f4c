#include "bench/measure.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <thread>
#include <utility>

namespace ehcp::bench {
namespace {

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// CPU seconds spent by every process since boot: the busy time of the
// "cpu" line of /proc/stat; 0 if unreadable.
double MachineCpuSeconds() {
  std::ifstream stat("/proc/stat");
  std::string label;
  uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0,
           softirq = 0;
  if (!(stat >> label >> user >> nice >> system >> idle >> iowait >> irq >>
        softirq) ||
      label != "cpu") {
    return 0;
  }
  static const long ticks_per_second = sysconf(_SC_CLK_TCK);
  return static_cast<double>(user + nice + system + irq + softirq) /
         ticks_per_second;
}

// The q-quantile (0 < q < 1) of `values` by nearest rank; 0 if empty.
double Quantile(std::vector<uint32_t>& values, double q) {
  if (values.empty()) return 0;
  const size_t rank =
      std::min(values.size() - 1, static_cast<size_t>(q * values.size()));
  std::nth_element(values.begin(), values.begin() + rank, values.end());
  return values[rank];
}

}  // namespace

Window::Span Window::Run(const std::function<void()>& opened,
                         const std::function<void()>& closed) {
  std::this_thread::sleep_for(timing_.warm_up);
  if (opened) opened();
  const double cpu_start = ProcessCpuSeconds();
  const double machine_start = MachineCpuSeconds();
  const Clock::time_point start = Clock::now();
  phase_.store(Phase::kMeasure, std::memory_order_release);
  std::this_thread::sleep_for(timing_.window);
  phase_.store(Phase::kStop, std::memory_order_release);
  const Clock::time_point end = Clock::now();
  Span span;
  span.cpu_seconds = ProcessCpuSeconds() - cpu_start;
  span.machine_cpu_seconds = MachineCpuSeconds() - machine_start;
  span.seconds = std::chrono::duration<double>(end - start).count();
  if (closed) closed();
  return span;
}

void Tally::Record(Phase phase_at_end, Clock::time_point start,
                   Clock::time_point end, int events) {
  if (phase_at_end != Phase::kMeasure) return;
  ++ops_;
  events_ += static_cast<uint64_t>(events);
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(end - start)
          .count();
  latencies_.push_back(static_cast<uint32_t>(std::max<int64_t>(micros, 0)));
}

void Tally::Fail(std::string message) {
  if (errors_++ == 0) first_error_ = std::move(message);
}

Figures Summarize(const std::vector<Tally>& tallies, const Window::Span& span) {
  Figures figures;
  figures.seconds = span.seconds;
  figures.cpu_seconds = span.cpu_seconds;
  figures.machine_cpu_seconds = span.machine_cpu_seconds;
  std::vector<uint32_t> latencies;
  for (const Tally& tally : tallies) {
    figures.ops += tally.ops();
    figures.events += tally.events();
    figures.errors += tally.errors();
    if (figures.first_error.empty()) figures.first_error = tally.first_error();
    latencies.insert(latencies.end(), tally.latencies_micros().begin(),
                     tally.latencies_micros().end());
  }
  figures.p50_micros = Quantile(latencies, 0.50);
  figures.p99_micros = Quantile(latencies, 0.99);
  figures.p999_micros = Quantile(latencies, 0.999);
  if (!latencies.empty()) {
    figures.max_micros = *std::max_element(latencies.begin(), latencies.end());
  }
  return figures;
}

Figures RunThreads(int threads, Timing timing, const ThreadOp& op,
                   const std::function<void()>& opened,
                   const std::function<void()>& closed) {
  Window window(timing);
  std::vector<Tally> tallies(static_cast<size_t>(threads));
  std::vector<std::thread> workers;
  workers.reserve(tallies.size());
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&window, &op, &tally = tallies[t], t] {
      while (window.phase() != Phase::kStop) {
        const Clock::time_point start = Clock::now();
        absl::StatusOr<int> events = op(t);
        const Clock::time_point end = Clock::now();
        if (!events.ok()) {
          tally.Fail(std::string(events.status().message()));
          return;
        }
        tally.Record(window.phase(), start, end, *events);
      }
    });
  }
  const Window::Span span = window.Run(opened, closed);
  for (std::thread& worker : workers) worker.join();
  return Summarize(tallies, span);
}

}  // namespace ehcp::bench
