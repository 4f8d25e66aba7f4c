#include "services/internal/alert_webhook.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "domain/dates.h"

namespace ehcp::services {
namespace {

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// The scheme and host of a URL, lowercased scheme; false when it does not
// parse.
bool ParseUrl(const std::string& url, std::string* scheme, std::string* host,
              std::string* port) {
  CURLU* handle = curl_url();
  if (handle == nullptr) return false;
  bool ok = curl_url_set(handle, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK;
  for (auto [part, out] :
       {std::pair{CURLUPART_SCHEME, scheme}, std::pair{CURLUPART_HOST, host}}) {
    char* value = nullptr;
    if (ok && curl_url_get(handle, part, &value, 0) == CURLUE_OK) {
      *out = value;
    } else {
      ok = false;
    }
    curl_free(value);
  }
  char* value = nullptr;
  if (ok && curl_url_get(handle, CURLUPART_PORT, &value, 0) == CURLUE_OK) {
    *port = value;
  }
  curl_free(value);
  curl_url_cleanup(handle);
  *scheme = absl::AsciiStrToLower(*scheme);
  return ok;
}

// scheme://host[:port]: what the log says of the URL (no credentials, no
// path, no query, which may carry a secret).
std::string Endpoint(const std::string& url) {
  std::string scheme, host, port;
  if (!ParseUrl(url, &scheme, &host, &port)) return "";
  return absl::StrCat(scheme, "://", host, port.empty() ? "" : ":", port);
}

std::string Quoted(absl::string_view text) {
  return LogValue(text).json();  // A JSON string, escaped.
}

// The alert as the receiver gets it: stable field names, every field
// present (due null when there is none).
std::string AlertJson(const projections::Alert& alert) {
  return absl::StrCat(
      "{\"sequence\":", alert.sequence,
      ",\"kind\":", Quoted(projections::AlertKindName(alert.kind)),
      ",\"day\":", Quoted(domain::FormatDate(alert.day)),
      ",\"position\":", alert.position, ",\"case_id\":", Quoted(alert.case_id),
      ",\"case_reference\":", Quoted(alert.case_reference),
      ",\"la_code\":", Quoted(alert.la_code),
      ",\"clock_id\":", Quoted(alert.clock_id),
      ",\"instance\":", Quoted(alert.instance),
      ",\"due\":", alert.due ? Quoted(domain::FormatDate(*alert.due)) : "null",
      ",\"days_late\":", alert.days_late,
      ",\"days_remaining\":", alert.days_remaining, "}");
}

std::string HowToFix(const std::string& path) {
  return absl::StrCat(
      "write the last sequence the receiver has (e.g. echo 42 > ", path,
      "), or delete the file to deliver every alert again from sequence 1");
}

// The cursor in `path`: 0 when the file does not exist.
absl::StatusOr<uint64_t> ReadCursor(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int error = errno;
    std::error_code ignored;
    if (!std::filesystem::exists(path, ignored) && !ignored) return 0;
    return absl::FailedPreconditionError(absl::StrCat(
        "alert webhook cursor ", path, " cannot be read (", strerror(error),
        "): fix its permissions, or ", HowToFix(path)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "alert webhook cursor ", path, " cannot be read: ", HowToFix(path)));
  }
  const std::string contents = text.str();
  const absl::string_view digits = absl::StripAsciiWhitespace(contents);
  uint64_t cursor = 0;
  if (digits.empty() ||
      !std::all_of(digits.begin(), digits.end(),
                   [](char c) { return c >= '0' && c <= '9'; }) ||
      !absl::SimpleAtoi(digits, &cursor)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "alert webhook cursor ", path, ": \"",
        absl::CHexEscape(contents.substr(0, 40)),
        "\" is not a sequence number (the file holds the last alert the "
        "webhook delivered, as decimal digits): ",
        HowToFix(path)));
  }
  return cursor;
}

// Writes `cursor` to `path` atomically and durably: a temporary file,
// fsync, rename over the old one, fsync of the directory.
absl::Status WriteCursor(const std::string& path, uint64_t cursor) {
  const std::string temp = path + ".tmp";
  const std::string text = absl::StrCat(cursor, "\n");
  auto failed = [&](const char* what) {
    return absl::UnavailableError(absl::StrCat(
        "alert webhook cursor ", path, ": ", what, ": ", strerror(errno)));
  };
  const int fd =
      open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return failed("cannot create the temporary file");
  const bool written =
      write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const bool synced = written && fsync(fd) == 0;
  close(fd);
  if (!written || !synced) return failed("cannot write the temporary file");
  if (rename(temp.c_str(), path.c_str()) != 0) return failed("cannot rename");
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int dir_fd =
      open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return failed("cannot open its directory");
  const bool dir_synced = fsync(dir_fd) == 0;
  close(dir_fd);
  if (!dir_synced) return failed("cannot sync its directory");
  return absl::OkStatus();
}

size_t Discard(char* /*data*/, size_t size, size_t count, void* /*user*/) {
  return size * count;
}

}  // namespace

struct AlertWebhook::Shared {
  absl::Mutex mu;
  bool stopping ABSL_GUARDED_BY(mu) = false;
  // Set by the scheduler's notification: an alert past the cursor exists
  // (or the scheduler closed).
  bool notified ABSL_GUARDED_BY(mu) = false;
  AlertWebhookStatus status ABSL_GUARDED_BY(mu);
};

// One POST at a time over libcurl's multi interface, so that Stop can wake
// the transfer (curl_multi_wakeup) rather than wait for a timeout.
class AlertWebhook::Delivery {
 public:
  struct Result {
    bool ok = false;
    bool stopped = false;
    long http_status = 0;  // 0: no answer.
    std::string error;     // "HTTP 500", libcurl's name of the error.
  };

  Delivery() : multi_(curl_multi_init()), easy_(curl_easy_init()) {}
  ~Delivery() {
    if (easy_ != nullptr) curl_easy_cleanup(easy_);
    if (multi_ != nullptr) curl_multi_cleanup(multi_);
  }

  bool ok() const { return multi_ != nullptr && easy_ != nullptr; }

  // Wakes a Post in progress; callable from any thread.
  void Wake() { curl_multi_wakeup(multi_); }

  Result Post(const Options& options, const std::string& body,
              uint64_t sequence, Shared* shared) {
    Result result;
    curl_slist* headers = nullptr;
    headers = curl_slist_append(headers, "Content-Type: application/json");
    headers = curl_slist_append(
        headers, absl::StrCat("Idempotency-Key: ", sequence).c_str());
    headers = curl_slist_append(
        headers, absl::StrCat("X-Ehcp-Alert-Sequence: ", sequence).c_str());
    headers = curl_slist_append(headers, "Expect:");
    if (!options.bearer_token.empty()) {
      headers = curl_slist_append(
          headers,
          absl::StrCat("Authorization: Bearer ", options.bearer_token).c_str());
    }
    curl_easy_reset(easy_);
    curl_easy_setopt(easy_, CURLOPT_URL, options.url.c_str());
    curl_easy_setopt(easy_, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy_, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy_, CURLOPT_USERAGENT, "ehcpd-alert-webhook");
    curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy_, CURLOPT_POSTFIELDSIZE,
                     static_cast<long>(body.size()));
    curl_easy_setopt(easy_, CURLOPT_COPYPOSTFIELDS, body.c_str());
    curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &Discard);
    const long timeout_ms = static_cast<long>(std::max<int64_t>(
        1, absl::ToInt64Milliseconds(options.request_timeout)));
    curl_easy_setopt(easy_, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(easy_, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_multi_add_handle(multi_, easy_);
    CURLcode code = CURLE_OK;
    bool done = false;
    while (!done) {
      int running = 0;
      if (curl_multi_perform(multi_, &running) != CURLM_OK) {
        code = CURLE_FAILED_INIT;
        break;
      }
      int queued = 0;
      while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
        if (message->msg == CURLMSG_DONE && message->easy_handle == easy_) {
          code = message->data.result;
          done = true;
        }
      }
      if (done) break;
      {
        absl::MutexLock lock(&shared->mu);
        if (shared->stopping) {
          result.stopped = true;
          break;
        }
      }
      curl_multi_poll(multi_, nullptr, 0, 1000, nullptr);
    }
    curl_multi_remove_handle(multi_, easy_);  // Aborts an unfinished one.
    curl_slist_free_all(headers);
    if (result.stopped) {
      result.error = "stopped";
      return result;
    }
    if (code != CURLE_OK) {
      result.error = curl_easy_strerror(code);
      return result;
    }
    curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &result.http_status);
    result.ok = result.http_status >= 200 && result.http_status < 300;
    if (!result.ok) result.error = absl::StrCat("HTTP ", result.http_status);
    return result;
  }

 private:
  CURLM* const multi_;
  CURL* const easy_;
};

absl::Status AlertWebhook::ValidateUrl(const std::string& url) {
  InitCurlOnce();
  std::string scheme, host, port;
  if (url.empty()) {
    return absl::InvalidArgumentError(
        "--alert_webhook_url: empty; give an http:// or https:// URL");
  }
  if (!ParseUrl(url, &scheme, &host, &port)) {
    return absl::InvalidArgumentError(
        "--alert_webhook_url: not a URL (expected http://HOST[:PORT]/PATH or "
        "https://…)");
  }
  if (scheme != "http" && scheme != "https") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--alert_webhook_url: the scheme is \"", absl::CHexEscape(scheme),
        "\"; only http:// and https:// are delivered to"));
  }
  if (host.empty()) {
    return absl::InvalidArgumentError("--alert_webhook_url: no host");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> AlertWebhook::ReadTokenFile(
    const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("--alert_webhook_token_file: ", path, " cannot be read (",
                     strerror(errno), ")"));
  }
  std::ostringstream text;
  text << in.rdbuf();
  const std::string token(absl::StripAsciiWhitespace(text.str()));
  if (token.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--alert_webhook_token_file: ", path, " is empty"));
  }
  if (std::any_of(token.begin(), token.end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
      })) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--alert_webhook_token_file: ", path,
        " must hold the token alone, on one line (it holds a line break or "
        "a control character)"));
  }
  return token;
}

AlertWebhook::AlertWebhook(Options options, projections::AlertScheduler* alerts,
                           uint64_t cursor)
    : options_(std::move(options)),
      alerts_(alerts),
      shared_(std::make_shared<Shared>()),
      delivery_(std::make_unique<Delivery>()) {
  absl::MutexLock lock(&shared_->mu);
  shared_->status.delivered_sequence = cursor;
}

absl::StatusOr<std::unique_ptr<AlertWebhook>> AlertWebhook::Start(
    const Options& options, projections::AlertScheduler* alerts) {
  if (absl::Status url = ValidateUrl(options.url); !url.ok()) return url;
  if (alerts == nullptr) {
    return absl::InvalidArgumentError("alert webhook: no alert scheduler");
  }
  if (options.cursor_path.empty()) {
    return absl::InvalidArgumentError("alert webhook: empty cursor path");
  }
  if (options.request_timeout <= absl::ZeroDuration() ||
      options.initial_backoff <= absl::ZeroDuration() ||
      options.max_backoff < options.initial_backoff) {
    return absl::InvalidArgumentError(
        "alert webhook: the request timeout and the initial backoff must be "
        "positive, and the maximum backoff at least the initial one");
  }
  if (options.page_size < 1 || options.page_size > 10000) {
    return absl::InvalidArgumentError(
        absl::StrCat("alert webhook: page size ", options.page_size,
                     " is not between 1 and 10000"));
  }
  // The scheduler checks the filter (an LA code, clock ids) as it lists.
  const uint64_t last = alerts->LastSequence();
  if (absl::StatusOr<projections::AlertPage> probe =
          alerts->ListAlerts(std::max<uint64_t>(1, last), options.filter, 1);
      !probe.ok()) {
    if (absl::IsInvalidArgument(probe.status())) {
      return absl::InvalidArgumentError(
          absl::StrCat("alert webhook filter: ", probe.status().message()));
    }
    return probe.status();
  }
  absl::StatusOr<uint64_t> cursor = ReadCursor(options.cursor_path);
  if (!cursor.ok()) return cursor.status();
  if (*cursor > last) {
    return absl::FailedPreconditionError(absl::StrCat(
        "alert webhook cursor ", options.cursor_path, " says alert ", *cursor,
        " was delivered, but the alert log's last sequence is ", last,
        " (the alert log was replaced, or restored from an older backup than "
        "the cursor): ",
        HowToFix(options.cursor_path)));
  }
  std::error_code error;
  const std::filesystem::path dir =
      std::filesystem::path(options.cursor_path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, error);
  if (error) {
    return absl::UnavailableError(absl::StrCat("alert webhook: cannot create ",
                                               dir.string(), " (",
                                               error.message(), ")"));
  }
  std::unique_ptr<AlertWebhook> webhook(
      new AlertWebhook(options, alerts, *cursor));
  if (!webhook->delivery_->ok()) {
    return absl::InternalError("alert webhook: libcurl did not initialise");
  }
  if (options.oplog != nullptr) {
    options.oplog->LogJson("alert_webhook_started",
                           {{"endpoint", Endpoint(options.url)},
                            {"cursor", *cursor},
                            {"last_sequence", last},
                            {"la_code", options.filter.la_code}});
  }
  webhook->thread_ = std::thread([w = webhook.get()] { w->Run(); });
  return webhook;
}

AlertWebhook::~AlertWebhook() { Stop(); }

void AlertWebhook::Stop() {
  absl::MutexLock stop_lock(&stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  {
    absl::MutexLock lock(&shared_->mu);
    shared_->stopping = true;
  }
  delivery_->Wake();
  if (thread_.joinable()) thread_.join();
}

AlertWebhookStatus AlertWebhook::Status() const {
  absl::MutexLock lock(&shared_->mu);
  return shared_->status;
}

void AlertWebhook::Run() {
  Shared* const shared = shared_.get();
  auto stopping = [shared] {
    absl::MutexLock lock(&shared->mu);
    return shared->stopping;
  };
  uint64_t cursor;
  {
    absl::MutexLock lock(&shared->mu);
    cursor = shared->status.delivered_sequence;
  }
  uint64_t written = cursor;
  bool cursor_failing = false;
  // Writes the cursor when it moved; a failure is logged (once per run of
  // failures) and delivery goes on: a restart would deliver again.
  auto save = [&] {
    if (cursor == written) return;
    const absl::Status saved = WriteCursor(options_.cursor_path, cursor);
    if (saved.ok()) {
      written = cursor;
      cursor_failing = false;
    } else if (!cursor_failing) {
      cursor_failing = true;
      if (options_.oplog != nullptr) {
        options_.oplog->LogJson(
            "alert_webhook_cursor_failed",
            {{"cursor", cursor}, {"error", std::string(saved.message())}},
            LogLevel::kError);
      }
    }
  };
  absl::Duration backoff = options_.initial_backoff;
  absl::Time failing_since = absl::InfinitePast();
  absl::Time last_logged = absl::InfinitePast();
  // Records a failed attempt at `sequence` and waits the backoff (or until
  // Stop). Returns false when stopping.
  auto fail = [&](uint64_t sequence, const std::string& error,
                  long http_status) {
    const absl::Time now = absl::Now();
    uint64_t consecutive;
    {
      absl::MutexLock lock(&shared->mu);
      AlertWebhookStatus& status = shared->status;
      consecutive = ++status.consecutive_failures;
      ++status.failures_total;
      status.last_error = error;
      status.backoff = backoff;
      status.next_retry = now + backoff;
    }
    if (consecutive == 1) failing_since = now;
    if (options_.oplog != nullptr &&
        (consecutive == 1 ||
         now - last_logged >= options_.failure_log_interval)) {
      last_logged = now;
      options_.oplog->LogJson(
          "alert_webhook_failed",
          {{"sequence", sequence},
           {"error", error},
           {"http_status", static_cast<int64_t>(http_status)},
           {"consecutive_failures", consecutive},
           {"retry_in_ms", absl::ToInt64Milliseconds(backoff)}},
          LogLevel::kWarning);
    }
    save();
    bool stop;
    {
      absl::MutexLock lock(&shared->mu);
      stop = shared->mu.AwaitWithTimeout(absl::Condition(&shared->stopping),
                                         backoff);
      shared->status.backoff = absl::ZeroDuration();
      shared->status.next_retry = absl::InfinitePast();
    }
    backoff = std::min(backoff * 2, options_.max_backoff);
    return !stop;
  };
  auto succeed = [&](uint64_t sequence) {
    uint64_t failures;
    {
      absl::MutexLock lock(&shared->mu);
      AlertWebhookStatus& status = shared->status;
      failures = status.consecutive_failures;
      status.consecutive_failures = 0;
      status.last_error.clear();
      status.delivered_sequence = sequence;
      ++status.delivered_total;
    }
    backoff = options_.initial_backoff;
    if (failures > 0 && options_.oplog != nullptr) {
      options_.oplog->LogJson("alert_webhook_recovered",
                              {{"sequence", sequence},
                               {"failed_attempts", failures},
                               {"down_ms", absl::ToInt64Milliseconds(
                                               absl::Now() - failing_since)}});
    }
  };

  uint64_t since_saved = 0;
  while (!stopping()) {
    absl::StatusOr<projections::AlertPage> page =
        alerts_->ListAlerts(cursor + 1, options_.filter, options_.page_size);
    if (!page.ok()) {
      fail(cursor + 1, std::string(page.status().message()), 0);
      continue;
    }
    bool stopped = false;
    for (const projections::Alert& alert : page->alerts) {
      const std::string body = AlertJson(alert);
      while (true) {
        const Delivery::Result result =
            delivery_->Post(options_, body, alert.sequence, shared);
        if (result.stopped) {
          stopped = true;
          break;
        }
        if (result.ok) {
          cursor = alert.sequence;
          succeed(cursor);
          if (++since_saved >= kCursorEvery) {
            save();
            since_saved = 0;
          }
          break;
        }
        if (!fail(alert.sequence, result.error, result.http_status)) {
          stopped = true;
          break;
        }
      }
      if (stopped) break;
    }
    if (stopped) break;
    // Alerts after the last delivered one that the filter left out.
    if (page->next_sequence - 1 > cursor) {
      cursor = page->next_sequence - 1;
      absl::MutexLock lock(&shared->mu);
      shared->status.delivered_sequence = cursor;
    }
    if (page->next_sequence <= page->last_sequence) continue;
    // Caught up: save, then wait for the next alert.
    save();
    since_saved = 0;
    {
      absl::MutexLock lock(&shared->mu);
      shared->notified = false;
    }
    const uint64_t token = alerts_->NotifyAtSequence(
        cursor + 1, [weak = std::weak_ptr<Shared>(shared_)](bool) {
          if (std::shared_ptr<Shared> s = weak.lock()) {
            absl::MutexLock lock(&s->mu);
            s->notified = true;
          }
        });
    bool notified;
    {
      absl::MutexLock lock(&shared->mu);
      shared->mu.Await(absl::Condition(
          +[](Shared* s) { return s->stopping || s->notified; }, shared));
      notified = shared->notified;
    }
    if (!notified && token != 0) alerts_->CancelNotify(token);
  }
  save();
}

}  // namespace ehcp::services
