#include "tools/internal/event_files.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace ehcp::tools {
namespace {

namespace pb = ::google::protobuf;

// Journey header keys, as written in the proto and in lowerCamelCase.
struct HeaderKey {
  absl::string_view snake;
  absl::string_view camel;
  std::string Journey::*field;
};
const HeaderKey kHeaderKeys[] = {
    {"la_code", "laCode", &Journey::la_code},
    {"case_reference", "caseReference", &Journey::case_reference},
    {"birth_month", "birthMonth", &Journey::birth_month},
    {"opened_on", "openedOn", &Journey::opened_on},
};

const HeaderKey* FindHeaderKey(absl::string_view key) {
  for (const HeaderKey& h : kHeaderKeys) {
    if (key == h.snake || key == h.camel) return &h;
  }
  return nullptr;
}

// protobuf's messages may span lines (a caret under the offending token);
// ehcpctl prints errors on one line.
std::string OneLine(absl::string_view message) {
  std::string s = absl::StrReplaceAll(message, {{"\n", " "}, {"\r", " "}});
  return std::string(absl::StripAsciiWhitespace(s));
}

// protobuf reports a JSON syntax error as "<what>\n<text from the error
// on>\n<caret>"; this keeps what and where on one line.
std::string JsonSyntaxError(absl::string_view message) {
  std::vector<absl::string_view> lines = absl::StrSplit(message, '\n');
  std::string out =
      absl::StrCat("not valid JSON: ", absl::StripAsciiWhitespace(lines[0]));
  if (lines.size() >= 2) {
    absl::string_view rest = absl::StripAsciiWhitespace(lines[1]);
    if (rest.empty()) {
      absl::StrAppend(&out, " (at the end)");
    } else {
      if (rest.size() > 30) rest = rest.substr(0, 30);
      absl::StrAppend(&out, " (at \"", OneLine(rest), "\")");
    }
  }
  return out;
}

absl::Status Invalid(absl::string_view source, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(source, ": ", what));
}

absl::StatusOr<pb::Value> ParseValue(absl::string_view json,
                                     absl::string_view source) {
  pb::Value value;
  pb::util::Status s = pb::util::JsonStringToMessage(
      pb::StringPiece(json.data(), json.size()), &value);
  if (!s.ok()) {
    return Invalid(source, JsonSyntaxError(std::string(s.message())));
  }
  return value;
}

// Parses each element of `list` as a ProposedEvent.
absl::StatusOr<std::vector<v1::ProposedEvent>> ParseEventList(
    const pb::ListValue& list, absl::string_view source) {
  if (list.values().empty()) return Invalid(source, "no events");
  std::vector<v1::ProposedEvent> events;
  events.reserve(list.values_size());
  pb::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  for (int i = 0; i < list.values_size(); ++i) {
    const pb::Value& element = list.values(i);
    const std::string where = absl::StrCat("events[", i, "]");
    if (!element.has_struct_value()) {
      return Invalid(source, absl::StrCat(where, ": not a JSON object"));
    }
    std::string text;
    pb::util::Status s = pb::util::MessageToJsonString(element, &text);
    v1::ProposedEvent event;
    if (s.ok()) s = pb::util::JsonStringToMessage(text, &event, options);
    if (!s.ok()) {
      return Invalid(
          source, absl::StrCat(where, ": ", OneLine(std::string(s.message()))));
    }
    events.push_back(std::move(event));
  }
  return events;
}

// The "events" array of an object; other keys must be journey header keys
// (the caller validates their values when it uses them).
absl::StatusOr<std::vector<v1::ProposedEvent>> EventsOfObject(
    const pb::Struct& object, absl::string_view source) {
  std::vector<std::string> unknown;
  for (const auto& [key, value] : object.fields()) {
    if (key != "events" && FindHeaderKey(key) == nullptr)
      unknown.push_back(key);
  }
  if (!unknown.empty()) {
    std::sort(unknown.begin(), unknown.end());
    return Invalid(source, absl::StrCat("unknown key \"", unknown.front(),
                                        "\" (expected \"events\" and a "
                                        "journey's la_code, case_reference, "
                                        "birth_month, opened_on)"));
  }
  auto it = object.fields().find("events");
  if (it == object.fields().end()) {
    return Invalid(source, "no \"events\" array");
  }
  if (!it->second.has_list_value()) {
    return Invalid(source, "\"events\" is not a JSON array");
  }
  return ParseEventList(it->second.list_value(), source);
}

}  // namespace

absl::StatusOr<std::vector<v1::ProposedEvent>> ParseEventsJson(
    absl::string_view json, absl::string_view source) {
  absl::StatusOr<pb::Value> value = ParseValue(json, source);
  if (!value.ok()) return value.status();
  if (value->has_list_value()) {
    return ParseEventList(value->list_value(), source);
  }
  if (value->has_struct_value()) {
    return EventsOfObject(value->struct_value(), source);
  }
  return Invalid(source,
                 "expected a JSON array of events or an object {\"events\": "
                 "[...]}");
}

absl::StatusOr<Journey> ParseJourneyJson(absl::string_view json,
                                         absl::string_view source) {
  absl::StatusOr<pb::Value> value = ParseValue(json, source);
  if (!value.ok()) return value.status();
  if (!value->has_struct_value()) {
    return Invalid(source,
                   "a journey is a JSON object {\"la_code\": ..., "
                   "\"case_reference\": ..., \"events\": [...]}");
  }
  const pb::Struct& object = value->struct_value();
  Journey journey;
  journey.source = std::string(source);
  for (const auto& [key, v] : object.fields()) {
    const HeaderKey* h = FindHeaderKey(key);
    if (h == nullptr) continue;  // "events" or unknown: EventsOfObject says
    if (!v.has_string_value()) {
      return Invalid(source, absl::StrCat("\"", key, "\" is not a string"));
    }
    journey.*(h->field) = v.string_value();
  }
  absl::StatusOr<std::vector<v1::ProposedEvent>> events =
      EventsOfObject(object, source);
  if (!events.ok()) return events.status();
  if (journey.la_code.empty()) return Invalid(source, "no \"la_code\"");
  if (journey.case_reference.empty()) {
    return Invalid(source, "no \"case_reference\"");
  }
  journey.events = *std::move(events);
  return journey;
}

absl::StatusOr<std::string> ReadInput(const std::string& path) {
  if (path == "-") {
    std::ostringstream text;
    text << std::cin.rdbuf();
    if (std::cin.bad()) {
      return absl::FailedPreconditionError("cannot read standard input");
    }
    return text.str();
  }
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(st)) {
    return absl::NotFoundError(absl::StrCat(path, ": no such file"));
  }
  if (std::filesystem::is_directory(st)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": is a directory, not a file"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": cannot be opened for reading"));
  }
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  if (in.bad()) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": read failed"));
  }
  return text;
}

absl::StatusOr<std::vector<std::string>> ListJsonFiles(
    const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (!fs::exists(st)) {
    return absl::NotFoundError(absl::StrCat(path,
                                            ": no such file or "
                                            "directory"));
  }
  if (!fs::is_directory(st)) return std::vector<std::string>{path};
  std::vector<std::string> files;
  fs::directory_iterator it(path, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": cannot be listed: ", ec.message()));
  }
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, ": cannot be listed: ", ec.message()));
    }
    const fs::path& p = it->path();
    if (p.extension() == ".json" && it->is_regular_file(ec)) {
      files.push_back(p.string());
    }
  }
  if (files.empty()) {
    return absl::NotFoundError(absl::StrCat(path, ": holds no *.json files"));
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace ehcp::tools
