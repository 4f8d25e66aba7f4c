#include "services/internal/structured_log.h"

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/utf8.h"

namespace ehcp::services {
namespace {

// `text` as a JSON string. Control characters, quotes and backslashes are
// escaped; text that is not valid UTF-8 has every byte above 0x7f escaped
// as \u00XX, so the line stays valid JSON whatever it is given.
std::string JsonString(absl::string_view text) {
  const bool utf8 = IsValidUtf8(std::string_view(text.data(), text.size()));
  std::string out = "\"";
  for (const char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20 || u == 0x7f || (u > 0x7f && !utf8)) {
          absl::StrAppendFormat(&out, "\\u%04x", u);
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

bool NeedsQuotes(absl::string_view text) {
  if (text.empty()) return true;
  for (const char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '"' || c == '=' || c == '\\') {
      return true;
    }
  }
  return false;
}

absl::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

void WriteAll(int fd, const std::string& line) {
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = write(fd, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // Nowhere to report it: the line is lost.
    done += static_cast<size_t>(n);
  }
}

}  // namespace

absl::StatusOr<LogFormat> ParseLogFormat(absl::string_view name) {
  if (name == "json") return LogFormat::kJson;
  if (name == "text") return LogFormat::kText;
  return absl::InvalidArgumentError(
      absl::StrCat("log_format: must be \"json\" or \"text\", got \"",
                   absl::CEscape(name), "\""));
}

LogValue::LogValue(absl::string_view text)
    : json_(JsonString(text)),
      text_(NeedsQuotes(text) ? json_ : std::string(text)) {}

LogValue::LogValue(bool value)
    : json_(value ? "true" : "false"), text_(json_) {}

LogValue::LogValue(double value)
    : json_(std::isfinite(value) ? absl::StrFormat("%.6g", value) : "null"),
      text_(json_) {}

std::string StructuredLog::Format(LogFormat format, absl::Time ts,
                                  absl::string_view event,
                                  const LogFields& fields, LogLevel level) {
  const std::string time =
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", ts, absl::UTCTimeZone());
  std::string line;
  if (format == LogFormat::kJson) {
    line = absl::StrCat("{\"ts\":\"", time, "\",\"level\":\"", LevelName(level),
                        "\",\"event\":", JsonString(event));
    for (const auto& [key, value] : fields) {
      absl::StrAppend(&line, ",", JsonString(key), ":", value.json());
    }
    line += '}';
  } else {
    line = absl::StrCat(time, " ", LevelName(level), " ", event);
    for (const auto& [key, value] : fields) {
      absl::StrAppend(&line, " ", key, "=", value.text());
    }
  }
  return line;
}

StructuredLog::StructuredLog(Options options)
    : options_(std::move(options)), writer_([this] { WriterLoop(); }) {}

StructuredLog::~StructuredLog() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  writer_.join();
}

void StructuredLog::LogJson(absl::string_view event, const LogFields& fields,
                            LogLevel level) {
  std::string line =
      Format(options_.format, absl::Now(), event, fields, level) + "\n";
  absl::MutexLock lock(&mu_);
  if (queue_.size() >= options_.max_queued_lines) {
    ++dropped_;
    return;
  }
  queue_.push_back(std::move(line));
  ++queued_total_;
}

void StructuredLog::Flush() {
  absl::MutexLock lock(&mu_);
  const uint64_t target = queued_total_;
  std::pair<StructuredLog*, uint64_t> wait(this, target);
  mu_.Await(absl::Condition(
      +[](std::pair<StructuredLog*, uint64_t>* arg) {
        arg->first->mu_.AssertHeld();
        return arg->first->written_total_ >= arg->second;
      },
      &wait));
}

uint64_t StructuredLog::dropped() const {
  absl::MutexLock lock(&mu_);
  return dropped_;
}

void StructuredLog::WriterLoop() {
  for (;;) {
    std::deque<std::string> lines;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](StructuredLog* self) {
            self->mu_.AssertHeld();
            return self->stopping_ || !self->queue_.empty();
          },
          this));
      if (queue_.empty()) return;  // Stopping, and everything is written.
      lines.swap(queue_);
    }
    // Written without the lock: callers queue meanwhile.
    for (const std::string& line : lines) {
      if (options_.sink) {
        options_.sink(line);
      } else {
        WriteAll(STDERR_FILENO, line);
      }
    }
    absl::MutexLock lock(&mu_);
    written_total_ += lines.size();
  }
}

}  // namespace ehcp::services
