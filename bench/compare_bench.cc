// compare_bench: the side-by-side benchmark (issue 14, point 6). The same
// append workload, with the same durability (every acknowledged write
// synced), against raw RocksDB, PostgreSQL 15 and ehcpd, interleaved and
// repeated; prints a table, the floors met or missed, and a JSON file of
// stable names (bench/README.md, "Side by side").
//
//   build/bench/compare_bench [--reps=3] [--seconds=5] [--smoke] ...
//
// Each repetition runs every row for every store before the next one
// (RocksDB, PostgreSQL, ehcpd in turn for each row, fresh stores), then the
// ehcpd-only measurements: read-your-write, CPU per append on short and
// long cases, and the largest latency over a 10-second window. Ratios are
// taken within a repetition; the figures reported are medians over the
// repetitions (largest latencies: the largest). The exit status is 1 when
// any append failed or a store could not be run, else 0; floors are
// reported, not enforced.
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bench/compare.h"
#include "bench/temp_dir.h"
#include "bench/workloads.h"

namespace ehcp::bench {
namespace {

constexpr long kTmpfsMagic = 0x01021994;

constexpr char kUsage[] = R"(Usage: compare_bench [flags]

The side-by-side benchmark: the same append workload, every write synced,
against raw RocksDB (Put, sync=true), PostgreSQL 15 (a cluster of its own,
libpq clients over TCP loopback, one INSERT per transaction) and ehcpd (the
server binary as a child process, realistic case journeys over gRPC with
exact expected versions). Closed-loop clients; nothing is paced.

Rows, each store in turn, every row in every repetition:
  append.c1, append.c16, append.c64   one event per call at 1/16/64 clients
  append_batch10.c64                  10 events per call (PostgreSQL: one
                                      10-row INSERT) at 64 clients
then, ehcpd only: read-your-write (append, then ListBreaches with
min_position) at 64 clients; server CPU per append to cases of ~20 and of
~2,000 events at 16 clients; the largest latency over a 10-second window at
16 clients.

Prints each measurement as it ends, then medians over the repetitions, the
floors of issue 14 (met or missed; not enforced), and writes JSON (--out).
Exit status: 0, or 1 when an append failed or a store could not be run.

Flags (--flag=value or --flag value):
  --reps=N           repetitions (default 3)
  --seconds=S        measured window of each row (default 5)
  --warmup=S         warm-up before each window (default 1)
  --dir=PATH         where the temporary stores go; must be on the disk
                     under test, not tmpfs (default: the system's temporary
                     directory)
  --ehcpd=PATH       the ehcpd binary (default: ../services/ehcpd next to
                     this program, i.e. build/services/ehcpd)
  --out=PATH         JSON output (default: bench/results/latest.json in the
                     source tree)
  --only=LIST        stores to run, of rocksdb, postgres, ehcpd (default all)
  --long-events=N    events of a long case (default 2000)
  --smoke            a check that everything works, in seconds: 1
                     repetition, 0.3 s windows, 1 and 4 clients (the c16
                     and c64 rows run 4), long cases of 100 events
  --help             this text
)";

struct Flags {
  int reps = 3;
  double seconds = 5;
  double warmup = 1;
  std::string dir;
  std::string ehcpd;
  std::string out;
  bool smoke = false;
  bool rocksdb = true;
  bool postgres = true;
  bool ehcpd_store = true;
  int long_events = 2000;
  // Flags given explicitly win over --smoke's defaults.
  bool reps_set = false, seconds_set = false, warmup_set = false,
       long_set = false;
};

absl::Status ParseNumber(const std::string& name, const std::string& text,
                         double min, double max, double* value) {
  if (!absl::SimpleAtod(text, value) || !(*value >= min) || *value > max) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", name, ": \"", text, "\" is not a number ", min, "..", max));
  }
  return absl::OkStatus();
}

absl::Status SetFlag(const std::string& name, const std::string& value,
                     Flags* flags) {
  double number = 0;
  if (name == "reps") {
    if (absl::Status s = ParseNumber(name, value, 1, 100, &number); !s.ok()) {
      return s;
    }
    flags->reps = static_cast<int>(number);
    flags->reps_set = true;
  } else if (name == "seconds") {
    if (absl::Status s = ParseNumber(name, value, 0.05, 600, &number);
        !s.ok()) {
      return s;
    }
    flags->seconds = number;
    flags->seconds_set = true;
  } else if (name == "warmup") {
    if (absl::Status s = ParseNumber(name, value, 0, 600, &number); !s.ok()) {
      return s;
    }
    flags->warmup = number;
    flags->warmup_set = true;
  } else if (name == "long-events") {
    if (absl::Status s = ParseNumber(name, value, 30, 100000, &number);
        !s.ok()) {
      return s;
    }
    flags->long_events = static_cast<int>(number);
    flags->long_set = true;
  } else if (name == "dir") {
    flags->dir = value;
  } else if (name == "ehcpd") {
    flags->ehcpd = value;
  } else if (name == "out") {
    flags->out = value;
  } else if (name == "only") {
    flags->rocksdb = flags->postgres = flags->ehcpd_store = false;
    for (absl::string_view part : absl::StrSplit(value, ',')) {
      if (part == "rocksdb") {
        flags->rocksdb = true;
      } else if (part == "postgres") {
        flags->postgres = true;
      } else if (part == "ehcpd") {
        flags->ehcpd_store = true;
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            "--only: unknown store \"", part, "\" (rocksdb, postgres, ehcpd)"));
      }
    }
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown flag --", name, " (see --help)"));
  }
  return absl::OkStatus();
}

// The directory of this program, from /proc/self/exe.
std::filesystem::path ProgramDir() {
  std::error_code error;
  std::filesystem::path self =
      std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::filesystem::current_path() : self.parent_path();
}

absl::Status ParseFlags(int argc, char** argv, Flags* flags, bool* help) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      *help = true;
      return absl::OkStatus();
    }
    if (arg == "--smoke") {
      flags->smoke = true;
      continue;
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
  if (!flags->rocksdb && !flags->postgres && !flags->ehcpd_store) {
    return absl::InvalidArgumentError("--only: names no store");
  }
  if (flags->smoke) {
    if (!flags->reps_set) flags->reps = 1;
    if (!flags->seconds_set) flags->seconds = 0.3;
    if (!flags->warmup_set) flags->warmup = 0.1;
    if (!flags->long_set) flags->long_events = 100;
  }
  if (flags->dir.empty()) {
    flags->dir = std::filesystem::temp_directory_path().string();
  }
  if (flags->ehcpd.empty()) {
    flags->ehcpd =
        (ProgramDir() / ".." / "services" / "ehcpd").lexically_normal().string();
  }
  if (flags->out.empty()) {
#ifdef EHCP_SOURCE_DIR
    flags->out = std::string(EHCP_SOURCE_DIR) + "/bench/results/latest.json";
#else
    flags->out = "bench/results/latest.json";
#endif
  }
  return absl::OkStatus();
}

// ---- Machine ------------------------------------------------------------------

std::string LoadAverage() {
  std::ifstream file("/proc/loadavg");
  std::string one, five, fifteen;
  if (!(file >> one >> five >> fifteen)) return "unknown";
  return absl::StrCat(one, " ", five, " ", fifteen);
}

std::string Kernel() {
  utsname name{};
  if (uname(&name) != 0) return "unknown";
  return absl::StrCat(name.sysname, " ", name.release, " ", name.machine);
}

std::string FileSystemOf(const std::string& dir, bool* tmpfs) {
  struct statfs info {};
  *tmpfs = false;
  if (statfs(dir.c_str(), &info) != 0) return "unknown";
  switch (static_cast<unsigned long>(info.f_type)) {
    case 0xEF53:
      return "ext4";
    case 0x58465342:
      return "xfs";
    case 0x9123683E:
      return "btrfs";
    case 0x794C7630:
      return "overlayfs";
    case 0x2FC12FC1:
      return "zfs";
    case static_cast<unsigned long>(kTmpfsMagic):
      *tmpfs = true;
      return "tmpfs";
    default:
      return absl::StrFormat("type 0x%x", static_cast<unsigned long>(info.f_type));
  }
}

// ---- Results ------------------------------------------------------------------

const char* const kStores[] = {"rocksdb", "postgres", "ehcpd"};

// One row of the table: its JSON prefix and its clients.
struct RowSpec {
  std::string key;   // "append.c16"
  int clients = 0;
  int per_call = 1;  // Events per call.
};

// Values per repetition, by JSON name.
class Values {
 public:
  void Add(const std::string& name, double value) {
    if (std::isfinite(value)) by_name_[name].push_back(value);
  }
  // The median (or, for names ending in "max_ms", the largest) over the
  // repetitions; NaN when never measured.
  double Final(const std::string& name) const {
    auto it = by_name_.find(name);
    if (it == by_name_.end() || it->second.empty()) return NAN;
    std::vector<double> v = it->second;
    std::sort(v.begin(), v.end());
    if (IsMax(name)) return v.back();
    const size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }
  const std::map<std::string, std::vector<double>>& all() const {
    return by_name_;
  }
  static bool IsMax(const std::string& name) {
    return name.size() >= 6 &&
           (name.compare(name.size() - 6, 6, "max_ms") == 0 ||
            name.rfind("max_latency_ms", 0) == 0);
  }

 private:
  std::map<std::string, std::vector<double>> by_name_;
};

std::string Fixed(double value, int decimals) {
  if (!std::isfinite(value)) return "-";
  return absl::StrFormat("%.*f", decimals, value);
}

// Thousands with commas.
std::string Count(double value) {
  if (!std::isfinite(value)) return "-";
  std::string digits = absl::StrFormat("%.0f", value);
  std::string out;
  const int n = static_cast<int>(digits.size());
  for (int i = 0; i < n; ++i) {
    out += digits[i];
    if ((n - i - 1) % 3 == 0 && i < n - 1 && digits[i] != '-') out += ',';
  }
  return out;
}

std::string Ms(double micros) { return Fixed(micros / 1000, 2); }

// Runs the benchmark; see the file comment.
class Bench {
 public:
  Bench(const Flags& flags, std::string run_dir)
      : flags_(flags), run_dir_(std::move(run_dir)) {
    config_.dir = run_dir_;
    config_.timing.window = std::chrono::milliseconds(
        static_cast<int64_t>(flags.seconds * 1000));
    config_.timing.warm_up = std::chrono::milliseconds(
        static_cast<int64_t>(flags.warmup * 1000));
    const int c16 = flags.smoke ? 4 : 16;
    const int c64 = flags.smoke ? 4 : 64;
    rows_ = {{"append.c1", 1, 1},
             {"append.c16", c16, 1},
             {"append.c64", c64, 1},
             {"append_batch10.c64", c64, 10}};
    ryw_clients_ = c64;
    length_clients_ = c16;
    max_window_clients_ = c16;
  }

  int Run() {
    PrintHeader();
    for (int rep = 1; rep <= flags_.reps; ++rep) RunRepetition(rep);
    PrintSummary();
    PrintFloors();
    if (absl::Status written = WriteJson(); !written.ok()) {
      std::printf("FAILED: %s\n", std::string(written.message()).c_str());
      ++failures_;
    } else {
      std::printf("\nJSON written to %s\n", flags_.out.c_str());
    }
    std::printf("load average at end %s; other processes kept up to %.2f "
                "cores busy during a window (median %.2f)\n",
                LoadAverage().c_str(), MaxOthers(), MedianOthers());
    if (failures_ > 0) {
      std::printf("%d measurement(s) failed or had errors (%lld failed "
                  "calls): exit status 1.\n",
                  failures_, static_cast<long long>(errors_));
      return 1;
    }
    return 0;
  }

 private:
  void PrintHeader() {
    bool tmpfs = false;
    filesystem_ = FileSystemOf(flags_.dir, &tmpfs);
    std::printf("compare_bench: nproc %ld, load average %s, %s\n",
                sysconf(_SC_NPROCESSORS_ONLN), LoadAverage().c_str(),
                Kernel().c_str());
    std::printf("stores under %s (%s)%s\n", flags_.dir.c_str(),
                filesystem_.c_str(),
                tmpfs ? ": WARNING, fsync costs nothing on tmpfs; pass --dir "
                        "on a real disk"
                      : "");
    std::printf("ehcpd: %s\n", flags_.ehcpd.c_str());
    std::printf(
        "%d repetition(s); each measurement: %.1f s warm-up, %.1f s window; "
        "payload %zu B (PostgreSQL, RocksDB)%s\n\n",
        flags_.reps, flags_.warmup, flags_.seconds, config_.record_bytes,
        flags_.smoke ? "; SMOKE run (c16 and c64 rows at 4 clients)" : "");
    std::printf("%-4s %-19s %-8s %4s %10s %8s %8s %8s %8s %9s %7s %6s  %s\n",
                "rep", "row", "store", "C", "events/s", "p50 ms", "p99 ms",
                "p99.9 ms", "max ms", "cpu us/ev", "mem MB", "others",
                "notes");
    std::fflush(stdout);
  }

  // Runs `measure`, records and prints its result as one store's figures
  // for one row of one repetition, and returns it (nullopt if it failed).
  std::optional<StoreResult> Measure(
      int rep, const std::string& key, const std::string& store, int clients,
      const std::function<absl::StatusOr<StoreResult>()>& measure) {
    absl::StatusOr<StoreResult> result = measure();
    if (!result.ok()) {
      std::printf("%-4d %-19s %-8s FAILED: %s\n", rep, key.c_str(),
                  store.c_str(), std::string(result.status().message()).c_str());
      std::fflush(stdout);
      ++failures_;
      return std::nullopt;
    }
    const Figures& f = result->figures;
    const bool batch = key.rfind("append_batch", 0) == 0;
    const std::string p = key + "." + store;
    values_.Add(p + (batch ? "_events_per_s" : "_eps"), f.EventsPerSecond());
    if (batch) values_.Add(p + "_calls_per_s", f.OpsPerSecond());
    values_.Add(p + "_p50_ms", f.p50_micros / 1000);
    values_.Add(p + "_p99_ms", f.p99_micros / 1000);
    values_.Add(p + "_p999_ms", f.p999_micros / 1000);
    values_.Add(p + "_max_ms", f.max_micros / 1000);
    values_.Add(p + "_cpu_us", result->CpuMicrosPerEvent());
    values_.Add(p + "_mem_mb", result->memory_mb);
    eps_[{rep, key, store}] = f.EventsPerSecond();
    // Cores kept busy by processes other than this one and the server
    // during the window (for RocksDB this process is the server).
    const double server =
        store == "rocksdb" || !std::isfinite(result->server_cpu_seconds)
            ? 0
            : result->server_cpu_seconds;
    double others = NAN;
    if (f.seconds > 0 && f.machine_cpu_seconds > 0) {
      others = std::max(
          0.0, (f.machine_cpu_seconds - f.cpu_seconds - server) / f.seconds);
      others_.push_back(others);
    }
    std::string notes = result->notes;
    if (store != "rocksdb" && f.events > 0) {
      // The load client's own CPU (this process), for reading "others".
      notes = absl::StrCat(absl::StrFormat("client cpu %.0f us/ev",
                                           f.cpu_seconds * 1e6 / f.events),
                           notes.empty() ? "" : "; ", notes);
    }
    if (f.errors > 0) {
      ++failures_;
      errors_ += static_cast<int64_t>(f.errors);
      notes = absl::StrCat(notes, notes.empty() ? "" : "; ", f.errors,
                           " ERRORS, first: ", f.first_error);
    }
    std::printf("%-4d %-19s %-8s %4d %10s %8s %8s %8s %8s %9s %7s %6s  %s\n",
                rep, key.c_str(), store.c_str(), clients,
                Count(f.EventsPerSecond()).c_str(), Ms(f.p50_micros).c_str(),
                Ms(f.p99_micros).c_str(), Ms(f.p999_micros).c_str(),
                Ms(f.max_micros).c_str(),
                Fixed(result->CpuMicrosPerEvent(), 1).c_str(),
                Fixed(result->memory_mb, 0).c_str(), Fixed(others, 2).c_str(),
                notes.c_str());
    std::fflush(stdout);
    return *std::move(result);
  }

  void RunRepetition(int rep) {
    std::unique_ptr<PostgresCluster> cluster;
    if (flags_.postgres) {
      absl::StatusOr<std::unique_ptr<PostgresCluster>> started =
          PostgresCluster::Start(run_dir_);
      if (!started.ok()) {
        std::printf("%-4d %-19s %-8s FAILED: %s\n", rep, "(cluster)",
                    "postgres", std::string(started.status().message()).c_str());
        ++failures_;
      } else {
        cluster = *std::move(started);
        postgres_version_ = cluster->version();
      }
    }
    for (const RowSpec& row : rows_) {
      if (flags_.rocksdb && row.per_call == 1) {
        Measure(rep, row.key, "rocksdb", row.clients,
                [&]() -> absl::StatusOr<StoreResult> {
                  Config config;
                  config.timing = config_.timing;
                  config.dir = config_.dir;
                  config.record_bytes = config_.record_bytes;
                  absl::StatusOr<Row> measured =
                      MeasureRocksDbPut(config, row.clients, /*sync=*/true);
                  if (!measured.ok()) return measured.status();
                  StoreResult result;
                  result.figures = measured->figures;
                  // The bench process is the RocksDB "server".
                  result.server_cpu_seconds = measured->figures.cpu_seconds;
                  result.notes = measured->notes;
                  return result;
                });
      }
      if (cluster != nullptr) {
        Measure(rep, row.key, "postgres", row.clients,
                [&]() -> absl::StatusOr<StoreResult> {
                  if (absl::Status reset = ResetPostgresTable(*cluster);
                      !reset.ok()) {
                    return reset;
                  }
                  return MeasurePostgres(config_, *cluster, row.clients,
                                         row.per_call);
                });
      }
      if (flags_.ehcpd_store) {
        std::optional<StoreResult> ehcpd = Measure(
            rep, row.key, "ehcpd", row.clients,
            [&]() -> absl::StatusOr<StoreResult> {
              return MeasureEhcpd(config_, flags_.ehcpd,
                                  row.per_call == 1
                                      ? EhcpdWorkload::kJourneys
                                      : EhcpdWorkload::kJourneysBatch10,
                                  row.clients);
            });
        if (ehcpd && row.key == "append.c64") {
          values_.Add("rss_mb", ehcpd->memory_mb);
        }
      }
      AddRatios(rep, row.key);
    }
    if (cluster != nullptr) {
      if (absl::Status stopped = cluster->Stop(); !stopped.ok()) {
        std::printf("%-4d %-19s %-8s FAILED: %s\n", rep, "(cluster)",
                    "postgres", std::string(stopped.message()).c_str());
        ++failures_;
      }
    }
    if (flags_.ehcpd_store) RunEhcpdExtras(rep);
  }

  void AddRatios(int rep, const std::string& key) {
    const bool batch = key.rfind("append_batch", 0) == 0;
    auto eps = [&](const std::string& store) {
      auto it = eps_.find({rep, key, store});
      return it == eps_.end() ? NAN : it->second;
    };
    const double ehcpd = eps("ehcpd");
    if (!batch && eps("rocksdb") > 0) {
      values_.Add(key + ".ehcpd_vs_rocksdb", ehcpd / eps("rocksdb"));
    }
    if (eps("postgres") > 0) {
      values_.Add(key + ".ehcpd_vs_postgres", ehcpd / eps("postgres"));
    }
  }

  void RunEhcpdExtras(int rep) {
    // Read-your-write: append, then ListBreaches waiting for it.
    Figures reads;
    std::optional<StoreResult> pairs = Measure(
        rep, "read_your_write", "ehcpd", ryw_clients_,
        [&]() -> absl::StatusOr<StoreResult> {
          absl::StatusOr<StoreResult> result =
              MeasureEhcpd(config_, flags_.ehcpd, EhcpdWorkload::kReadYourWrite,
                           ryw_clients_, &reads);
          if (result.ok()) {
            absl::StrAppend(&result->notes,
                            "; pairs (append, then ListBreaches); "
                            "ListBreaches alone: p50 ",
                            Ms(reads.p50_micros), " ms, p99 ",
                            Ms(reads.p99_micros), " ms");
          }
          return result;
        });
    if (pairs) {
      values_.Add("read_your_write_p99_ms", pairs->figures.p99_micros / 1000);
      values_.Add("read_your_write_p50_ms", pairs->figures.p50_micros / 1000);
      values_.Add("read_your_write_read_p99_ms", reads.p99_micros / 1000);
    }

    // Server CPU per append: short cases, then long ones.
    double expected = 3000;
    if (auto it = eps_.find({rep, "append.c16", "ehcpd"});
        it != eps_.end() && it->second > 0) {
      expected = it->second;
    }
    absl::StatusOr<CaseLengthResult> lengths = MeasureEhcpdCaseLength(
        config_, flags_.ehcpd, length_clients_, /*short_events=*/20,
        flags_.long_events, expected);
    if (!lengths.ok()) {
      Measure(rep, "cpu.short_case", "ehcpd", length_clients_,
              [&]() -> absl::StatusOr<StoreResult> {
                return lengths.status();
              });
    } else {
      Measure(rep, "cpu.short_case", "ehcpd", length_clients_,
              [&]() -> absl::StatusOr<StoreResult> {
                return lengths->short_case;
              });
      Measure(rep, "cpu.long_case", "ehcpd", length_clients_,
              [&]() -> absl::StatusOr<StoreResult> {
                return lengths->long_case;
              });
      const double short_cpu = lengths->short_case.CpuMicrosPerEvent();
      const double long_cpu = lengths->long_case.CpuMicrosPerEvent();
      values_.Add("cpu_us_per_append.short_case", short_cpu);
      values_.Add("cpu_us_per_append.long_case", long_cpu);
      if (short_cpu > 0) {
        values_.Add("cpu_us_per_append.long_vs_short", long_cpu / short_cpu);
      }
      values_.Add("rss_mb_long_cases", lengths->long_case.memory_mb);
    }

    // The largest latency over a 10-second window (smoke: --seconds).
    CompareConfig ten = config_;
    if (!flags_.smoke) ten.timing.window = std::chrono::seconds(10);
    std::optional<StoreResult> window = Measure(
        rep, "max_window.c16", "ehcpd", max_window_clients_,
        [&]() -> absl::StatusOr<StoreResult> {
          absl::StatusOr<StoreResult> result =
              MeasureEhcpd(ten, flags_.ehcpd, EhcpdWorkload::kJourneys,
                           max_window_clients_);
          if (result.ok()) {
            absl::StrAppend(&result->notes, "; ",
                            ten.timing.window.count() / 1000.0, " s window");
          }
          return result;
        });
    if (window) {
      values_.Add("max_latency_ms.c16", window->figures.max_micros / 1000);
    }
  }

  double MaxOthers() const {
    double most = 0;
    for (double o : others_) most = std::max(most, o);
    return most;
  }
  double MedianOthers() const {
    if (others_.empty()) return 0;
    std::vector<double> v = others_;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  }

  void PrintSummary() {
    std::printf(
        "\nMedians over %d repetition(s) (max ms: the largest). events/s "
        "counts events written durably; cpu us/ev: server CPU per event (for "
        "RocksDB, this whole process)\n",
        flags_.reps);
    std::printf("%-19s %-8s %4s %10s %8s %8s %8s %8s %9s %7s\n", "row",
                "store", "C", "events/s", "p50 ms", "p99 ms", "p99.9 ms",
                "max ms", "cpu us/ev", "mem MB");
    for (const RowSpec& row : rows_) {
      const bool batch = row.per_call > 1;
      for (const char* store : kStores) {
        const std::string p = row.key + "." + store;
        const double eps =
            values_.Final(p + (batch ? "_events_per_s" : "_eps"));
        if (!std::isfinite(eps)) continue;
        std::printf("%-19s %-8s %4d %10s %8s %8s %8s %8s %9s %7s\n",
                    row.key.c_str(), store, row.clients, Count(eps).c_str(),
                    Fixed(values_.Final(p + "_p50_ms"), 2).c_str(),
                    Fixed(values_.Final(p + "_p99_ms"), 2).c_str(),
                    Fixed(values_.Final(p + "_p999_ms"), 2).c_str(),
                    Fixed(values_.Final(p + "_max_ms"), 2).c_str(),
                    Fixed(values_.Final(p + "_cpu_us"), 1).c_str(),
                    Fixed(values_.Final(p + "_mem_mb"), 0).c_str());
      }
      std::printf("%-19s ehcpd/rocksdb %s   ehcpd/postgres %s\n", "",
                  Fixed(values_.Final(row.key + ".ehcpd_vs_rocksdb"), 2).c_str(),
                  Fixed(values_.Final(row.key + ".ehcpd_vs_postgres"), 2)
                      .c_str());
    }
    std::printf(
        "\nehcpd only:\n"
        "  read-your-write at %d clients (append, then ListBreaches with "
        "min_position): p50 %s ms, p99 %s ms (the ListBreaches alone: p99 %s "
        "ms)\n",
        ryw_clients_, Fixed(values_.Final("read_your_write_p50_ms"), 2).c_str(),
        Fixed(values_.Final("read_your_write_p99_ms"), 2).c_str(),
        Fixed(values_.Final("read_your_write_read_p99_ms"), 2).c_str());
    std::printf(
        "  server CPU per append at %d clients: short cases (~20 events) %s "
        "us, long cases (~%d events) %s us, long/short %s\n",
        length_clients_,
        Fixed(values_.Final("cpu_us_per_append.short_case"), 1).c_str(),
        flags_.long_events,
        Fixed(values_.Final("cpu_us_per_append.long_case"), 1).c_str(),
        Fixed(values_.Final("cpu_us_per_append.long_vs_short"), 2).c_str());
    std::printf(
        "  largest latency over a %g-second window at %d clients: %s ms "
        "(largest over the repetitions)\n",
        flags_.smoke ? flags_.seconds : 10.0, max_window_clients_,
        Fixed(values_.Final("max_latency_ms.c16"), 2).c_str());
    std::printf(
        "  RSS at the end of the append.c64 row: %s MB; after the long-case "
        "window: %s MB\n",
        Fixed(values_.Final("rss_mb"), 0).c_str(),
        Fixed(values_.Final("rss_mb_long_cases"), 0).c_str());
  }

  void PrintFloors() {
    struct Floor {
      std::string what;
      std::string name;
      double target;
      bool at_least;  // value >= target; else value <= target
    };
    const std::vector<Floor> floors = {
        {"C=64: ehcpd >= 0.6x raw RocksDB", "append.c64.ehcpd_vs_rocksdb", 0.6,
         true},
        {"C=64: ehcpd >= 1.3x PostgreSQL", "append.c64.ehcpd_vs_postgres", 1.3,
         true},
        {"C=64: ehcpd p99 <= 10 ms", "append.c64.ehcpd_p99_ms", 10, false},
        {"C=16: ehcpd >= 1.0x PostgreSQL", "append.c16.ehcpd_vs_postgres", 1.0,
         true},
        {"C=1: ehcpd >= 0.55x raw RocksDB", "append.c1.ehcpd_vs_rocksdb", 0.55,
         true},
        {"batch10 C=64: ehcpd >= 1.2x PostgreSQL",
         "append_batch10.c64.ehcpd_vs_postgres", 1.2, true},
        {"C=16: no append slower than 50 ms (10-s window)",
         "max_latency_ms.c16", 50, false},
        {"CPU per append, long/short case <= 1.2",
         "cpu_us_per_append.long_vs_short", 1.2, false},
        {"read-your-write p99 <= 5 ms", "read_your_write_p99_ms", 5, false},
    };
    std::printf("\nFLOORS (issue 14; reported, not enforced)%s\n",
                flags_.smoke ? ": SMOKE run, concurrencies and windows differ, "
                               "so these say nothing"
                             : "");
    int met = 0, missed = 0;
    for (const Floor& floor : floors) {
      const double value = values_.Final(floor.name);
      std::string verdict = "n/a   ";
      if (std::isfinite(value)) {
        const bool ok = floor.at_least ? value >= floor.target
                                       : value <= floor.target;
        verdict = ok ? "met   " : "MISSED";
        (ok ? met : missed)++;
      }
      std::printf("  %s  %-48s %8s (%s %g)\n", verdict.c_str(),
                  floor.what.c_str(), Fixed(value, 2).c_str(),
                  floor.at_least ? ">=" : "<=", floor.target);
    }
    std::printf("  %d met, %d missed\n", met, missed);
  }

  static std::string JsonNumber(double value) {
    if (!std::isfinite(value)) return "null";
    return absl::StrFormat("%.6g", value);
  }

  static std::string JsonString(const std::string& text) {
    std::string out = "\"";
    for (char c : text) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        out += absl::StrFormat("\\u%04x", c);
      } else {
        out += c;
      }
    }
    return out + "\"";
  }

  // Every name the JSON always has (null when its store did not run).
  std::vector<std::string> StableNames() const {
    std::vector<std::string> names;
    for (const RowSpec& row : rows_) {
      const bool batch = row.per_call > 1;
      for (const char* store : kStores) {
        if (batch && std::string(store) == "rocksdb") continue;
        const std::string p = row.key + "." + store;
        if (batch) {
          names.push_back(p + "_events_per_s");
          names.push_back(p + "_calls_per_s");
        } else {
          names.push_back(p + "_eps");
        }
        for (const char* figure :
             {"_p50_ms", "_p99_ms", "_p999_ms", "_max_ms", "_cpu_us"}) {
          names.push_back(p + figure);
        }
      }
      if (!batch) names.push_back(row.key + ".ehcpd_vs_rocksdb");
      names.push_back(row.key + ".ehcpd_vs_postgres");
    }
    for (const char* name :
         {"cpu_us_per_append.short_case", "cpu_us_per_append.long_case",
          "cpu_us_per_append.long_vs_short", "read_your_write_p99_ms",
          "read_your_write_p50_ms", "read_your_write_read_p99_ms",
          "max_latency_ms.c16", "rss_mb", "rss_mb_long_cases"}) {
      names.push_back(name);
    }
    return names;
  }

  absl::Status WriteJson() const {
    std::map<std::string, double> flat;
    for (const std::string& name : StableNames()) flat[name] = NAN;
    for (const auto& [name, values] : values_.all()) {
      flat[name] = values_.Final(name);
    }
    std::string json = "{\n  \"meta\": {\n";
    char date[32];
    const std::time_t now = std::time(nullptr);
    std::strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    const std::vector<std::pair<std::string, std::string>> meta = {
        {"date", JsonString(date)},
        {"nproc", absl::StrCat(sysconf(_SC_NPROCESSORS_ONLN))},
        {"reps", absl::StrCat(flags_.reps)},
        {"seconds", JsonNumber(flags_.seconds)},
        {"warmup", JsonNumber(flags_.warmup)},
        {"kernel", JsonString(Kernel())},
        {"filesystem", JsonString(filesystem_)},
        {"smoke", flags_.smoke ? "true" : "false"},
        {"clients", absl::StrFormat(
                        "{\"c1\": %d, \"c16\": %d, \"c64\": %d}",
                        rows_[0].clients, rows_[1].clients, rows_[2].clients)},
        {"long_case_events", absl::StrCat(flags_.long_events)},
        {"postgres", JsonString(postgres_version_)},
        {"load_average_end", JsonString(LoadAverage())},
        {"other_cores_max", JsonNumber(MaxOthers())},
        {"other_cores_median", JsonNumber(MedianOthers())},
        {"errors", absl::StrCat(errors_)},
        {"failed_measurements", absl::StrCat(failures_)},
    };
    for (size_t i = 0; i < meta.size(); ++i) {
      absl::StrAppend(&json, "    ", JsonString(meta[i].first), ": ",
                      meta[i].second, i + 1 < meta.size() ? ",\n" : "\n");
    }
    json += "  },\n";
    for (const auto& [name, value] : flat) {
      absl::StrAppend(&json, "  ", JsonString(name), ": ", JsonNumber(value),
                      ",\n");
    }
    json += "  \"per_rep\": {\n";
    size_t i = 0;
    for (const auto& [name, values] : values_.all()) {
      std::vector<std::string> numbers;
      for (double v : values) numbers.push_back(JsonNumber(v));
      absl::StrAppend(&json, "    ", JsonString(name), ": [",
                      absl::StrJoin(numbers, ", "), "]",
                      ++i < values_.all().size() ? ",\n" : "\n");
    }
    json += "  }\n}\n";

    std::error_code error;
    const std::filesystem::path out(flags_.out);
    if (out.has_parent_path()) {
      std::filesystem::create_directories(out.parent_path(), error);
    }
    std::ofstream file(flags_.out, std::ios::trunc);
    file << json;
    file.close();
    if (!file) {
      return absl::UnavailableError(
          absl::StrCat("cannot write the JSON to ", flags_.out));
    }
    return absl::OkStatus();
  }

  struct EpsKey {
    int rep;
    std::string row;
    std::string store;
    bool operator<(const EpsKey& o) const {
      return std::tie(rep, row, store) < std::tie(o.rep, o.row, o.store);
    }
  };

  const Flags& flags_;
  const std::string run_dir_;
  CompareConfig config_;
  std::vector<RowSpec> rows_;
  int ryw_clients_ = 64;
  int length_clients_ = 16;
  int max_window_clients_ = 16;
  Values values_;
  std::map<EpsKey, double> eps_;
  std::vector<double> others_;
  std::string filesystem_;
  std::string postgres_version_;
  int failures_ = 0;
  int64_t errors_ = 0;
};

}  // namespace
}  // namespace ehcp::bench

int main(int argc, char** argv) {
  using namespace ehcp::bench;
  Flags flags;
  bool help = false;
  if (absl::Status parsed = ParseFlags(argc, argv, &flags, &help);
      !parsed.ok()) {
    std::fprintf(stderr, "compare_bench: %s\n",
                 std::string(parsed.message()).c_str());
    return 2;
  }
  if (help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (flags.ehcpd_store && access(flags.ehcpd.c_str(), X_OK) != 0) {
    std::fprintf(stderr,
                 "compare_bench: ehcpd: %s not found or not executable "
                 "(build it: ninja -C build ehcpd; or pass --ehcpd=PATH)\n",
                 flags.ehcpd.c_str());
    return 1;
  }
  // Before any thread starts: SIGINT/SIGTERM stop the servers and remove
  // the temporary directories.
  InstallInterruptCleanup();
  absl::StatusOr<std::unique_ptr<TempDir>> run_dir = TempDir::Make(flags.dir);
  if (!run_dir.ok()) {
    std::fprintf(stderr, "compare_bench: %s\n",
                 std::string(run_dir.status().message()).c_str());
    return 1;
  }
  // The PostgreSQL cluster runs as "postgres" when this is root: let it
  // through (not read) the run directory.
  if (geteuid() == 0) chmod((*run_dir)->path().c_str(), 0711);
  const int cleanup = AddCleanup([path = (*run_dir)->path()] {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  });
  int status = 0;
  {
    Bench bench(flags, (*run_dir)->path());
    status = bench.Run();
  }
  RemoveCleanup(cleanup);
  return status;
}
