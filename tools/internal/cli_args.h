// The command line of ehcpctl: global flags, a command, its arguments.
//
// Parsing is pure: the caller passes argv (without the program name) and
// the value of EHCP_SERVER, and gets back a typed Invocation or a usage
// error. Flags are written `--flag value` or `--flag=value`, before or after
// the command; `--` ends the flags; `-` is an argument (standard input).
//
//   absl::StatusOr<Invocation> inv =
//       ParseInvocation({"show", "E06000035-0123456789abcdef", "--json"},
//                       /*env_server=*/"");
//   // inv->command == "show", inv->global.json,
//   // std::get<ShowArgs>(inv->args).case_id == "E06000035-0123456789abcdef"
//
// Usage errors are INVALID_ARGUMENT with a one-line message ("unknown flag
// --foo for open"); ehcpctl prints it with a hint to --help and exits 64.
//
// Thread safety: plain values and pure functions.
#ifndef EHCP_TOOLS_INTERNAL_CLI_ARGS_H_
#define EHCP_TOOLS_INTERNAL_CLI_ARGS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "ehcp/v1/alert_service.pb.h"
#include "ehcp/v1/clock_service.pb.h"

namespace ehcp::tools {

namespace v1 = ::ehcp::v1;

// Where ehcpd listens when neither --server nor EHCP_SERVER says.
inline constexpr absl::string_view kDefaultServer = "127.0.0.1:50051";
// Seconds allowed for connecting and for each call, unless --timeout says.
inline constexpr int kDefaultTimeoutSeconds = 10;
// Seconds allowed for the call of `rebuild` (which reads the whole log),
// unless --timeout says.
inline constexpr int kRebuildTimeoutSeconds = 600;

// Flags every command accepts.
struct GlobalOptions {
  // HOST:PORT of ehcpd: --server, else EHCP_SERVER, else kDefaultServer.
  std::string server = std::string(kDefaultServer);
  // Deadline for connecting and for each call (--timeout SECONDS, > 0;
  // fractions allowed).
  absl::Duration timeout = absl::Seconds(kDefaultTimeoutSeconds);
  // Deadline for each call: --timeout when given, else the command's
  // default (kDefaultTimeoutSeconds; kRebuildTimeoutSeconds for rebuild).
  absl::Duration call_timeout = absl::Seconds(kDefaultTimeoutSeconds);
  // --json: print protobuf JSON instead of tables.
  bool json = false;
  // TLS (tools/internal/case_client.h ClientTls): --tls-ca FILE trusts the
  // CA that signed ehcpd's certificate and turns TLS on; --tls-cert and
  // --tls-key (both or neither) present a client certificate for mutual
  // TLS; --tls-server-name checks the certificate for another name than
  // the host of --server.
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_server_name;
  // --token-file FILE (else EHCP_TOKEN_FILE, which main reads): a file
  // whose first line is the bearer token sent with every call.
  std::string token_file;
};

// ehcpctl open --la CODE --ref REF [--birth-month YYYY-MM]
//              [--opened-on YYYY-MM-DD]
struct OpenArgs {
  std::string la_code;
  std::string case_reference;
  std::string birth_month;  // empty: not given
  std::string opened_on;    // empty: today (the server decides)
};

// ehcpctl append CASE_ID FILE [--expected-version N] [--idempotency-key K]
struct AppendArgs {
  std::string case_id;
  std::string file;  // "-" reads standard input
  std::optional<int64_t> expected_version;
  std::string idempotency_key;  // empty: none
};

// ehcpctl show CASE_ID
struct ShowArgs {
  std::string case_id;
};

// ehcpctl tail [--from POSITION] [--follow]
struct TailArgs {
  int64_t from_position = 1;
  bool follow = false;
};

// ehcpctl load DIR_OR_FILE
struct LoadArgs {
  std::string path;
};

// ehcpctl clocks CASE_ID [--as-of YYYY-MM-DD] [--as-known-at RFC3339]
struct ClocksArgs {
  std::string case_id;
  std::string as_of;  // YYYY-MM-DD; empty: today (the server decides)
  // Only events recorded at or before this instant count; unset: all.
  std::optional<absl::Time> as_known_at;
};

// ehcpctl replay CASE_ID [--as-of YYYY-MM-DD] [--as-known-at INSTANT]
struct ReplayArgs {
  std::string case_id;
  std::string as_of;  // YYYY-MM-DD; empty: today (the server decides)
  // Only events recorded at or before this instant; unset: all.
  std::optional<absl::Time> as_known_at;
};

// ehcpctl breaches [--la CODE] [--clock ID]... [--status STATUS]...
//   [--due-from D] [--due-to D] [--as-of D] [--page-size N]
//   [--page-token T] [--all]
struct BreachesArgs {
  std::string la_code;                    // empty: every LA
  std::vector<std::string> clock_ids;     // empty: every clock
  std::vector<v1::ClockStatus> statuses;  // empty: the server's default
  std::string due_from;                   // empty: no lower bound
  std::string due_to;                     // empty: no upper bound
  std::string as_of;                      // empty: today
  int32_t page_size = 0;                  // 0: the server's default
  std::string page_token;                 // empty: the first page
  bool all = false;                       // follow every page
};

// ehcpctl backlog [--la CODE] [--as-of D] [--cases]
struct BacklogArgs {
  std::string la_code;  // empty: every LA
  std::string as_of;    // empty: today
  bool cases = false;   // list the entries of each clock
};

// ehcpctl find --la CODE --ref REFERENCE
struct FindArgs {
  std::string la_code;
  std::string case_reference;
};

// ehcpctl cases [--la CODE] [--stage STAGE]... [--page-size N]
//   [--page-token T] [--all]
struct CasesArgs {
  std::string la_code;                // empty: every LA
  std::vector<v1::CaseStage> stages;  // empty: every stage
  int32_t page_size = 0;              // 0: the server's default
  std::string page_token;             // empty: the first page
  bool all = false;                   // follow every page
};

// ehcpctl due [--la CODE] [--from D] [--to D] [--as-of D] [--page-size N]
//   [--page-token T] [--all]
struct DueArgs {
  std::string la_code;     // empty: every LA
  std::string due_from;    // empty: as_of (the server decides)
  std::string due_to;      // empty: as_of + 14 days (the server decides)
  std::string as_of;       // empty: today
  int32_t page_size = 0;   // 0: the server's default
  std::string page_token;  // empty: the first page
  bool all = false;        // follow every page
};

// ehcpctl alerts [--from N] [--follow] [--la CODE] [--clock ID]...
//   [--kind KIND]...
struct AlertsArgs {
  uint64_t from_sequence = 1;
  bool follow = false;
  std::string la_code;                 // empty: every LA
  std::vector<std::string> clock_ids;  // empty: every clock
  std::vector<v1::AlertKind> kinds;    // empty: every kind
};

// ehcpctl today [--set YYYY-MM-DD | --advance DAYS]
struct TodayArgs {
  std::string set;      // empty: not given
  int32_t advance = 0;  // 0: not given
};

// ehcpctl timeliness --year YYYY [--la CODE]
struct TimelinessArgs {
  int32_t year = 0;
  std::string la_code;  // empty: every LA
};

// ehcpctl projection
struct ProjectionArgs {};

// ehcpctl rebuild
struct RebuildArgs {};

// ehcpctl digest
struct DigestArgs {};

// ehcpctl verify [--from N] [--to N] [--against DIGEST]
struct VerifyArgs {
  int64_t from_position = 0;  // 0: the start
  int64_t to_position = 0;    // 0: the head
  std::string against;        // empty: none
};

// ehcpctl export [--case ID] [--from N] [--to N] [--out FILE]
struct ExportArgs {
  std::string case_id;        // empty: the log
  int64_t from_position = 0;  // 0: the start
  int64_t to_position = 0;    // 0: the head
  std::string out;            // empty or "-": standard output
};

// ehcpctl import FILE
struct ImportArgs {
  std::string file;  // "-" reads standard input
};

// What a help request asks about.
struct HelpArgs {
  std::string topic;  // empty: the tool; else a command name
};

using CommandArgs =
    std::variant<HelpArgs, OpenArgs, AppendArgs, ShowArgs, TailArgs, LoadArgs,
                 ClocksArgs, BreachesArgs, BacklogArgs, TimelinessArgs,
                 ProjectionArgs, RebuildArgs, DigestArgs, VerifyArgs,
                 ReplayArgs, ExportArgs, ImportArgs, FindArgs, CasesArgs,
                 DueArgs, AlertsArgs, TodayArgs>;

// A parsed command line.
struct Invocation {
  GlobalOptions global;
  // The command ("open", "append", "show", "tail", "load", "clocks",
  // "breaches", "backlog", "timeliness", "projection", "rebuild", "digest",
  // "verify", "replay", "export", "import", "find", "cases", "due",
  // "alerts", "today"), or
  // "help" for `ehcpctl`, `ehcpctl --help`, `ehcpctl help [CMD]` and
  // `CMD --help`.
  std::string command;
  CommandArgs args;
};

// Parses `args` (argv without the program name). `env_server` is the value
// of EHCP_SERVER (empty when unset). Returns INVALID_ARGUMENT with a
// one-line message on an unknown command or flag, a missing or malformed
// value, a missing required flag, or a wrong number of arguments. A help
// request anywhere wins over other errors after the command is known.
//
// Flags given twice are errors, except the repeatable ones (breaches'
// --clock and --status, cases' --stage, alerts' --clock and --kind), whose
// values may also be comma-separated. --stage is a CaseStage name with or
// without its prefix, in any case, '-' or ' ' for '_' ("plan-maintained");
// --kind likewise an AlertKind name ("due-soon", "BREACHED"). Dates
// are checked to be real YYYY-MM-DD dates, --as-known-at an RFC 3339
// instant with a zone ("2025-01-01T09:00:00Z"), --status a ClockStatus
// name with or without its prefix, in any case ("breached",
// "CLOCK_STATUS_BREACHED"), only so that mistakes get a friendly message
// before any call; ehcpd checks them again.
absl::StatusOr<Invocation> ParseInvocation(absl::Span<const std::string> args,
                                           absl::string_view env_server);

// The command line that runs `args` again, e.g. "ehcpctl breaches --la
// E06000035 --status BREACHED,OVERDUE --page-token 'a b'": each given flag
// once (lists comma-separated), words shell-quoted when they need to be.
// Global flags are left out. `breaches` prints it, with the next page's
// token, to say how to go on.
std::string BreachesCommandLine(const BreachesArgs& args);

// Where to look after a usage error in `args`: "ehcpctl CMD --help" when
// `args` names a command, else "ehcpctl --help".
std::string HelpHint(absl::Span<const std::string> args);

// The names of the commands, in the order help lists them.
absl::Span<const absl::string_view> CommandNames();

// Help text: for the tool when `topic` is empty, else for that command
// (usage, flags, examples). An unknown topic gets the tool's help.
std::string HelpText(absl::string_view topic);

}  // namespace ehcp::tools

#endif  // EHCP_TOOLS_INTERNAL_CLI_ARGS_H_
