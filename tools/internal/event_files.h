// Events and journeys written as JSON files, for `ehcpctl append` and
// `ehcpctl load`.
//
// Events use protobuf's JSON mapping of ehcp.v1.ProposedEvent (field names
// lowerCamelCase or as in the proto, enum values as in the proto):
//
//   [{"occurredOn": "2024-01-08",
//     "payload": {"requestReceived": {"source": "REQUEST_SOURCE_PARENT"}}}]
//
// An events file is either that array or an object {"events": [...]}; a
// journey file is an object with the case's header and its events:
//
//   {"la_code": "E06000035", "case_reference": "MED-0001",
//    "birth_month": "2012-03", "opened_on": "2023-12-01", "events": [...]}
//
// Header keys may also be written lowerCamelCase ("laCode"). A journey file
// is also a valid events file (the header is ignored there), so a journey
// whose append was refused can be fixed and appended by hand.
//
// Parsing is pure. Errors are INVALID_ARGUMENT naming the source and the
// element, with protobuf's own message:
//   "j.json: events[3]: invalid value \"REQUEST_SOURCE_MUM\" for enum ..."
// Reading files (ReadInput, ListJsonFiles) is the only I/O here.
//
// Thread safety: pure functions, except ReadInput("-") which reads stdin.
#ifndef EHCP_TOOLS_INTERNAL_EVENT_FILES_H_
#define EHCP_TOOLS_INTERNAL_EVENT_FILES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ehcp/v1/events.pb.h"

namespace ehcp::tools {

namespace v1 = ::ehcp::v1;

// The events of an events file `json` read from `source` (a path, "-" or
// "<stdin>", used only in messages). Returns them in file order, at least
// one. INVALID_ARGUMENT "<source>: ..." when the text is not JSON, is not
// an array or an object with an "events" array, has other keys than
// "events" and a journey's header, holds no events, or when element i does
// not parse as a ProposedEvent ("<source>: events[i]: <protobuf message>";
// unknown fields are errors, so a misspelt name is caught).
absl::StatusOr<std::vector<v1::ProposedEvent>> ParseEventsJson(
    absl::string_view json, absl::string_view source);

// One journey to load: a case's header and its events.
struct Journey {
  std::string source;  // where it was read from
  std::string la_code;
  std::string case_reference;
  std::string birth_month;  // may be empty
  std::string opened_on;    // may be empty (today)
  std::vector<v1::ProposedEvent> events;
};

// Parses a journey file. INVALID_ARGUMENT "<source>: ..." when it is not a
// JSON object, la_code or case_reference is missing or not a string, a
// header value is not a string, a key is unknown, or its events do not
// parse as for ParseEventsJson. Values themselves (codes, dates) are the
// server's to check.
absl::StatusOr<Journey> ParseJourneyJson(absl::string_view json,
                                         absl::string_view source);

// The contents of the file at `path`; "-" reads standard input to its end.
// NOT_FOUND when the file does not exist; FAILED_PRECONDITION when it is a
// directory or cannot be read; the message names the path.
absl::StatusOr<std::string> ReadInput(const std::string& path);

// The journey files at `path`: the "*.json" files of a directory (not its
// subdirectories) in name order, or `path` itself when it is a file.
// NOT_FOUND when nothing is at `path` or the directory holds no *.json;
// FAILED_PRECONDITION when the directory cannot be listed.
absl::StatusOr<std::vector<std::string>> ListJsonFiles(const std::string& path);

}  // namespace ehcp::tools

#endif  // EHCP_TOOLS_INTERNAL_EVENT_FILES_H_
