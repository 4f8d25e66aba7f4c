// The operator's log of one ehcpd: one line per event, as a JSON object
// (the default) or as "key=value" text, written to stderr (or a sink) by a
// thread of its own, so that no caller — a gRPC thread above all — ever
// waits for the terminal, a pipe or the disk.
//
//   StructuredLog log({});                       // JSON lines to stderr
//   log.LogJson("server_started", {{"listen", "127.0.0.1:50051"},
//                                  {"workers", 4}, {"sync", true}});
//   // {"ts":"2026-11-23T12:00:00.000Z","level":"info",
//   //  "event":"server_started","listen":"127.0.0.1:50051","workers":4,
//   //  "sync":true}
//
// Every line carries `ts` (UTC, milliseconds), `level` ("info", "warning"
// or "error") and `event` (a snake_case name), then the caller's fields in
// the caller's order. What goes in a field is the caller's responsibility:
// this log is read by operators and shipped to log stores, so callers
// log codes, ids, counts and durations — never personal data (a case
// reference, a birth month) and never free text that could echo a client's
// input (an error message naming a field's value).
//
// Thread safety: safe for concurrent use. Lines are written in the order
// LogJson was called (by the writer thread); when more than
// Options::max_queued_lines wait, new ones are dropped and counted.
#ifndef EHCP_SERVICES_INTERNAL_STRUCTURED_LOG_H_
#define EHCP_SERVICES_INTERNAL_STRUCTURED_LOG_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace ehcp::services {

enum class LogFormat { kJson, kText };
enum class LogLevel { kInfo, kWarning, kError };

// "json" or "text"; INVALID_ARGUMENT otherwise.
absl::StatusOr<LogFormat> ParseLogFormat(absl::string_view name);

// One field's value: a string, an integer, a floating-point number or a
// bool, rendered as JSON (or as text).
class LogValue {
 public:
  LogValue(absl::string_view text);  // NOLINT: implicit by design
  LogValue(const char* text) : LogValue(absl::string_view(text)) {}  // NOLINT
  LogValue(const std::string& text)                                  // NOLINT
      : LogValue(absl::string_view(text)) {}
  LogValue(bool value);    // NOLINT
  LogValue(double value);  // NOLINT
  template <typename Int, std::enable_if_t<std::is_integral_v<Int> &&
                                               !std::is_same_v<Int, bool>,
                                           int> = 0>
  LogValue(Int value)  // NOLINT
      : json_(std::to_string(value)), text_(json_) {}

  // The value as JSON: a quoted, escaped string; a number; true or false.
  const std::string& json() const { return json_; }
  // The value as text: a string quoted (as in JSON) only when it is empty
  // or holds a space, a quote, '=' or a control character.
  const std::string& text() const { return text_; }

 private:
  std::string json_;
  std::string text_;
};

using LogFields = std::vector<std::pair<std::string, LogValue>>;

class StructuredLog {
 public:
  // Receives each line, newline included, on the writer thread.
  using Sink = std::function<void(const std::string& line)>;

  struct Options {
    LogFormat format = LogFormat::kJson;
    // Empty: write to stderr (file descriptor 2).
    Sink sink;
    // Lines waiting for the writer beyond which new ones are dropped.
    size_t max_queued_lines = 10000;
  };

  // Starts the writer thread.
  explicit StructuredLog(Options options);
  // Writes what is queued, then stops the writer.
  ~StructuredLog();
  StructuredLog(const StructuredLog&) = delete;
  StructuredLog& operator=(const StructuredLog&) = delete;

  // Queues one line for `event` with `fields` (keys should be snake_case
  // and must not be ts, level or event). Never blocks on I/O: returns once
  // the line is formatted and queued (or dropped, when the queue is full).
  void LogJson(absl::string_view event, const LogFields& fields,
               LogLevel level = LogLevel::kInfo);

  // Blocks until every line queued before the call has been written.
  void Flush();

  // Lines dropped because the queue was full.
  uint64_t dropped() const;

  // The line LogJson would queue (no newline), written at `ts`.
  static std::string Format(LogFormat format, absl::Time ts,
                            absl::string_view event, const LogFields& fields,
                            LogLevel level);

 private:
  void WriterLoop();

  const Options options_;
  mutable absl::Mutex mu_;
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  // Lines taken from the queue and written (or being written).
  uint64_t queued_total_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t written_total_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread writer_;
};

}  // namespace ehcp::services

#endif  // EHCP_SERVICES_INTERNAL_STRUCTURED_LOG_H_
