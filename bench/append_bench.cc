// append_bench: how fast the append path is, next to its peers, in one run.
//
//   build/bench/append_bench [--duration=2] [--warmup=0.5] [--dir=/tmp] ...
//
// Prints one table: raw RocksDB Put (sync and not), storage::EventLog
// Append, and AppendEvents over gRPC to an in-process ehcpd, each at the
// concurrencies asked for, with each append figure's ratio to raw synced
// RocksDB at the same concurrency. bench/README.md explains the rows.
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "bench/workloads.h"

namespace ehcp::bench {
namespace {

constexpr long kTmpfsMagic = 0x01021994;
// Other processes' load, in cores, above which a row counts as measured on
// a shared machine.
constexpr double kSharedCores = 0.2;

constexpr char kUsage[] = R"(Usage: append_bench [flags]

Measures the append path next to its peers, in one run, and prints a table.
Each row: a fresh store in a temporary directory, a warm-up, then a fixed
window; temporary directories are removed at the end.

Flags (--flag=value or --flag value):
  --duration=SECONDS   measured window of each row (default 2)
  --warmup=SECONDS     warm-up before each window (default 0.5)
  --dir=PATH           parent of the temporary directories; put it on the
                       disk under test, not tmpfs (default: the system's
                       temporary directory)
  --threads=LIST       thread counts of the RocksDB sync and EventLog rows
                       (default 1,16,64)
  --in-flight=LIST     gRPC calls in flight (default 1,64)
  --channels=N         gRPC channels the calls are spread over (default 2)
  --batch=N            events per call of the gRPC batch rows; 0 or 1: no
                       batch rows (default 10)
  --case-events=N      also run the gRPC one-event rows with each call slot
                       moving to a fresh case once its case holds N events
                       (the plain rows let one case per slot grow all run);
                       0: no such rows (default 50)
  --record-bytes=N     payload bytes per RocksDB value / EventLog record
                       (default 300)
  --only=LIST          sections to run, of rocksdb, eventlog, grpc (the
                       rows whose cases grow all run) and grpc-capped (the
                       --case-events rows); default all
  --help               this text
)";

struct Flags {
  Config config;
  std::vector<int> threads = {1, 16, 64};
  std::vector<int> in_flight = {1, 64};
  int batch = 10;
  int case_events = 50;
  bool rocksdb = true;
  bool eventlog = true;
  bool grpc = true;
  bool grpc_capped = true;
};

absl::StatusOr<std::vector<int>> ParseList(const std::string& name,
                                           const std::string& text) {
  std::vector<int> values;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    int value = 0;
    if (!absl::SimpleAtoi(part, &value) || value < 1 || value > 1024) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--", name, ": \"", text, "\" is not a list of counts 1..1024"));
    }
    values.push_back(value);
  }
  return values;
}

absl::StatusOr<int> ParseCount(const std::string& name, const std::string& text,
                               int min, int max) {
  int value = 0;
  if (!absl::SimpleAtoi(text, &value) || value < min || value > max) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", name, ": \"", text, "\" is not a number ", min, "..", max));
  }
  return value;
}

absl::StatusOr<std::chrono::milliseconds> ParseSeconds(
    const std::string& name, const std::string& text) {
  double seconds = 0;
  if (!absl::SimpleAtod(text, &seconds) || !(seconds >= 0) || seconds > 600) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", name, ": \"", text, "\" is not a number of seconds 0..600"));
  }
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

// Sets one flag. INVALID_ARGUMENT naming the flag for a bad value or an
// unknown flag.
absl::Status SetFlag(const std::string& name, const std::string& value,
                     Flags* flags) {
  Config& config = flags->config;
  if (name == "duration" || name == "warmup") {
    absl::StatusOr<std::chrono::milliseconds> ms = ParseSeconds(name, value);
    if (!ms.ok()) return ms.status();
    (name == "duration" ? config.timing.window : config.timing.warm_up) = *ms;
    if (name == "duration" && ms->count() == 0) {
      return absl::InvalidArgumentError("--duration: must be above 0");
    }
  } else if (name == "dir") {
    config.dir = value;
  } else if (name == "threads" || name == "in-flight") {
    absl::StatusOr<std::vector<int>> list = ParseList(name, value);
    if (!list.ok()) return list.status();
    (name == "threads" ? flags->threads : flags->in_flight) = *list;
  } else if (name == "channels" || name == "batch" || name == "case-events" ||
             name == "record-bytes") {
    const int min = name == "batch" || name == "case-events" ? 0 : 1;
    const int max = name == "record-bytes" ? (1 << 20) : 1000;
    absl::StatusOr<int> count = ParseCount(name, value, min, max);
    if (!count.ok()) return count.status();
    if (name == "channels") config.channels = *count;
    if (name == "batch") flags->batch = *count;
    if (name == "case-events") {
      if (*count > 0 && *count < 4) {
        return absl::InvalidArgumentError(
            "--case-events: must be 0 or at least 4 (a case starts with 3)");
      }
      flags->case_events = *count;
    }
    if (name == "record-bytes") config.record_bytes = *count;
  } else if (name == "only") {
    flags->rocksdb = flags->eventlog = flags->grpc = flags->grpc_capped = false;
    for (absl::string_view part : absl::StrSplit(value, ',')) {
      if (part == "rocksdb") {
        flags->rocksdb = true;
      } else if (part == "eventlog") {
        flags->eventlog = true;
      } else if (part == "grpc") {
        flags->grpc = true;
      } else if (part == "grpc-capped") {
        flags->grpc_capped = true;
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("--only: unknown section \"", part,
                         "\" (rocksdb, eventlog, grpc, grpc-capped)"));
      }
    }
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown flag --", name, " (see --help)"));
  }
  return absl::OkStatus();
}

// Parses argv into *flags, or sets *help for --help. INVALID_ARGUMENT
// naming the flag for a bad one.
absl::Status ParseFlags(int argc, char** argv, Flags* flags, bool* help) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      *help = true;
      return absl::OkStatus();
    }
    if (arg.rfind("--", 0) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument \"", arg, "\" (see --help)"));
    }
    std::string name = arg.substr(2);
    std::string value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, ": needs a value"));
    }
    if (absl::Status s = SetFlag(name, value, flags); !s.ok()) return s;
  }
  if (flags->config.dir.empty()) {
    flags->config.dir = std::filesystem::temp_directory_path().string();
  }
  return absl::OkStatus();
}

std::string LoadAverage() {
  std::ifstream file("/proc/loadavg");
  std::string one, five, fifteen;
  if (!(file >> one >> five >> fifteen)) return "unknown";
  return absl::StrCat(one, " ", five, " ", fifteen);
}

std::string FileSystemOf(const std::string& dir) {
  struct statfs info {};
  if (statfs(dir.c_str(), &info) != 0) return "unknown file system";
  if (info.f_type == kTmpfsMagic) {
    return "tmpfs: WARNING, fsync costs nothing here; use --dir on a disk";
  }
  return absl::StrFormat("file system type 0x%x", info.f_type);
}

std::string FormatRate(double value) {
  if (value >= 100) return absl::StrFormat("%.0f", value);
  return absl::StrFormat("%.1f", value);
}

void PrintRow(const Row& row, const std::map<int, double>& raw_sync) {
  const Figures& f = row.figures;
  std::string ratio;
  const bool is_peer = row.what.rfind("RocksDB", 0) == 0;
  if (auto it = raw_sync.find(row.concurrency);
      !is_peer && it != raw_sync.end() && it->second > 0) {
    ratio = absl::StrFormat("%.2fx", f.OpsPerSecond() / it->second);
  }
  std::string notes = row.notes;
  if (f.errors > 0) {
    notes = absl::StrCat(notes, notes.empty() ? "" : "; ", f.errors,
                         " ERRORS, first: ", f.first_error);
  }
  std::printf(
      "%-30s %5d %10s %10s %8.0f %8.0f %6s %7.1f %6.2f  %s\n", row.what.c_str(),
      row.concurrency, FormatRate(f.OpsPerSecond()).c_str(),
      FormatRate(f.EventsPerSecond()).c_str(), f.p50_micros, f.p99_micros,
      ratio.c_str(), f.CpuMicrosPerOp(), f.OtherCores(), notes.c_str());
  std::fflush(stdout);
}

int Run(const Flags& flags) {
  const Config& config = flags.config;
  std::printf(
      "append_bench: nproc %ld (hardware_concurrency %u), load "
      "average at start %s\n",
      sysconf(_SC_NPROCESSORS_ONLN), std::thread::hardware_concurrency(),
      LoadAverage().c_str());
  std::printf("data under %s (%s)\n", config.dir.c_str(),
              FileSystemOf(config.dir).c_str());
  std::printf(
      "each row: fresh store, %.1f s warm-up, %.1f s window; "
      "records of %zu bytes; gRPC over %d channel(s)\n\n",
      config.timing.warm_up.count() / 1000.0,
      config.timing.window.count() / 1000.0, config.record_bytes,
      config.channels);
  std::printf("%-30s %5s %10s %10s %8s %8s %6s %7s %6s  %s\n", "row", "conc",
              "appends/s", "events/s", "p50 us", "p99 us", "x raw", "cpu us",
              "others", "notes");

  std::map<int, double> raw_sync;  // concurrency -> synced Puts per second
  int failures = 0;
  double max_others = 0;
  int shared_rows = 0;
  auto report = [&](absl::StatusOr<Row> row) {
    if (!row.ok()) {
      std::printf("FAILED: %s\n", row.status().ToString().c_str());
      ++failures;
      return;
    }
    if (row->what == "RocksDB Put, sync") {
      raw_sync[row->concurrency] = row->figures.OpsPerSecond();
    }
    if (row->figures.errors > 0) ++failures;
    max_others = std::max(max_others, row->figures.OtherCores());
    if (row->figures.OtherCores() > kSharedCores) ++shared_rows;
    PrintRow(*row, raw_sync);
  };

  // Each EventLog row right after the raw row it is compared with, so that
  // the two share the machine's conditions as far as possible.
  for (int threads : flags.threads) {
    if (flags.rocksdb) {
      report(MeasureRocksDbPut(config, threads, /*sync=*/true));
    }
    if (flags.eventlog) report(MeasureEventLogAppend(config, threads));
  }
  if (flags.rocksdb) report(MeasureRocksDbPut(config, 1, /*sync=*/false));
  if (flags.grpc) {
    std::vector<int> events_per_call = {1};
    if (flags.batch > 1) events_per_call.push_back(flags.batch);
    for (int batch : events_per_call) {
      for (int in_flight : flags.in_flight) {
        report(MeasureGrpcAppend(config, in_flight, batch, /*case_events=*/0));
      }
    }
  }
  if (flags.grpc_capped && flags.case_events > 0) {
    for (int in_flight : flags.in_flight) {
      report(MeasureGrpcAppend(config, in_flight, 1, flags.case_events));
    }
  }

  std::printf(
      "\nComparable: yes, with each other: every row comes from this one run "
      "on this machine, one after another. Compare ratios, not absolute "
      "figures from other runs or machines.\n");
  if (shared_rows > 0) {
    std::printf(
        "Machine shared: other processes kept %.2f cores busy at "
        "most (column others) during %d row(s); treat those rows' "
        "figures, and ratios involving them, with care.\n",
        max_others, shared_rows);
  } else {
    std::printf(
        "Machine not shared: no row saw other processes using more "
        "than %.2f cores.\n",
        kSharedCores);
  }
  std::printf(
      "x raw: appends/s over raw RocksDB Put, sync, at the same concurrency "
      "(threads or calls in flight).\ncpu us: CPU time of this whole process "
      "(clients, server, RocksDB) per append during the window. others: "
      "cores kept busy by other processes meanwhile (0 = machine not "
      "shared).\nload average at end %s\n",
      LoadAverage().c_str());
  if (failures > 0) {
    std::printf("%d row(s) failed or had errors.\n", failures);
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace ehcp::bench

int main(int argc, char** argv) {
  ehcp::bench::Flags flags;
  bool help = false;
  if (absl::Status parsed = ehcp::bench::ParseFlags(argc, argv, &flags, &help);
      !parsed.ok()) {
    std::fprintf(stderr, "append_bench: %s\n",
                 std::string(parsed.message()).c_str());
    return 2;
  }
  if (help) {
    std::fputs(ehcp::bench::kUsage, stdout);
    return 0;
  }
  return ehcp::bench::Run(flags);
}
