// The PostgreSQL store of compare_bench: a cluster of its own (initdb,
// pg_ctl start/stop as the user "postgres" when run as root) and the
// append workload over libpq, one connection per client thread, TCP
// loopback, autocommit.
#include <libpq-fe.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "bench/compare.h"

namespace ehcp::bench {
namespace {

constexpr char kPgBin[] = "/usr/lib/postgresql/15/bin";
constexpr char kUser[] = "bench";
constexpr auto kCommandTimeout = std::chrono::seconds(120);

constexpr char kCreateTable[] =
    "CREATE TABLE events ("
    "global_position bigserial PRIMARY KEY, "
    "stream_id text NOT NULL, "
    "stream_version bigint NOT NULL, "
    "payload bytea NOT NULL, "
    "UNIQUE (stream_id, stream_version))";

std::string PgProgram(const std::string& name) {
  return absl::StrCat(kPgBin, "/", name);
}

struct ConnCloser {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
using Conn = std::unique_ptr<PGconn, ConnCloser>;

struct ResultClearer {
  void operator()(PGresult* result) const { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ResultClearer>;

std::string Trimmed(const char* message) {
  return std::string(absl::StripAsciiWhitespace(message ? message : ""));
}

// Notices ("table does not exist, skipping") are not errors: drop them.
void IgnoreNotice(void* /*arg*/, const char* /*message*/) {}

absl::StatusOr<Conn> Connect(const std::string& conninfo) {
  Conn conn(PQconnectdb(conninfo.c_str()));
  if (conn == nullptr || PQstatus(conn.get()) != CONNECTION_OK) {
    return absl::UnavailableError(
        absl::StrCat("postgres: connect (", conninfo, ") failed: ",
                     conn ? Trimmed(PQerrorMessage(conn.get())) : "no memory"));
  }
  PQsetNoticeProcessor(conn.get(), IgnoreNotice, nullptr);
  return conn;
}

absl::Status Exec(PGconn* conn, const std::string& sql) {
  Result result(PQexec(conn, sql.c_str()));
  const ExecStatusType status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return absl::InternalError(absl::StrCat("postgres: \"", sql, "\" failed: ",
                                            Trimmed(PQerrorMessage(conn))));
  }
  return absl::OkStatus();
}

// `size` printable bytes, different for each seed (as the RocksDB values).
std::string Payload(size_t size, uint64_t seed) {
  std::string bytes(size, '\0');
  uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
  for (char& c : bytes) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>('!' + x % 94);
  }
  return bytes;
}

// One client: a connection with the insert prepared, and where its
// current stream stands.
struct Client {
  Conn conn;
  int index = 0;
  int stream = 0;
  int64_t version = 0;   // Last version written to the current stream.
  int stream_rows = 0;   // Rows the current stream gets in all.
  uint64_t random = 0;
  std::string stream_id;
};

// Rows a stream gets: a journey's worth, as the ehcpd clients' cases.
int StreamRows(Client& client, int rows_per_txn) {
  client.random = client.random * 6364136223846793005ULL + 1442695040888963407ULL;
  const uint64_t r = client.random >> 33;
  if (rows_per_txn > 1) return r % 2 == 0 ? 30 : 40;
  return 30 + static_cast<int>(r % 11);  // As ehcpd: opening + 29-39.
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresCluster>> PostgresCluster::Start(
    const std::string& parent) {
  for (const char* program : {"initdb", "pg_ctl", "postgres"}) {
    if (access(PgProgram(program).c_str(), X_OK) != 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "postgres: ", PgProgram(program),
          " not found (install postgresql-15: scripts/setup.sh)"));
    }
  }
  std::unique_ptr<PostgresCluster> cluster(new PostgresCluster);
  std::string pattern =
      (std::filesystem::path(parent) / "postgres-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    const int error = errno;
    return absl::UnavailableError(
        absl::StrCat("postgres: cannot create a directory in ", parent, ": ",
                     std::generic_category().message(error)));
  }
  cluster->dir_ = pattern;
  cluster->data_dir_ = cluster->dir_ + "/data";
  const std::string socket_dir = cluster->dir_ + "/sock";
  if (mkdir(socket_dir.c_str(), 0700) != 0) {
    const int error = errno;
    return absl::UnavailableError(
        absl::StrCat("postgres: mkdir ", socket_dir, ": ",
                     std::generic_category().message(error)));
  }
  if (geteuid() == 0) {
    absl::StatusOr<RunAs> postgres = LookUpUser("postgres");
    if (!postgres.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "postgres: running as root, and initdb refuses root, but ",
          postgres.status().message(),
          " to run the cluster as (Debian's postgresql-common creates it)"));
    }
    cluster->run_as_ = *postgres;
    for (const std::string& path : {cluster->dir_, socket_dir}) {
      if (chown(path.c_str(), postgres->uid, postgres->gid) != 0) {
        const int error = errno;
        return absl::UnavailableError(
            absl::StrCat("postgres: chown ", path, " to postgres: ",
                         std::generic_category().message(error)));
      }
    }
  }
  // From here on the destructor stops the server and removes the directory.
  cluster->cleanup_id_ = AddCleanup([dir = cluster->dir_,
                                     data = cluster->data_dir_,
                                     run_as = cluster->run_as_] {
    (void)RunCommand({PgProgram("pg_ctl"), "stop", "-D", data, "-m",
                      "immediate", "-w"},
                     run_as, dir, dir + "/pg_ctl-stop.log",
                     std::chrono::seconds(30));
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  });

  const std::string log = cluster->dir_ + "/commands.log";
  absl::StatusOr<std::string> version =
      RunCommand({PgProgram("postgres"), "--version"}, cluster->run_as_,
                 cluster->dir_, log, kCommandTimeout);
  if (!version.ok()) {
    return absl::UnavailableError(
        absl::StrCat("postgres: postgres --version failed: ",
                     version.status().message()));
  }
  cluster->version_ = std::string(absl::StripAsciiWhitespace(*version));

  absl::StatusOr<std::string> initdb = RunCommand(
      {PgProgram("initdb"), "-D", cluster->data_dir_, "-U", kUser,
       "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"},
      cluster->run_as_, cluster->dir_, log, kCommandTimeout);
  if (!initdb.ok()) {
    return absl::UnavailableError(
        absl::StrCat("postgres: initdb failed: ", initdb.status().message()));
  }

  absl::StatusOr<int> port = FreeLoopbackPort();
  if (!port.ok()) return port.status();
  cluster->port_ = *port;
  const std::string options = absl::StrCat(
      "-p ", cluster->port_, " -k ", socket_dir,
      " -c listen_addresses=127.0.0.1 -c synchronous_commit=on -c fsync=on");
  absl::StatusOr<std::string> started = RunCommand(
      {PgProgram("pg_ctl"), "start", "-w", "-t", "60", "-D",
       cluster->data_dir_, "-l", cluster->dir_ + "/postgres.log", "-o",
       options},
      cluster->run_as_, cluster->dir_, log, kCommandTimeout);
  cluster->running_ = true;  // Even on failure: stop whatever came up.
  if (!started.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "postgres: pg_ctl start failed: ", started.status().message(),
        "; server log: ", FileTail(cluster->dir_ + "/postgres.log")));
  }

  std::ifstream pid_file(cluster->data_dir_ + "/postmaster.pid");
  std::string first_line;
  if (!std::getline(pid_file, first_line) ||
      !absl::SimpleAtoi(first_line, &cluster->postmaster_pid_)) {
    return absl::UnavailableError(absl::StrCat(
        "postgres: cannot read the postmaster pid from ", cluster->data_dir_,
        "/postmaster.pid"));
  }
  return cluster;
}

std::string PostgresCluster::ConnInfo() const {
  return absl::StrCat("host=127.0.0.1 port=", port_, " user=", kUser,
                      " dbname=postgres connect_timeout=10");
}

absl::Status PostgresCluster::Stop() {
  absl::Status status;
  if (running_) {
    running_ = false;
    absl::StatusOr<std::string> stopped = RunCommand(
        {PgProgram("pg_ctl"), "stop", "-D", data_dir_, "-m", "immediate",
         "-w"},
        run_as_, dir_, dir_ + "/pg_ctl-stop.log", std::chrono::seconds(60));
    if (!stopped.ok()) {
      status = absl::UnavailableError(absl::StrCat(
          "postgres: pg_ctl stop failed: ", stopped.status().message()));
      if (postmaster_pid_ > 0) kill(postmaster_pid_, SIGKILL);
    }
  }
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    dir_.clear();
  }
  if (cleanup_id_ >= 0) {
    RemoveCleanup(cleanup_id_);
    cleanup_id_ = -1;
  }
  return status;
}

PostgresCluster::~PostgresCluster() { (void)Stop(); }

absl::Status ResetPostgresTable(const PostgresCluster& cluster) {
  absl::StatusOr<Conn> conn = Connect(cluster.ConnInfo());
  if (!conn.ok()) return conn.status();
  if (absl::Status s = Exec(conn->get(), "DROP TABLE IF EXISTS events");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = Exec(conn->get(), kCreateTable); !s.ok()) return s;
  return Exec(conn->get(), "CHECKPOINT");
}

absl::StatusOr<StoreResult> MeasurePostgres(const CompareConfig& config,
                                            const PostgresCluster& cluster,
                                            int clients, int rows_per_txn) {
  std::string insert =
      "INSERT INTO events (stream_id, stream_version, payload) VALUES ";
  for (int r = 0; r < rows_per_txn; ++r) {
    absl::StrAppend(&insert, r == 0 ? "" : ", ", "($", 3 * r + 1, ", $",
                    3 * r + 2, ", $", 3 * r + 3, ")");
  }
  absl::StrAppend(&insert, " RETURNING global_position");

  std::vector<Client> all(static_cast<size_t>(clients));
  for (int c = 0; c < clients; ++c) {
    absl::StatusOr<Conn> conn = Connect(cluster.ConnInfo());
    if (!conn.ok()) return conn.status();
    Result prepared(PQprepare(conn->get(), "append", insert.c_str(), 0,
                              nullptr));
    if (PQresultStatus(prepared.get()) != PGRES_COMMAND_OK) {
      return absl::InternalError(
          absl::StrCat("postgres: prepare \"", insert, "\" failed: ",
                       Trimmed(PQerrorMessage(conn->get()))));
    }
    all[c].conn = *std::move(conn);
    all[c].index = c;
    all[c].random = static_cast<uint64_t>(c) + 1;
  }
  const std::string payload = Payload(config.record_bytes, 3);

  const ThreadOp op = [&](int t) -> absl::StatusOr<int> {
    Client& client = all[t];
    std::vector<std::string> versions;
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
    versions.reserve(rows_per_txn);
    for (int r = 0; r < rows_per_txn; ++r) {
      if (client.stream_id.empty() || client.version >= client.stream_rows) {
        client.stream_id = absl::StrCat("c", client.index, "-", client.stream++);
        client.version = 0;
        client.stream_rows = StreamRows(client, rows_per_txn);
      }
      versions.push_back(absl::StrCat(++client.version));
    }
    for (int r = 0; r < rows_per_txn; ++r) {
      values.insert(values.end(), {client.stream_id.c_str(),
                                   versions[r].c_str(), payload.data()});
      lengths.insert(lengths.end(), {0, 0, static_cast<int>(payload.size())});
      formats.insert(formats.end(), {0, 0, 1});  // payload as binary
    }
    Result result(PQexecPrepared(client.conn.get(), "append",
                                 static_cast<int>(values.size()), values.data(),
                                 lengths.data(), formats.data(), 0));
    if (PQresultStatus(result.get()) != PGRES_TUPLES_OK ||
        PQntuples(result.get()) != rows_per_txn) {
      return absl::InternalError(
          absl::StrCat("postgres: insert into ", client.stream_id, " failed: ",
                       Trimmed(PQerrorMessage(client.conn.get()))));
    }
    return rows_per_txn;
  };

  StoreResult result;
  double cpu_at_open = NAN;
  double cpu_at_close = NAN;
  const pid_t postmaster = cluster.postmaster_pid();
  result.figures = RunThreads(
      clients, config.timing, op,
      [&] { cpu_at_open = TreeCpuSeconds(postmaster).value_or(NAN); },
      [&] {
        cpu_at_close = TreeCpuSeconds(postmaster).value_or(NAN);
        result.memory_mb = TreePssMb(postmaster).value_or(NAN);
      });
  result.server_cpu_seconds = cpu_at_close - cpu_at_open;
  result.notes = absl::StrFormat("%d row%s per transaction", rows_per_txn,
                                 rows_per_txn == 1 ? "" : "s");
  return result;
}

}  // namespace ehcp::bench
