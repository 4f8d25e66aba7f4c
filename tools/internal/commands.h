// The commands of ehcpctl, run against a CaseClient.
//
// Each command reads its local input first (so a malformed file never
// reaches the server), makes its calls, and writes results to `out` and
// one-line errors to `err`, prefixed "ehcpctl: " (`rebuild` also writes a
// line to `err` before its long call, saying it has started):
//
//   ehcpctl: cannot reach ehcpd at 127.0.0.1:50051 (is it running?)
//   ehcpctl: refused (FAILED_PRECONDITION): rule final_plan.requires_draft: ...
//   ehcpctl: events.json: events[2]: invalid value "X" for enum ...
//
// and returns the process exit status (below).
//
// Thread safety: a command uses `client` from the calling thread only; only
// `cancel` is touched from elsewhere.
#ifndef EHCP_TOOLS_INTERNAL_COMMANDS_H_
#define EHCP_TOOLS_INTERNAL_COMMANDS_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "tools/internal/case_client.h"
#include "tools/internal/cli_args.h"

namespace ehcp::tools {

// Exit statuses (64–66 as in sysexits.h).
inline constexpr int kExitOk = 0;
// The server answered with an error: a refused event, unknown case, ...
inline constexpr int kExitRefused = 1;
// The server could not be reached, did not answer in time, or went away.
inline constexpr int kExitUnreachable = 2;
// The command line is wrong.
inline constexpr int kExitUsage = 64;
// An input file is malformed (not JSON, not events).
inline constexpr int kExitDataError = 65;
// An input file or directory is missing or unreadable.
inline constexpr int kExitNoInput = 66;
// An output file cannot be written.
inline constexpr int kExitCantCreate = 73;

// The line (without "ehcpctl: " and newline) and exit status for an error
// a call returned: connection failures as the client wrote them (exit 2);
// the server's input and rule errors as "refused (CODE): message", other
// server errors as "ehcpd failed (CODE): message" (exit 1). Newlines in the
// message become spaces.
std::string CallErrorText(const absl::Status& status);
int CallErrorExit(const absl::Status& status);

// Runs `invocation` (any command but "help") with `client`; returns the
// exit status. `cancel` (may be null) stops `tail --follow` and `alerts
// --follow` cleanly (exit 0) when cancelled from another thread.
int RunCommand(const Invocation& invocation, CaseClient& client,
               std::ostream& out, std::ostream& err, Cancellation* cancel);

}  // namespace ehcp::tools

#endif  // EHCP_TOOLS_INTERNAL_COMMANDS_H_
