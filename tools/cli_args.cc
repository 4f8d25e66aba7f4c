#include "tools/cli_args.h"

#include <map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ehcp::tools {
namespace {

struct FlagSpec {
  absl::string_view name;  // without the leading "--"
  bool takes_value;
};

struct CommandSpec {
  absl::string_view name;
  absl::string_view summary;
  absl::string_view usage;
  absl::string_view details;  // flags and examples, for `CMD --help`
  std::vector<FlagSpec> flags;
  int min_args;
  int max_args;
};

constexpr FlagSpec kGlobalFlags[] = {
    {"server", true},
    {"timeout", true},
    {"json", false},
    {"help", false},
};

const std::vector<CommandSpec>& Commands() {
  static const auto* const kCommands = new std::vector<CommandSpec>{
      {"open",
       "Open a case for a council's own reference; prints the case id",
       "ehcpctl open --la CODE --ref REFERENCE [--birth-month YYYY-MM] "
       "[--opened-on YYYY-MM-DD]",
       "Flags:\n"
       "  --la CODE                ONS code of the council (E06000035 Medway,\n"
       "                           E10000016 Kent, ...). Required.\n"
       "  --ref REFERENCE          the council's own case reference. "
       "Required.\n"
       "  --birth-month YYYY-MM    month of birth (year groups, age 25).\n"
       "  --opened-on YYYY-MM-DD   date the case is opened (default: today).\n"
       "\n"
       "Opening the same council and reference twice is refused\n"
       "(ALREADY_EXISTS, naming the existing case id).\n"
       "\n"
       "Examples:\n"
       "  ehcpctl open --la E06000035 --ref MED-0001\n"
       "  ID=$(ehcpctl open --la E10000016 --ref KCC-77 --birth-month "
       "2012-03)\n",
       {{"la", true},
        {"ref", true},
        {"birth-month", true},
        {"opened-on", true}},
       0,
       0},
      {"append",
       "Append events (protobuf JSON) to a case, all or none",
       "ehcpctl append CASE_ID FILE [--expected-version N] "
       "[--idempotency-key KEY]",
       "FILE holds ehcp.v1.ProposedEvent objects in protobuf's JSON mapping:\n"
       "either a JSON array of them or an object {\"events\": [...]} (a\n"
       "journey file of `ehcpctl load` works too). `-` reads standard input.\n"
       "Field names may be lowerCamelCase or as in the proto; enum values\n"
       "are spelled as in the proto.\n"
       "\n"
       "Flags:\n"
       "  --expected-version N     append only if the case is at version N\n"
       "                           (else ABORTED, naming the actual "
       "version).\n"
       "  --idempotency-key KEY    a retry with the same key writes nothing\n"
       "                           and prints the first call's result.\n"
       "\n"
       "Prints each event's version and log position, or that the append\n"
       "was replayed.\n"
       "\n"
       "Examples:\n"
       "  ehcpctl append E06000035-0123456789abcdef events.json\n"
       "  echo '[{\"occurredOn\": \"2026-10-12\", \"payload\": "
       "{\"requestReceived\":\n"
       "        {\"source\": \"REQUEST_SOURCE_PARENT\"}}}]' |\n"
       "    ehcpctl append \"$ID\" - --expected-version 1\n",
       {{"expected-version", true}, {"idempotency-key", true}},
       2,
       2},
      {"show",
       "Show a case's events and its state",
       "ehcpctl show CASE_ID",
       "Prints a table of the case's events (version, log position, date it\n"
       "happened, when it was recorded, what happened and its details),\n"
       "then the case's state: stage, plan in force, key dates, open advice\n"
       "and who statutory notices go to. With --json: one JSON object\n"
       "{\"events\": [...], \"state\": {...}}.\n"
       "\n"
       "Examples:\n"
       "  ehcpctl show E06000035-0123456789abcdef\n"
       "  ehcpctl --json show E06000035-0123456789abcdef\n",
       {},
       1,
       1},
      {"tail",
       "Print the log in commit order; --follow keeps printing new events",
       "ehcpctl tail [--from POSITION] [--follow]",
       "Flags:\n"
       "  --from POSITION   first log position to print (default 1, the "
       "start).\n"
       "  --follow          after the log's end, wait for new events and "
       "print\n"
       "                    them as they commit; Ctrl-C stops.\n"
       "\n"
       "One line per event: position, date, case id and version, what\n"
       "happened. With --json: one JSON event per line.\n"
       "\n"
       "Examples:\n"
       "  ehcpctl tail\n"
       "  ehcpctl tail --from 120 --follow\n",
       {{"from", true}, {"follow", false}},
       0,
       0},
      {"load",
       "Load journeys (demo data) from a directory of JSON files or a file",
       "ehcpctl load DIR_OR_FILE",
       "Each journey file (*.json) is one object:\n"
       "  {\"la_code\": \"E06000035\", \"case_reference\": \"MED-0001\",\n"
       "   \"birth_month\": \"2012-03\", \"opened_on\": \"2023-12-01\",\n"
       "   \"events\": [ProposedEvent, ...]}\n"
       "For each file, in name order: open the case (one already open is\n"
       "skipped, and said so), then append its events in one call with the\n"
       "idempotency key \"demo-load-<case_reference>\". Prints one line per\n"
       "journey and a summary; exits 1 if any journey was refused.\n"
       "\n"
       "Examples:\n"
       "  ehcpctl load deploy/demo\n"
       "  ehcpctl load deploy/demo/01-medway-on-time.json\n",
       {},
       1,
       1},
      {"help",
       "Show help for a command",
       "ehcpctl help [COMMAND]",
       "Examples:\n"
       "  ehcpctl help append\n",
       {},
       0,
       1},
  };
  return *kCommands;
}

const CommandSpec* FindCommand(absl::string_view name) {
  for (const CommandSpec& c : Commands()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

const FlagSpec* FindFlag(absl::Span<const FlagSpec> flags,
                         absl::string_view name) {
  for (const FlagSpec& f : flags) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

absl::Status Usage(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

absl::StatusOr<int64_t> NonNegativeInt(absl::string_view flag,
                                       absl::string_view text) {
  int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value) || value < 0) {
    return Usage(absl::StrCat("--", flag, " needs a whole number >= 0, not \"",
                              text, "\""));
  }
  return value;
}

absl::StatusOr<absl::Duration> Timeout(absl::string_view text) {
  double seconds = 0;
  if (!absl::SimpleAtod(text, &seconds) || !(seconds > 0) ||
      seconds > 24 * 3600) {
    return Usage(absl::StrCat(
        "--timeout needs a number of seconds > 0 (at most a day), not \"", text,
        "\""));
  }
  return absl::Seconds(seconds);
}

// What the flag loop collects before the typed conversion.
struct RawCommandLine {
  const CommandSpec* command = nullptr;
  std::vector<std::string> positional;
  std::map<std::string, std::string, std::less<>> flags;  // command flags
  bool help = false;
};

// Converts the command's raw flags and arguments into its typed arguments.
absl::StatusOr<CommandArgs> TypedArgs(const RawCommandLine& raw) {
  const absl::string_view name = raw.command->name;
  auto flag = [&raw](absl::string_view f) -> const std::string* {
    auto it = raw.flags.find(f);
    return it == raw.flags.end() ? nullptr : &it->second;
  };
  const std::vector<std::string>& pos = raw.positional;
  if (name == "open") {
    OpenArgs a;
    if (flag("la") == nullptr) return Usage("open needs --la CODE");
    if (flag("ref") == nullptr) return Usage("open needs --ref REFERENCE");
    a.la_code = *flag("la");
    a.case_reference = *flag("ref");
    if (flag("birth-month") != nullptr) a.birth_month = *flag("birth-month");
    if (flag("opened-on") != nullptr) a.opened_on = *flag("opened-on");
    return a;
  }
  if (name == "append") {
    AppendArgs a;
    a.case_id = pos[0];
    a.file = pos[1];
    if (const std::string* v = flag("expected-version")) {
      absl::StatusOr<int64_t> n = NonNegativeInt("expected-version", *v);
      if (!n.ok()) return n.status();
      a.expected_version = *n;
    }
    if (const std::string* k = flag("idempotency-key")) {
      if (k->empty()) return Usage("--idempotency-key must not be empty");
      a.idempotency_key = *k;
    }
    return a;
  }
  if (name == "show") return ShowArgs{pos[0]};
  if (name == "tail") {
    TailArgs a;
    if (const std::string* v = flag("from")) {
      absl::StatusOr<int64_t> n = NonNegativeInt("from", *v);
      if (!n.ok()) return n.status();
      a.from_position = std::max<int64_t>(1, *n);
    }
    a.follow = flag("follow") != nullptr;
    return a;
  }
  if (name == "load") return LoadArgs{pos[0]};
  // help
  HelpArgs h;
  if (!pos.empty()) {
    if (FindCommand(pos[0]) == nullptr) {
      return Usage(absl::StrCat("no command \"", pos[0], "\""));
    }
    h.topic = pos[0];
  }
  return h;
}

std::string ArgCountError(const CommandSpec& c, size_t given) {
  if (c.min_args == c.max_args) {
    return absl::StrCat(c.name, " takes ", c.min_args,
                        c.min_args == 1 ? " argument" : " arguments", ", ",
                        given, " given (usage: ", c.usage, ")");
  }
  return absl::StrCat(c.name, " takes ", c.min_args, " to ", c.max_args,
                      " arguments, ", given, " given (usage: ", c.usage, ")");
}

}  // namespace

absl::Span<const absl::string_view> CommandNames() {
  static const auto* const kNames = [] {
    auto* names = new std::vector<absl::string_view>;
    for (const CommandSpec& c : Commands()) names->push_back(c.name);
    return names;
  }();
  return *kNames;
}

absl::StatusOr<Invocation> ParseInvocation(absl::Span<const std::string> args,
                                           absl::string_view env_server) {
  Invocation inv;
  if (!env_server.empty()) inv.global.server = std::string(env_server);
  RawCommandLine raw;
  absl::Status first_error;  // parsing goes on so that --help still wins
  auto fail = [&first_error](absl::Status s) {
    if (first_error.ok()) first_error = std::move(s);
  };
  bool server_given = false, timeout_given = false;
  bool flags_done = false;

  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!flags_done && arg == "--") {
      flags_done = true;
      continue;
    }
    if (!flags_done && arg == "-h") {
      raw.help = true;
      continue;
    }
    if (flags_done || arg == "-" || arg.size() < 2 || arg[0] != '-') {
      if (raw.command == nullptr) {
        raw.command = FindCommand(arg);
        if (raw.command == nullptr) {
          fail(Usage(absl::StrCat("no command \"", arg, "\" (commands: ",
                                  absl::StrJoin(CommandNames(), ", "), ")")));
          // Keep going only to honour a later --help.
          raw.command = FindCommand("help");
        }
        continue;
      }
      raw.positional.push_back(arg);
      continue;
    }
    if (arg[1] != '-') {
      fail(Usage(
          absl::StrCat("unknown flag ", arg, " (flags are written --name)")));
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    const FlagSpec* spec = FindFlag(kGlobalFlags, name);
    const bool global = spec != nullptr;
    if (!global && raw.command != nullptr) {
      spec = FindFlag(raw.command->flags, name);
    }
    if (spec == nullptr) {
      fail(Usage(raw.command == nullptr || raw.command->name == "help"
                     ? absl::StrCat("unknown flag --", name,
                                    " (command flags follow the command)")
                     : absl::StrCat("unknown flag --", name, " for ",
                                    raw.command->name)));
      continue;
    }
    if (spec->takes_value && !value) {
      if (i + 1 >= args.size()) {
        fail(Usage(absl::StrCat("--", name, " needs a value")));
        continue;
      }
      value = args[++i];
    }
    if (!spec->takes_value && value) {
      fail(Usage(absl::StrCat("--", name, " takes no value")));
      continue;
    }
    if (global) {
      if (name == "help") {
        raw.help = true;
      } else if (name == "json") {
        inv.global.json = true;
      } else if (name == "server") {
        if (server_given) fail(Usage("--server given twice"));
        server_given = true;
        if (value->empty()) fail(Usage("--server needs HOST:PORT"));
        inv.global.server = *value;
      } else if (name == "timeout") {
        if (timeout_given) fail(Usage("--timeout given twice"));
        timeout_given = true;
        absl::StatusOr<absl::Duration> t = Timeout(*value);
        if (t.ok()) {
          inv.global.timeout = *t;
        } else {
          fail(t.status());
        }
      }
      continue;
    }
    if (raw.flags.contains(name)) {
      fail(Usage(absl::StrCat("--", name, " given twice")));
      continue;
    }
    raw.flags[name] = value.value_or("true");
  }

  if (raw.help || raw.command == nullptr) {
    inv.command = "help";
    HelpArgs help;
    if (raw.command != nullptr && raw.command->name != "help") {
      help.topic = std::string(raw.command->name);
    } else if (raw.command != nullptr && !raw.positional.empty() &&
               FindCommand(raw.positional[0]) != nullptr) {
      help.topic = raw.positional[0];
    }
    inv.args = help;
    // `ehcpctl --help` and a bare `ehcpctl` are help; a bare `ehcpctl
    // --bogus` is still a usage error.
    if (!raw.help && !first_error.ok()) return first_error;
    return inv;
  }
  if (!first_error.ok()) return first_error;
  const CommandSpec& cmd = *raw.command;
  const int given = static_cast<int>(raw.positional.size());
  if (given < cmd.min_args || given > cmd.max_args) {
    return Usage(ArgCountError(cmd, raw.positional.size()));
  }
  absl::StatusOr<CommandArgs> typed = TypedArgs(raw);
  if (!typed.ok()) return typed.status();
  inv.command = std::string(cmd.name);
  inv.args = *std::move(typed);
  return inv;
}

std::string HelpHint(absl::Span<const std::string> args) {
  for (const std::string& arg : args) {
    if (arg == "--") break;
    if (FindCommand(arg) != nullptr && arg != "help") {
      return absl::StrCat("ehcpctl ", arg, " --help");
    }
  }
  return "ehcpctl --help";
}

std::string HelpText(absl::string_view topic) {
  if (const CommandSpec* c = FindCommand(topic); c != nullptr) {
    return absl::StrCat(c->summary, ".\n\nUsage: ", c->usage, "\n\n",
                        c->details,
                        "\nGlobal flags (--server, --timeout, --json): see "
                        "ehcpctl --help.\n");
  }
  std::string commands;
  for (const CommandSpec& c : Commands()) {
    absl::StrAppend(&commands, "  ", c.name,
                    std::string(8 - std::min<size_t>(7, c.name.size()), ' '),
                    c.summary, "\n");
  }
  return absl::StrCat(
      "ehcpctl - the command line of ehcpd, the EHCP case store.\n"
      "\n"
      "Usage: ehcpctl [--server HOST:PORT] [--timeout SECONDS] [--json] "
      "COMMAND [ARGS]\n"
      "\n"
      "Commands:\n",
      commands,
      "\n"
      "Global flags (before or after the command):\n"
      "  --server HOST:PORT   where ehcpd listens (default: $EHCP_SERVER, "
      "else ",
      kDefaultServer,
      ")\n"
      "  --timeout SECONDS    deadline to connect and for each call "
      "(default ",
      kDefaultTimeoutSeconds,
      ")\n"
      "  --json               print protobuf JSON instead of tables\n"
      "  --help, -h           this help; `ehcpctl COMMAND --help` for a "
      "command\n"
      "Flags are written --flag value or --flag=value.\n"
      "\n"
      "Exit status: 0 done; 1 refused by ehcpd (or another server error);\n"
      "2 ehcpd unreachable, too slow or gone; 64 usage error; 65 malformed\n"
      "input file; 66 input file unreadable.\n"
      "\n"
      "Examples:\n"
      "  ehcpctl load deploy/demo\n"
      "  ID=$(ehcpctl open --la E06000035 --ref MED-2001 --birth-month "
      "2014-06)\n"
      "  ehcpctl append \"$ID\" events.json --expected-version 1\n"
      "  ehcpctl show \"$ID\"\n"
      "  ehcpctl --server 10.0.0.5:50051 tail --follow\n");
}

}  // namespace ehcp::tools
