// ehcpctl: the command line of ehcpd for operators and auditors. The
// commands live in the ehcp_tools library (commands.h); this file wires the
// process to them: argv, EHCP_SERVER and EHCP_TOKEN_FILE in, exit status out.
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "tools/internal/case_client.h"
#include "tools/internal/cli_args.h"
#include "tools/internal/commands.h"
#include "tools/internal/signal_canceller.h"

int main(int argc, char** argv) {
  using namespace ehcp::tools;
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 1 && args[0] == "--version") {
    // EHCP_VERSION and EHCP_BUILD_TYPE come from CMake (ehcp::version).
    std::cout << "ehcpctl " << EHCP_VERSION << " (" << EHCP_BUILD_TYPE
              << " build)\n";
    return kExitOk;
  }
  const char* env_server = std::getenv("EHCP_SERVER");
  absl::StatusOr<Invocation> invocation =
      ParseInvocation(args, env_server == nullptr ? "" : env_server);
  if (!invocation.ok()) {
    std::cerr << "ehcpctl: " << invocation.status().message() << "\nTry '"
              << HelpHint(args) << "'.\n";
    return kExitUsage;
  }
  if (const auto* help = std::get_if<HelpArgs>(&invocation->args)) {
    std::cout << HelpText(help->topic);
    return kExitOk;
  }

  Cancellation cancel;
  std::optional<SignalCanceller> signals;
  const auto* tail = std::get_if<TailArgs>(&invocation->args);
  const auto* alerts = std::get_if<AlertsArgs>(&invocation->args);
  if ((tail != nullptr && tail->follow) ||
      (alerts != nullptr && alerts->follow)) {
    signals.emplace(&cancel);  // before gRPC starts its threads
  }
  GlobalOptions& global = invocation->global;
  if (const char* env_token = std::getenv("EHCP_TOKEN_FILE");
      global.token_file.empty() && env_token != nullptr) {
    global.token_file = env_token;
  }
  absl::StatusOr<std::unique_ptr<CaseClient>> client =
      NewGrpcCaseClient(global.server, global.timeout, global.call_timeout,
                        ClientTls{global.tls_ca, global.tls_cert,
                                  global.tls_key, global.tls_server_name},
                        global.token_file);
  if (!client.ok()) {
    std::cerr << "ehcpctl: " << client.status().message() << "\n";
    return kExitNoInput;
  }
  const int status =
      RunCommand(*invocation, **client, std::cout, std::cerr, &cancel);
  std::cout.flush();
  return status;
}
