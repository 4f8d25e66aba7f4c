#include "tools/internal/cli_args.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "google/protobuf/descriptor.h"

namespace ehcp::tools {
namespace {

struct FlagSpec {
  absl::string_view name;  // without the leading "--"
  bool takes_value;
  // May be given more than once; each value may list several, comma-
  // separated.
  bool repeatable = false;
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
    {"server", true},  {"timeout", true},         {"json", false},
    {"help", false},   {"tls-ca", true},          {"tls-cert", true},
    {"tls-key", true}, {"tls-server-name", true}, {"token-file", true},
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
      {"clocks",
       "Show a case's statutory clocks as of a date",
       "ehcpctl clocks CASE_ID [--as-of YYYY-MM-DD] [--as-known-at INSTANT]",
       "One row per clock instance: the clock, its instance, the date it\n"
       "started, its due date (the last compliant day), the date it stopped,\n"
       "its status as of the evaluation date, DAYS (days late when BREACHED,\n"
       "OVERDUE or EXCUSED; \"in N\" days left while PENDING, \"today\" on\n"
       "its due date, \"N ago\" for a decision_not_to_issue clock still open\n"
       "past its due date) and, when EXCUSED, the regulation limb of the\n"
       "exception that excused it. Statuses: PENDING, MET, BREACHED,\n"
       "OVERDUE, EXCUSED, NOT_APPLICABLE (docs/law.md §2).\n"
       "\n"
       "Flags:\n"
       "  --as-of YYYY-MM-DD     evaluate as of this date (default: today,\n"
       "                         Europe/London).\n"
       "  --as-known-at INSTANT  count only events recorded at or before this\n"
       "                         RFC 3339 instant, e.g. 2025-01-01T09:00:00Z:\n"
       "                         the clocks as they were known then.\n"
       "\n"
       "With --json: the GetCaseClocksResponse in protobuf JSON.\n"
       "\n"
       "Examples:\n"
       "  ehcpctl clocks E06000035-0123456789abcdef\n"
       "  ehcpctl clocks \"$ID\" --as-of 2025-09-01\n"
       "  ehcpctl clocks \"$ID\" --as-of 2025-09-01 --as-known-at "
       "2025-01-01T09:00:00Z\n",
       {{"as-of", true}, {"as-known-at", true}},
       1,
       1},
      {"replay",
       "Replay a case's history: each event, when it was recorded, its clocks",
       "ehcpctl replay CASE_ID [--as-of YYYY-MM-DD] [--as-known-at INSTANT]",
       "Prints the case's events in the order they happened (not the order\n"
       "they were recorded), each with the day it was recorded and its lag\n"
       "in days, and under it what the event did to the statutory clocks as\n"
       "of its own date: clocks started (+), stopped or changed status, and\n"
       "gone (-). A void or a superseding event shows the event it takes\n"
       "out beside it; an event taken out by a correction dated after\n"
       "--as-of is shown as removed. Then every clock as of --as-of, as\n"
       "`ehcpctl clocks` shows them. The heading says what was left out:\n"
       "events recorded after --as-known-at, events that occurred after\n"
       "--as-of.\n"
       "\n"
       "Flags:\n"
       "  --as-of YYYY-MM-DD     replay up to this date (default: today,\n"
       "                         Europe/London).\n"
       "  --as-known-at INSTANT  only events recorded at or before this\n"
       "                         RFC 3339 instant: the case as the council\n"
       "                         could see it then.\n"
       "\n"
       "With --json: the ReplayCaseResponse messages in protobuf JSON, one\n"
       "per line (the header first, then one line per entry).\n"
       "\n"
       "Examples:\n"
       "  ehcpctl replay E06000035-0123456789abcdef\n"
       "  ehcpctl replay \"$ID\" --as-of 2025-09-01 --as-known-at "
       "2025-01-01T09:00:00Z\n"
       "  ehcpctl --json replay \"$ID\" > replay.jsonl\n",
       {{"as-of", true}, {"as-known-at", true}},
       1,
       1},
      {"breaches",
       "List late clocks across cases, most days late first",
       "ehcpctl breaches [--la CODE] [--clock ID]... [--status STATUS]... "
       "[--due-from YYYY-MM-DD] [--due-to YYYY-MM-DD] [--as-of YYYY-MM-DD] "
       "[--page-size N] [--page-token TOKEN] [--all]",
       "One row per late clock: case, council, clock, instance, due date,\n"
       "stop date, status and days late. Reads the clock index, which may\n"
       "trail the last append by a moment (see ehcpctl projection).\n"
       "\n"
       "Flags:\n"
       "  --la CODE              one council (ONS code); default: all.\n"
       "  --clock ID             only these clocks (final_plan_20w, advice,\n"
       "                         ...); repeat the flag or separate ids with\n"
       "                         commas.\n"
       "  --status STATUS        only these of the late statuses: BREACHED,\n"
       "                         OVERDUE, EXCUSED (any case); repeatable or\n"
       "                         comma-separated. Default: all three.\n"
       "  --due-from YYYY-MM-DD  only clocks due on or after this date.\n"
       "  --due-to YYYY-MM-DD    only clocks due on or before this date.\n"
       "  --as-of YYYY-MM-DD     evaluate as of this date (default: today).\n"
       "  --page-size N          clocks per page, 1 to 1000 (default: "
       "ehcpd's,\n"
       "                         100).\n"
       "  --page-token TOKEN     continue after the page that printed TOKEN.\n"
       "  --all                  follow every page to the end; one table.\n"
       "\n"
       "Without --all one page is printed and, when more follow, the command\n"
       "for the next page. With --json: the ListBreachesResponse (with --all,\n"
       "one response holding the clocks of every page).\n"
       "\n"
       "Examples:\n"
       "  ehcpctl breaches --la E06000035\n"
       "  ehcpctl breaches --clock final_plan_20w,advice --status breached "
       "--all\n"
       "  ehcpctl breaches --due-from 2024-01-01 --due-to 2024-12-31 --as-of "
       "2025-01-31\n"
       "  ehcpctl --json breaches --all --la E10000016 > breaches.json\n",
       {{"la", true},
        {"clock", true, /*repeatable=*/true},
        {"status", true, /*repeatable=*/true},
        {"due-from", true},
        {"due-to", true},
        {"as-of", true},
        {"page-size", true},
        {"page-token", true},
        {"all", false}},
       0,
       0},
      {"backlog",
       "Overdue reviews, decisions and amendments, aged in months",
       "ehcpctl backlog [--la CODE] [--as-of YYYY-MM-DD] [--cases]",
       "One row per backlog clock (annual_review, review_decision,\n"
       "amendment, phase_transfer, transfer_in_review): how many are open\n"
       "past due, by months past due (0-3, 3-6, 6-12, 12-24, >24), and the\n"
       "total. Excused ones count too: they are still open.\n"
       "\n"
       "Flags:\n"
       "  --la CODE              one council (ONS code); default: all.\n"
       "  --as-of YYYY-MM-DD     evaluate as of this date (default: today).\n"
       "  --cases                then list the cases under each clock: "
       "bucket,\n"
       "                         case, council, instance, due date, days\n"
       "                         overdue, whether excused.\n"
       "\n"
       "With --json: the GetReviewBacklogResponse (always with its entries).\n"
       "\n"
       "Examples:\n"
       "  ehcpctl backlog\n"
       "  ehcpctl backlog --la E06000035 --as-of 2025-09-01 --cases\n",
       {{"la", true}, {"as-of", true}, {"cases", false}},
       0,
       0},
      {"timeliness",
       "SEN2 timeliness of the new plans of a calendar year",
       "ehcpctl timeliness --year YYYY [--la CODE]",
       "As DfE's SEN2 statistics count it (docs/law.md §5): the new\n"
       "plans issued in the year; how many within 20 weeks, including and\n"
       "excluding plans with a 20-week exception; plans with an exception;\n"
       "mean weeks from request to plan; plans over 52 weeks; and the\n"
       "decisions whether to assess made in the year within 6 weeks,\n"
       "including and excluding exceptions.\n"
       "\n"
       "Flags:\n"
       "  --year YYYY            the calendar year, 2014 to 2100. Required.\n"
       "  --la CODE              one council (ONS code); default: all.\n"
       "\n"
       "Examples:\n"
       "  ehcpctl timeliness --year 2024\n"
       "  ehcpctl timeliness --year 2024 --la E10000016 --json\n",
       {{"year", true}, {"la", true}},
       0,
       0},
      {"find",
       "Find a case by its council's own reference",
       "ehcpctl find --la CODE --ref REFERENCE",
       "Prints the case the council opened under REFERENCE: case id,\n"
       "reference, council and stage (one row; more only in a log imported\n"
       "from elsewhere where two cases claim one reference). Not found:\n"
       "exit 1. With --json: the FindCaseResponse.\n"
       "\n"
       "Flags:\n"
       "  --la CODE              the council (ONS code). Required.\n"
       "  --ref REFERENCE        its case reference. Required.\n"
       "\n"
       "Examples:\n"
       "  ehcpctl find --la E06000035 --ref MED-2001\n"
       "  ID=$(ehcpctl --json find --la E06000035 --ref MED-2001 | jq -r "
       "'.cases[0].caseId')\n",
       {{"la", true}, {"ref", true}},
       0,
       0},
      {"cases",
       "List a council's cases by stage",
       "ehcpctl cases [--la CODE] [--stage STAGE]... [--page-size N] "
       "[--page-token TOKEN] [--all]",
       "One row per case: case id, reference, council and stage (where the\n"
       "journey stands, as `ehcpctl show` says), by stage then case id.\n"
       "Stages: opened, awaiting_decision, not_assessed, assessing,\n"
       "not_issued, draft_issued, plan_maintained, ceased, transferred_out.\n"
       "\n"
       "Flags:\n"
       "  --la CODE              one council (ONS code); default: all.\n"
       "  --stage STAGE          only these stages; repeatable or\n"
       "                         comma-separated. Default: every stage.\n"
       "  --page-size N          cases per page, 1 to 1000 (default: "
       "ehcpd's,\n"
       "                         100).\n"
       "  --page-token TOKEN     continue after the page that printed TOKEN.\n"
       "  --all                  follow every page to the end; one table.\n"
       "\n"
       "With --json: the ListCasesResponse (with --all, one response holding\n"
       "the cases of every page).\n"
       "\n"
       "Examples:\n"
       "  ehcpctl cases --la E06000035 --stage assessing,draft_issued\n"
       "  ehcpctl cases --stage awaiting_decision --all\n",
       {{"la", true},
        {"stage", true, /*repeatable=*/true},
        {"page-size", true},
        {"page-token", true},
        {"all", false}},
       0,
       0},
      {"due",
       "Open deadlines due in a window (default: the next 14 days)",
       "ehcpctl due [--la CODE] [--from YYYY-MM-DD] [--to YYYY-MM-DD] "
       "[--as-of YYYY-MM-DD] [--page-size N] [--page-token TOKEN] [--all]",
       "The caseworker's list of what is due: every clock of the deadline\n"
       "kind still open as of the date (PENDING, OVERDUE or EXCUSED) whose\n"
       "due date is in the window, by due date: case id, reference,\n"
       "council, clock, instance, due date, status and days (left, or\n"
       "late).\n"
       "\n"
       "Flags:\n"
       "  --la CODE              one council (ONS code); default: all.\n"
       "  --from YYYY-MM-DD      due on or after this date (default: as of).\n"
       "  --to YYYY-MM-DD        due on or before this date (default: 14 "
       "days\n"
       "                         after as of).\n"
       "  --as-of YYYY-MM-DD     evaluate as of this date (default: today).\n"
       "  --page-size N          clocks per page, 1 to 1000 (default: "
       "ehcpd's,\n"
       "                         100).\n"
       "  --page-token TOKEN     continue after the page that printed TOKEN.\n"
       "  --all                  follow every page to the end; one table.\n"
       "\n"
       "With --json: the ListDeadlinesResponse (with --all, one response\n"
       "holding the clocks of every page).\n"
       "\n"
       "Examples:\n"
       "  ehcpctl due --la E06000035\n"
       "  ehcpctl due --la E06000035 --from 2025-01-01 --to 2025-03-31 "
       "--all\n",
       {{"la", true},
        {"from", true},
        {"to", true},
        {"as-of", true},
        {"page-size", true},
        {"page-token", true},
        {"all", false}},
       0,
       0},
      {"alerts",
       "Alerts raised as the days pass; --follow keeps printing new ones",
       "ehcpctl alerts [--from N] [--follow] [--la CODE] [--clock ID]... "
       "[--kind KIND]...",
       "Prints the alert log from a sequence number, one alert per line:\n"
       "sequence, the day it was raised, its kind (DUE_SOON, BREACHED,\n"
       "RESOLVED, WITHDRAWN), council, reference, clock#instance, due date,\n"
       "days left or late, case id (docs/alerts.md explains each kind).\n"
       "\n"
       "Flags:\n"
       "  --from N          start at alert N (default: 1, the first).\n"
       "  --follow          after the last alert, wait for new ones and print\n"
       "                    them as they are raised, until Ctrl-C. When ehcpd\n"
       "                    goes away it reconnects and resumes after the "
       "last\n"
       "                    alert printed: none is missed, none printed "
       "twice.\n"
       "  --la CODE         one council (ONS code); default: all.\n"
       "  --clock ID        only these clocks (annual_review, ...); repeat "
       "the\n"
       "                    flag or separate ids with commas.\n"
       "  --kind KIND       only these kinds (due-soon, breached, resolved,\n"
       "                    withdrawn; any case); repeatable or\n"
       "                    comma-separated.\n"
       "\n"
       "Without --follow a last line says where to resume (\"ehcpctl alerts\n"
       "--from N\"). With --json: one Alert (protobuf JSON) per line, and\n"
       "nothing else.\n"
       "\n"
       "Examples:\n"
       "  ehcpctl alerts --la E06000035 --kind breached\n"
       "  ehcpctl --json alerts --follow --from 1 >> alerts.jsonl\n",
       {{"from", true},
        {"follow", false},
        {"la", true},
        {"clock", true, /*repeatable=*/true},
        {"kind", true, /*repeatable=*/true}},
       0,
       0},
      {"today",
       "The server's today; moves a simulated today forward",
       "ehcpctl today [--set YYYY-MM-DD | --advance DAYS]",
       "Prints the date ehcpd takes as today (the Europe/London date, or a\n"
       "simulated one when ehcpd was started with --today) and the day the\n"
       "alert scheduler has reached.\n"
       "\n"
       "Flags (a server started with --today only; the date never moves\n"
       "back, because alerts once raised stay raised):\n"
       "  --set YYYY-MM-DD  move today to this date.\n"
       "  --advance DAYS    move today on by 1 to 3660 days.\n"
       "\n"
       "Examples:\n"
       "  ehcpctl today\n"
       "  ehcpctl today --advance 30 && ehcpctl alerts --from 1\n",
       {{"set", true}, {"advance", true}},
       0,
       0},
      {"projection",
       "How far the clock index has read the log",
       "ehcpctl projection",
       "Prints the clock index's checkpoint (the last log position it has\n"
       "applied), the log's head position, the lag between them (events not\n"
       "yet in the reports of breaches, backlog and timeliness), how many\n"
       "cases it holds clocks for, and a rebuild under way: its phase, the\n"
       "events indexed of the total, the rate and the time left.\n"
       "\n"
       "Examples:\n"
       "  ehcpctl projection\n"
       "  ehcpctl --json projection\n",
       {},
       0,
       0},
      {"rebuild",
       "Rebuild the clock index from the start of the log",
       "ehcpctl rebuild",
       "Builds a new clock index from the whole log beside the live one,\n"
       "which goes on answering reports, and swaps it in once it has caught\n"
       "up with the log; then prints the position reached, the events read\n"
       "and the cases indexed. Meanwhile standard error shows a progress\n"
       "line (events indexed, rate, time left), as `ehcpctl projection`\n"
       "does. On a large log this takes a while: the call may take up to\n"
       "600 seconds unless --timeout says otherwise (connecting: 10\n"
       "seconds, or --timeout).\n"
       "\n"
       "Examples:\n"
       "  ehcpctl rebuild\n"
       "  ehcpctl --timeout 3600 rebuild\n",
       {},
       0,
       0},
      {"digest",
       "Print the log's digest, to prove later that it was not altered",
       "ehcpctl digest",
       "Prints the log's digest, \"<position>:<sha-256 hex>\": the last\n"
       "position and the hash of its record, which the hash chain ties to\n"
       "every record before it. Keep it (with the date): `ehcpctl verify\n"
       "--against DIGEST` proves later that the log as it was then is an\n"
       "unaltered prefix of the log as it is.\n"
       "\n"
       "Examples:\n"
       "  ehcpctl digest\n"
       "  ehcpctl --json digest\n",
       {},
       0,
       0},
      {"verify",
       "Verify the log's hash chain; with a digest, that it was not altered",
       "ehcpctl verify [--from N] [--to N] [--against DIGEST]",
       "Recomputes the hash chain of the log (every record's SHA-256 against\n"
       "the one its successor stores) and prints the verdict: intact, or the\n"
       "first position that fails and why. Standard error shows a progress\n"
       "line meanwhile. Exit status 0 when intact, 1 when not.\n"
       "\n"
       "Flags:\n"
       "  --from N          first position to check (default: the start)\n"
       "  --to N            last position to check (default: the head)\n"
       "  --against DIGEST  a digest from `ehcpctl digest`: also checks the\n"
       "                    whole log up to its position and that the record\n"
       "                    there still has its hash\n"
       "On a large log this takes a while: the call may take up to 600\n"
       "seconds unless --timeout says otherwise.\n"
       "\n"
       "Examples:\n"
       "  ehcpctl verify\n"
       "  ehcpctl verify --against 125000:3f1c...e9\n"
       "  ehcpctl verify --from 1000 --to 2000\n",
       {{"from", true}, {"to", true}, {"against", true}},
       0,
       0},
      {"export",
       "Write the log, or one case, as JSON lines with positions and hashes",
       "ehcpctl export [--case ID] [--from N] [--to N] [--out FILE]",
       "Writes one line per record of the log, in position order: its\n"
       "position, its hash and the hash before it (the hash chain), the\n"
       "event (case, version, when it happened, when it was recorded, what\n"
       "happened) and the record's stored bytes, exactly, in base64 (what\n"
       "the hashes are over, and what `ehcpctl import` writes back). Each\n"
       "line is an ExportedRecord in protobuf JSON. Standard error shows\n"
       "progress meanwhile.\n"
       "\n"
       "An export of the whole log (no --case, no --from or --to) can be\n"
       "imported into an empty server; an export of one case is for\n"
       "reading, or for a subject access request.\n"
       "\n"
       "Flags:\n"
       "  --case ID    only this case's records\n"
       "  --from N     first position (default: the start)\n"
       "  --to N       last position (default: the head when the export\n"
       "               starts)\n"
       "  --out FILE   write to FILE (written as FILE.partial and renamed\n"
       "               when complete, so FILE is never half written);\n"
       "               default: standard output\n"
       "The call may take up to 600 seconds unless --timeout says otherwise.\n"
       "\n"
       "Examples:\n"
       "  ehcpctl export --out ehcp-log.jsonl\n"
       "  ehcpctl export --case E06000035-0123456789abcdef\n",
       {{"case", true}, {"from", true}, {"to", true}, {"out", true}},
       0,
       0},
      {"import",
       "Import a whole-log export into an empty ehcpd",
       "ehcpctl import FILE",
       "Sends the records of an export (`ehcpctl export`, whole log) to\n"
       "ehcpd, whose log must be empty: start it on a new data directory.\n"
       "ehcpd checks every record as it comes: positions 1, 2, ... with no\n"
       "gap, each record's hash chained to the one before, its bytes the\n"
       "hash the line gives, its event the one its bytes hold. A bad line\n"
       "or a refused record names the line or the position, and nothing\n"
       "is imported; otherwise all records are added at once and the\n"
       "log's digest is printed, the same as the source's `ehcpctl digest`\n"
       "at the position the export reached. The clock index then catches\n"
       "up (ehcpctl projection shows it). Idempotency keys of earlier\n"
       "appends are not carried over. FILE \"-\" reads standard input.\n"
       "\n"
       "Examples:\n"
       "  ehcpctl --server 127.0.0.1:50052 import ehcp-log.jsonl\n",
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

// A real calendar date written YYYY-MM-DD.
bool IsDate(absl::string_view text) {
  absl::CivilDay day;
  return text.size() == 10 && absl::ParseCivilTime(text, &day) &&
         absl::FormatCivilTime(day) == text;
}

absl::Status CheckDate(absl::string_view flag, absl::string_view text) {
  if (IsDate(text)) return absl::OkStatus();
  return Usage(
      absl::StrCat("--", flag, " needs a date YYYY-MM-DD, not \"", text, "\""));
}

// An RFC 3339 instant with its zone: 2025-01-01T09:00:00Z,
// 2025-06-01T10:00:00.5+01:00.
absl::StatusOr<absl::Time> Instant(absl::string_view flag,
                                   absl::string_view text) {
  absl::Time t;
  std::string ignored;
  // absl takes 't' for 'T' and 'z' for 'Z'; RFC 3339 allows both.
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &ignored) ||
      text.size() < 20 || !IsDate(text.substr(0, 10))) {
    return Usage(absl::StrCat("--", flag,
                              " needs an RFC 3339 instant with its zone, e.g. "
                              "2025-01-01T09:00:00Z, not \"",
                              text, "\""));
  }
  return t;
}

// A value of a protobuf enum by its name, with or without `prefix`, in
// any case, '-' or ' ' for '_' ("breached", "CLOCK_STATUS_BREACHED",
// "plan-maintained"); never the UNSPECIFIED value (number 0). Otherwise a
// usage error naming --`flag` and listing the names (lower case when
// `lower`): "--status: no status \"x\" (statuses: BREACHED, ...)".
template <typename Enum>
absl::StatusOr<Enum> EnumByName(const google::protobuf::EnumDescriptor* type,
                                absl::string_view prefix,
                                absl::string_view flag, absl::string_view noun,
                                absl::string_view plural, bool lower,
                                absl::string_view text) {
  std::string name = absl::AsciiStrToUpper(text);
  std::replace(name.begin(), name.end(), '-', '_');
  std::replace(name.begin(), name.end(), ' ', '_');
  absl::string_view short_name = name;
  absl::ConsumePrefix(&short_name, prefix);
  const google::protobuf::EnumValueDescriptor* value =
      type->FindValueByName(absl::StrCat(prefix, short_name));
  if (value != nullptr && value->number() != 0) {
    return static_cast<Enum>(value->number());
  }
  std::vector<std::string> names;
  for (int i = 0; i < type->value_count(); ++i) {
    if (type->value(i)->number() == 0) continue;
    absl::string_view n = type->value(i)->name();
    absl::ConsumePrefix(&n, prefix);
    names.push_back(lower ? absl::AsciiStrToLower(n) : std::string(n));
  }
  return Usage(absl::StrCat("--", flag, ": no ", noun, " \"", text, "\" (",
                            plural, ": ", absl::StrJoin(names, ", "), ")"));
}

absl::StatusOr<v1::ClockStatus> ClockStatusByName(absl::string_view text) {
  return EnumByName<v1::ClockStatus>(v1::ClockStatus_descriptor(),
                                     "CLOCK_STATUS_", "status", "status",
                                     "statuses", /*lower=*/false, text);
}

absl::StatusOr<v1::CaseStage> CaseStageByName(absl::string_view text) {
  return EnumByName<v1::CaseStage>(v1::CaseStage_descriptor(), "CASE_STAGE_",
                                   "stage", "stage", "stages", /*lower=*/true,
                                   text);
}

absl::StatusOr<v1::AlertKind> AlertKindByName(absl::string_view text) {
  return EnumByName<v1::AlertKind>(v1::AlertKind_descriptor(), "ALERT_KIND_",
                                   "kind", "kind", "kinds", /*lower=*/false,
                                   text);
}

// The values of a repeatable flag, each split at commas, trimmed.
absl::StatusOr<std::vector<std::string>> ListValues(
    absl::string_view flag, const std::vector<std::string>& given) {
  std::vector<std::string> out;
  for (const std::string& value : given) {
    for (absl::string_view piece : absl::StrSplit(value, ',')) {
      piece = absl::StripAsciiWhitespace(piece);
      if (piece.empty()) {
        return Usage(
            absl::StrCat("--", flag, " has an empty value in \"", value, "\""));
      }
      out.emplace_back(piece);
    }
  }
  return out;
}

// What the flag loop collects before the typed conversion.
struct RawCommandLine {
  const CommandSpec* command = nullptr;
  std::vector<std::string> positional;
  // Command flags: every value given, in order (one unless repeatable).
  std::map<std::string, std::vector<std::string>, std::less<>> flags;
  bool help = false;
};

// Converts the command's raw flags and arguments into its typed arguments.
absl::StatusOr<CommandArgs> TypedArgs(const RawCommandLine& raw) {
  const absl::string_view name = raw.command->name;
  auto flag = [&raw](absl::string_view f) -> const std::string* {
    auto it = raw.flags.find(f);
    return it == raw.flags.end() ? nullptr : &it->second.back();
  };
  // A date flag's value into `into`, when given.
  auto date = [&flag](absl::string_view f, std::string* into) {
    const std::string* v = flag(f);
    if (v == nullptr) return absl::OkStatus();
    *into = *v;
    return CheckDate(f, *v);
  };
  // --la's value into `into`, when given.
  auto la = [&flag](std::string* into) {
    const std::string* v = flag("la");
    if (v == nullptr) return absl::OkStatus();
    if (v->empty()) return Usage("--la needs a council's ONS code");
    *into = *v;
    return absl::OkStatus();
  };
  // --clock's values (repeatable, comma-separated) into `into`.
  auto clocks = [&raw](std::vector<std::string>* into) -> absl::Status {
    auto it = raw.flags.find("clock");
    if (it == raw.flags.end()) return absl::OkStatus();
    absl::StatusOr<std::vector<std::string>> ids =
        ListValues("clock", it->second);
    if (!ids.ok()) return ids.status();
    *into = *std::move(ids);
    return absl::OkStatus();
  };
  // A repeatable flag of enum names (--status, --stage, --kind), each read
  // by `parse`, once each, in the order given, into `into`.
  auto names_of = [&raw](absl::string_view f, auto parse,
                         auto* into) -> absl::Status {
    auto it = raw.flags.find(f);
    if (it == raw.flags.end()) return absl::OkStatus();
    absl::StatusOr<std::vector<std::string>> names = ListValues(f, it->second);
    if (!names.ok()) return names.status();
    for (const std::string& n : *names) {
      auto value = parse(n);
      if (!value.ok()) return value.status();
      if (std::find(into->begin(), into->end(), *value) == into->end()) {
        into->push_back(*value);
      }
    }
    return absl::OkStatus();
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
  // A case as of a date, as known at an instant (clocks, replay).
  auto case_as_of = [&](auto a) -> absl::StatusOr<CommandArgs> {
    a.case_id = pos[0];
    if (absl::Status s = date("as-of", &a.as_of); !s.ok()) return s;
    if (const std::string* v = flag("as-known-at")) {
      absl::StatusOr<absl::Time> t = Instant("as-known-at", *v);
      if (!t.ok()) return t.status();
      a.as_known_at = *t;
    }
    return a;
  };
  if (name == "clocks") return case_as_of(ClocksArgs());
  if (name == "replay") return case_as_of(ReplayArgs());
  // A range of positions (verify, export): --from and --to.
  auto range = [&](int64_t* from, int64_t* to) -> absl::Status {
    if (const std::string* v = flag("from")) {
      absl::StatusOr<int64_t> n = NonNegativeInt("from", *v);
      if (!n.ok()) return n.status();
      *from = *n;
    }
    if (const std::string* v = flag("to")) {
      absl::StatusOr<int64_t> n = NonNegativeInt("to", *v);
      if (!n.ok()) return n.status();
      *to = *n;
    }
    if (*to != 0 && *to < *from) {
      return Usage(absl::StrCat("--to ", *to, " is before --from ", *from));
    }
    return absl::OkStatus();
  };
  if (name == "breaches") {
    BreachesArgs a;
    if (absl::Status s = la(&a.la_code); !s.ok()) return s;
    if (absl::Status s = clocks(&a.clock_ids); !s.ok()) return s;
    if (absl::Status s = names_of("status", ClockStatusByName, &a.statuses);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = date("due-from", &a.due_from); !s.ok()) return s;
    if (absl::Status s = date("due-to", &a.due_to); !s.ok()) return s;
    if (!a.due_from.empty() && !a.due_to.empty() && a.due_to < a.due_from) {
      return Usage(absl::StrCat("--due-to ", a.due_to, " is before --due-from ",
                                a.due_from));
    }
    if (absl::Status s = date("as-of", &a.as_of); !s.ok()) return s;
    if (const std::string* v = flag("page-size")) {
      int32_t n = 0;
      if (!absl::SimpleAtoi(*v, &n) || n < 1 || n > 1000) {
        return Usage(absl::StrCat(
            "--page-size needs a whole number from 1 to 1000, not \"", *v,
            "\""));
      }
      a.page_size = n;
    }
    if (const std::string* v = flag("page-token")) {
      if (v->empty()) return Usage("--page-token must not be empty");
      a.page_token = *v;
    }
    a.all = flag("all") != nullptr;
    return a;
  }
  // --page-size, --page-token and --all (breaches, cases, due).
  auto paging = [&flag](int32_t* size, std::string* token,
                        bool* all) -> absl::Status {
    if (const std::string* v = flag("page-size")) {
      int32_t n = 0;
      if (!absl::SimpleAtoi(*v, &n) || n < 1 || n > 1000) {
        return Usage(absl::StrCat(
            "--page-size needs a whole number from 1 to 1000, not \"", *v,
            "\""));
      }
      *size = n;
    }
    if (const std::string* v = flag("page-token")) {
      if (v->empty()) return Usage("--page-token must not be empty");
      *token = *v;
    }
    *all = flag("all") != nullptr;
    return absl::OkStatus();
  };
  if (name == "find") {
    FindArgs a;
    if (flag("la") == nullptr) return Usage("find needs --la CODE");
    if (flag("ref") == nullptr) return Usage("find needs --ref REFERENCE");
    if (absl::Status s = la(&a.la_code); !s.ok()) return s;
    a.case_reference = *flag("ref");
    if (a.case_reference.empty()) return Usage("--ref must not be empty");
    return a;
  }
  if (name == "cases") {
    CasesArgs a;
    if (absl::Status s = la(&a.la_code); !s.ok()) return s;
    if (absl::Status s = names_of("stage", CaseStageByName, &a.stages);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = paging(&a.page_size, &a.page_token, &a.all); !s.ok()) {
      return s;
    }
    return a;
  }
  if (name == "due") {
    DueArgs a;
    if (absl::Status s = la(&a.la_code); !s.ok()) return s;
    if (absl::Status s = date("from", &a.due_from); !s.ok()) return s;
    if (absl::Status s = date("to", &a.due_to); !s.ok()) return s;
    if (!a.due_from.empty() && !a.due_to.empty() && a.due_to < a.due_from) {
      return Usage(
          absl::StrCat("--to ", a.due_to, " is before --from ", a.due_from));
    }
    if (absl::Status s = date("as-of", &a.as_of); !s.ok()) return s;
    if (absl::Status s = paging(&a.page_size, &a.page_token, &a.all); !s.ok()) {
      return s;
    }
    return a;
  }
  if (name == "alerts") {
    AlertsArgs a;
    if (const std::string* v = flag("from")) {
      if (!absl::SimpleAtoi(*v, &a.from_sequence) || a.from_sequence < 1) {
        return Usage(absl::StrCat(
            "--from needs an alert sequence number (1 or more), not \"", *v,
            "\""));
      }
    }
    a.follow = flag("follow") != nullptr;
    if (absl::Status s = la(&a.la_code); !s.ok()) return s;
    if (absl::Status s = clocks(&a.clock_ids); !s.ok()) return s;
    if (absl::Status s = names_of("kind", AlertKindByName, &a.kinds); !s.ok()) {
      return s;
    }
    return a;
  }
  if (name == "today") {
    TodayArgs a;
    if (absl::Status s = date("set", &a.set); !s.ok()) return s;
    if (const std::string* v = flag("advance")) {
      if (!absl::SimpleAtoi(*v, &a.advance) || a.advance < 1 ||
          a.advance > 3660) {
        return Usage(absl::StrCat(
            "--advance needs a number of days from 1 to 3660, not \"", *v,
            "\""));
      }
    }
    if (!a.set.empty() && a.advance != 0) {
      return Usage("today takes --set or --advance, not both");
    }
    return a;
  }
  if (name == "backlog") {
    BacklogArgs a;
    if (absl::Status s = la(&a.la_code); !s.ok()) return s;
    if (absl::Status s = date("as-of", &a.as_of); !s.ok()) return s;
    a.cases = flag("cases") != nullptr;
    return a;
  }
  if (name == "timeliness") {
    TimelinessArgs a;
    const std::string* year = flag("year");
    if (year == nullptr) return Usage("timeliness needs --year YYYY");
    if (!absl::SimpleAtoi(*year, &a.year) || a.year < 2014 || a.year > 2100) {
      return Usage(
          absl::StrCat("--year needs a calendar year from 2014 to 2100, not \"",
                       *year, "\""));
    }
    if (absl::Status s = la(&a.la_code); !s.ok()) return s;
    return a;
  }
  if (name == "projection") return ProjectionArgs{};
  if (name == "rebuild") return RebuildArgs{};
  if (name == "digest") return DigestArgs{};
  if (name == "verify") {
    VerifyArgs a;
    if (absl::Status s = range(&a.from_position, &a.to_position); !s.ok()) {
      return s;
    }
    if (const std::string* v = flag("against")) {
      if (v->find(':') == std::string::npos) {
        return Usage(absl::StrCat(
            "--against needs a digest \"<position>:<hex>\" as `ehcpctl "
            "digest` prints it, not \"",
            *v, "\""));
      }
      a.against = *v;
    }
    return a;
  }
  if (name == "export") {
    ExportArgs a;
    if (const std::string* v = flag("case")) a.case_id = *v;
    if (absl::Status s = range(&a.from_position, &a.to_position); !s.ok()) {
      return s;
    }
    if (!a.case_id.empty() && (a.from_position != 0 || a.to_position != 0)) {
      return Usage("--case exports the whole case: it takes no --from or --to");
    }
    if (const std::string* v = flag("out")) a.out = *v;
    return a;
  }
  if (name == "import") return ImportArgs{pos[0]};
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
      } else if (absl::StartsWith(name, "tls-")) {
        std::string* into = name == "tls-ca"     ? &inv.global.tls_ca
                            : name == "tls-cert" ? &inv.global.tls_cert
                            : name == "tls-key"  ? &inv.global.tls_key
                                                 : &inv.global.tls_server_name;
        if (!into->empty())
          fail(Usage(absl::StrCat("--", name, " given twice")));
        if (value->empty()) {
          fail(Usage(absl::StrCat("--", name, " needs a value")));
        }
        *into = *value;
      } else if (name == "token-file") {
        if (!inv.global.token_file.empty()) {
          fail(Usage("--token-file given twice"));
        }
        if (value->empty()) fail(Usage("--token-file needs a value"));
        inv.global.token_file = *value;
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
    if (raw.flags.contains(name) && !spec->repeatable) {
      fail(Usage(absl::StrCat("--", name, " given twice")));
      continue;
    }
    raw.flags[name].push_back(value.value_or("true"));
  }

  if (inv.global.tls_cert.empty() != inv.global.tls_key.empty()) {
    fail(
        Usage("--tls-cert and --tls-key go together (a client certificate "
              "and its key)"));
  } else if (!inv.global.tls_cert.empty() && inv.global.tls_ca.empty()) {
    fail(Usage("--tls-cert needs --tls-ca (the CA of ehcpd's certificate)"));
  } else if (!inv.global.tls_server_name.empty() && inv.global.tls_ca.empty()) {
    fail(Usage("--tls-server-name needs --tls-ca"));
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
  inv.global.call_timeout = inv.global.timeout;
  if (!timeout_given && (cmd.name == "rebuild" || cmd.name == "verify" ||
                         cmd.name == "export" || cmd.name == "import")) {
    inv.global.call_timeout = absl::Seconds(kRebuildTimeoutSeconds);
  }
  return inv;
}

namespace {

// `word` as a POSIX shell reads it back: as it is when it is safe, else in
// single quotes.
std::string ShellWord(absl::string_view word) {
  const bool safe =
      !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
        return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
               absl::string_view("_@%+=:,./-").find(c) !=
                   absl::string_view::npos;
      });
  if (safe) return std::string(word);
  return absl::StrCat("'", absl::StrReplaceAll(word, {{"'", "'\\''"}}), "'");
}

}  // namespace

std::string BreachesCommandLine(const BreachesArgs& a) {
  std::string out = "ehcpctl breaches";
  auto add = [&out](absl::string_view flag, absl::string_view value) {
    if (value.empty()) return;
    absl::StrAppend(&out, " --", flag, " ", ShellWord(value));
  };
  add("la", a.la_code);
  add("clock", absl::StrJoin(a.clock_ids, ","));
  std::vector<std::string> statuses;
  for (v1::ClockStatus s : a.statuses) {
    absl::string_view name = v1::ClockStatus_Name(s);
    absl::ConsumePrefix(&name, "CLOCK_STATUS_");
    statuses.emplace_back(name);
  }
  add("status", absl::StrJoin(statuses, ","));
  add("due-from", a.due_from);
  add("due-to", a.due_to);
  add("as-of", a.as_of);
  if (a.page_size > 0) add("page-size", absl::StrCat(a.page_size));
  add("page-token", a.page_token);
  if (a.all) absl::StrAppend(&out, " --all");
  return out;
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
  size_t width = 0;
  for (const CommandSpec& c : Commands()) {
    width = std::max(width, c.name.size());
  }
  std::string commands;
  for (const CommandSpec& c : Commands()) {
    absl::StrAppend(&commands, "  ", c.name,
                    std::string(width + 2 - c.name.size(), ' '), c.summary,
                    "\n");
  }
  return absl::StrCat(
      "ehcpctl - the command line of ehcpd, the EHCP case store.\n"
      "\n"
      "Usage: ehcpctl [--server HOST:PORT] [--timeout SECONDS] [--json] "
      "[--tls-ca FILE ...] COMMAND [ARGS]\n"
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
      ";\n"
      "                       the call of rebuild, verify, export and "
      "import: ",
      kRebuildTimeoutSeconds,
      ")\n"
      "  --json               print protobuf JSON instead of tables\n"
      "  --tls-ca FILE        speak TLS, trusting the CA (PEM) that signed\n"
      "                       ehcpd's certificate\n"
      "  --tls-cert FILE, --tls-key FILE\n"
      "                       a client certificate and key (PEM) for an\n"
      "                       ehcpd with mutual TLS (--tls_client_ca)\n"
      "  --tls-server-name NAME\n"
      "                       the name ehcpd's certificate must carry, when\n"
      "                       not the host of --server\n"
      "  --token-file FILE    send the bearer token in FILE (its first line)\n"
      "                       as `authorization: Bearer <token>` on every\n"
      "                       call (default: $EHCP_TOKEN_FILE); for an ehcpd\n"
      "                       with --principals_file\n"
      "  --help, -h           this help; `ehcpctl COMMAND --help` for a "
      "command\n"
      "  --version            the version and build type (alone)\n"
      "Flags are written --flag value or --flag=value.\n"
      "\n"
      "Exit status: 0 done; 1 refused by ehcpd (or another server error);\n"
      "2 ehcpd unreachable, too slow or gone; 64 usage error; 65 malformed\n"
      "input file; 66 input file unreadable; 73 output file unwritable.\n"
      "\n"
      "Examples:\n"
      "  ehcpctl load deploy/demo\n"
      "  ID=$(ehcpctl open --la E06000035 --ref MED-2001 --birth-month "
      "2014-06)\n"
      "  ehcpctl append \"$ID\" events.json --expected-version 1\n"
      "  ehcpctl show \"$ID\"\n"
      "  ehcpctl clocks \"$ID\" --as-of 2025-09-01\n"
      "  ehcpctl breaches --la E06000035 --status overdue --all\n"
      "  ehcpctl backlog --la E06000035 --cases\n"
      "  ehcpctl timeliness --year 2024\n"
      "  ehcpctl find --la E06000035 --ref MED-2001\n"
      "  ehcpctl cases --la E06000035 --stage assessing\n"
      "  ehcpctl due --la E06000035\n"
      "  ehcpctl --server 10.0.0.5:50051 tail --follow\n");
}

}  // namespace ehcp::tools
