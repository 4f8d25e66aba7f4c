// Webhook delivery of the alert log, for teams without a gRPC client: each
// alert is POSTed as one JSON object to a configured http:// or https://
// URL, at least once, in sequence order, by a thread of its own
// (docs/alerts.md, "Webhook").
//
//   AlertWebhook::Options options;
//   options.url = "https://alerts.example.org/ehcp";
//   options.cursor_path = data_dir + "/webhook/cursor";
//   EHCP_ASSIGN_OR_RETURN(std::unique_ptr<AlertWebhook> webhook,
//                         AlertWebhook::Start(options, &scheduler));
//   ...
//   webhook->Stop();   // before the scheduler closes
//
// The contract:
//  - Order and completeness. Alerts go out one at a time in sequence order
//    (ListAlerts from the cursor, Options::filter applied); an alert is
//    retried until the receiver answers 2xx and the next one is not sent
//    before. None is ever skipped.
//  - At least once. The request carries `Idempotency-Key` and
//    `X-Ehcp-Alert-Sequence`, both the alert's sequence number: a receiver
//    deduplicates by it. An alert is sent again after a failure whose
//    request may have reached the receiver (a dropped connection, a
//    timeout), and after a crash, those delivered since the cursor was
//    last written (at most kCursorEvery).
//  - Success is an HTTP 2xx answer within Options::request_timeout;
//    anything else (no connection, a timeout, 3xx, 4xx, 5xx) is a failure,
//    retried after a backoff that starts at Options::initial_backoff and
//    doubles up to Options::max_backoff, back to the start after a success.
//  - The cursor file holds the last sequence delivered (or looked at and
//    filtered out), as decimal text. It is written atomically (a temporary
//    file, fsync, rename, fsync of the directory) after every kCursorEvery
//    deliveries, when caught up, before each backoff and at Stop. Missing:
//    delivery starts at sequence 1.
//  - Waiting: caught up, the thread waits for the scheduler's next alert
//    (AlertScheduler::NotifyAtSequence); it never polls. Stop interrupts a
//    wait, a backoff and a request in flight at once.
//  - The operator's log gets alert_webhook_started, alert_webhook_failed
//    (the first failure of a run of failures, then at most once per
//    Options::failure_log_interval) and alert_webhook_recovered: sequence
//    numbers, counts, HTTP status codes and libcurl's fixed error names —
//    never the URL's path or query, never the token (nor anything of an
//    alert, which holds no personal data anyway).
//
// Thread safety: Status and Stop may be called from any thread.
#ifndef EHCP_SERVICES_INTERNAL_ALERT_WEBHOOK_H_
#define EHCP_SERVICES_INTERNAL_ALERT_WEBHOOK_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "projections/alert_scheduler.h"
#include "services/internal/structured_log.h"

namespace ehcp::services {

// Where the webhook stands, for the operator (metrics, tests).
struct AlertWebhookStatus {
  // The cursor: every alert up to it has been delivered (or filtered out).
  uint64_t delivered_sequence = 0;
  // Alerts delivered (2xx) and attempts failed since the start.
  uint64_t delivered_total = 0;
  uint64_t failures_total = 0;
  // Failed attempts since the last success (0: the last attempt succeeded
  // or none was made).
  uint64_t consecutive_failures = 0;
  // The last failure ("HTTP 500", "Couldn't connect to server", …); empty
  // once an attempt succeeds.
  std::string last_error;
  // While backing off: how long, and when the alert is tried again;
  // otherwise zero and InfinitePast.
  absl::Duration backoff = absl::ZeroDuration();
  absl::Time next_retry = absl::InfinitePast();
};

class AlertWebhook {
 public:
  // The cursor is written after at most this many deliveries.
  static constexpr uint64_t kCursorEvery = 32;

  struct Options {
    // http:// or https://, with a host.
    std::string url;
    // The cursor file; its directory is created when missing.
    std::string cursor_path;
    // Sent as "Authorization: Bearer <token>" when not empty.
    std::string bearer_token;
    // Which alerts are sent; empty fields match all.
    projections::AlertFilter filter;
    // One request, connection included.
    absl::Duration request_timeout = absl::Seconds(10);
    absl::Duration initial_backoff = absl::Seconds(1);
    absl::Duration max_backoff = absl::Minutes(5);
    // Failures after the first of a run are logged at most this often.
    absl::Duration failure_log_interval = absl::Minutes(1);
    // Alerts read per ListAlerts (1–10,000).
    size_t page_size = 100;
    // The operator's log (may be null).
    StructuredLog* oplog = nullptr;
  };

  // OK for an http:// or https:// URL with a host; INVALID_ARGUMENT naming
  // --alert_webhook_url otherwise. Touches nothing.
  static absl::Status ValidateUrl(const std::string& url);

  // The token in `path` (one line; surrounding whitespace dropped).
  // INVALID_ARGUMENT naming --alert_webhook_token_file when the file cannot
  // be read, is empty or holds more than one line. The token is never put
  // in a message.
  static absl::StatusOr<std::string> ReadTokenFile(const std::string& path);

  // Reads the cursor and starts delivering. INVALID_ARGUMENT for a bad URL
  // (ValidateUrl), a null scheduler, an empty cursor path, a filter the
  // scheduler refuses, durations that are not positive or a page size out
  // of range; FAILED_PRECONDITION, naming the file and how to fix it, for
  // a cursor that cannot be read or does not parse, and for a cursor past
  // the alert log's last sequence (naming both numbers); UNAVAILABLE when
  // the cursor's directory cannot be created. `alerts` must outlive Stop.
  static absl::StatusOr<std::unique_ptr<AlertWebhook>> Start(
      const Options& options, projections::AlertScheduler* alerts);

  ~AlertWebhook();  // Calls Stop().
  AlertWebhook(const AlertWebhook&) = delete;
  AlertWebhook& operator=(const AlertWebhook&) = delete;

  // Interrupts a request, a backoff or a wait, writes the cursor and joins
  // the thread. Idempotent.
  void Stop();

  AlertWebhookStatus Status() const;

 private:
  struct Shared;
  class Delivery;

  AlertWebhook(Options options, projections::AlertScheduler* alerts,
               uint64_t cursor);
  void Run();

  const Options options_;
  projections::AlertScheduler* const alerts_;
  // State shared with the scheduler's notifications, which may outlive a
  // cancelled wait by a moment.
  std::shared_ptr<Shared> shared_;
  std::unique_ptr<Delivery> delivery_;
  absl::Mutex stop_mu_;
  bool stopped_ ABSL_GUARDED_BY(stop_mu_) = false;
  std::thread thread_;
};

}  // namespace ehcp::services

#endif  // EHCP_SERVICES_INTERNAL_ALERT_WEBHOOK_H_
