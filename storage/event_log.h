// The generic append-only event log: streams of opaque records over RocksDB.
//
// An EventLog holds many streams. Each record has a version in its stream
// (1, 2, 3, …) and a position in the whole log (1, 2, 3, …), both gap-free,
// and positions increase in commit order. An append of one or more records
// to one stream is atomic, checked against the version the caller expects,
// deduplicated by an optional idempotency key, and — with Options::sync —
// on disk (WAL fsynced) before its caller hears of it. Every record carries
// the SHA-256 of the record before it, so any changed byte is detectable
// (VerifyChain). The log knows nothing of EHCPs: a record is a type tag and
// opaque bytes.
//
// Concurrent appends are group-committed: they share one RocksDB WriteBatch
// and one fsync. There is no writer thread. The first appender to find the
// log idle commits everything queued (its own request and any that arrive
// while it writes) and calls every caller's callback; batching comes only
// from load, never from a timer.
//
// Example:
//
//   EHCP_ASSIGN_OR_RETURN(std::unique_ptr<EventLog> log,
//                         EventLog::Open("/var/lib/ehcp/log", {}));
//   AppendRequest request;
//   request.stream_id = "case-42";
//   request.expected = ExpectedVersion::NoStream();
//   request.records.push_back({"CaseOpened", payload});
//   request.idempotency_key = client_request_id;
//   request.request_digest = Sha256(serialized_request);
//   EHCP_ASSIGN_OR_RETURN(AppendResult result,
//   log->Append(std::move(request)));
//   // result.last_position is what a reader waits for (WaitForPosition).
//
// storage/FORMAT.md specifies the bytes on disk.
#ifndef EHCP_STORAGE_EVENT_LOG_H_
#define EHCP_STORAGE_EVENT_LOG_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ehcp::storage {

// The stream version an append expects to find. Version 0 means "no stream".
struct ExpectedVersion {
  enum class Kind { kAny, kNoStream, kExact };

  // Appends whatever the stream's version.
  static constexpr ExpectedVersion Any() { return {Kind::kAny, 0}; }
  // Appends only if the stream has no records yet.
  static constexpr ExpectedVersion NoStream() { return {Kind::kNoStream, 0}; }
  // Appends only if the stream's version is exactly `version`; Exact(0) is
  // the same as NoStream().
  static constexpr ExpectedVersion Exact(uint64_t version) {
    return {Kind::kExact, version};
  }

  // True when a stream at `actual` version satisfies this expectation.
  bool Matches(uint64_t actual) const;
  // "any version", "no stream" or "version 3", for error messages.
  std::string ToString() const;

  Kind kind = Kind::kAny;
  uint64_t version = 0;  // Meaningful for kExact only.
};

// One record to append: a type tag (valid UTF-8) and opaque bytes.
struct NewRecord {
  std::string type;
  std::string data;
};

struct AppendRequest {
  // 1..kMaxStreamIdSize bytes of printable ASCII (0x20..0x7E).
  std::string stream_id;
  ExpectedVersion expected;
  // 1..kMaxRecordsPerAppend records, appended atomically in this order.
  std::vector<NewRecord> records;
  // Empty: no deduplication. Otherwise at most kMaxKeySize opaque bytes,
  // scoped to the stream and remembered forever.
  std::string idempotency_key;
  // Opaque bytes identifying the request content (e.g. a SHA-256 of it), at
  // most kMaxKeySize bytes. A retry with the same key must carry the same
  // digest; only meaningful with an idempotency key.
  std::string request_digest;
};

// Limits on an AppendRequest; larger requests fail with INVALID_ARGUMENT.
inline constexpr size_t kMaxStreamIdSize = 1024;
inline constexpr size_t kMaxKeySize = 1024;
inline constexpr size_t kMaxRecordsPerAppend = 10'000;

struct AppendResult {
  // Stream versions and global positions of the first and last records the
  // append wrote (for a replay: the ones the first append wrote).
  uint64_t first_version = 0;
  uint64_t last_version = 0;
  uint64_t first_position = 0;
  uint64_t last_position = 0;
  // Commit time of the append, microseconds since the Unix epoch (UTC).
  int64_t recorded_at_micros = 0;
  // True when this is a retry answered from the idempotency record: nothing
  // was written by this call.
  bool replayed = false;

  friend bool operator==(const AppendResult&, const AppendResult&) = default;
};

// A committed record, as read back.
struct Record {
  uint64_t position = 0;
  std::string stream_id;
  uint64_t version = 0;
  int64_t recorded_at_micros = 0;
  std::string type;
  std::string data;
  std::string hash;  // SHA-256 (32 bytes) of the record's stored bytes.
};

// A record as stored: what an export carries and an import writes back
// verbatim, so that the hash chain (over the stored bytes) is the same.
struct StoredRecord {
  Record record;          // Decoded; record.hash is SHA-256 of `bytes`.
  std::string prev_hash;  // The hash of the record before (32 bytes).
  std::string bytes;      // The stored value, exactly.
};

// A bulk import of another log's records into an empty log
// (EventLog::BeginImport): Add checks each record as it comes and stages it
// in files beside the log; Commit adds them all to the log at once. Nothing
// is written to the log before Commit, nor at all when a record is refused,
// Commit fails or the import is dropped (its staged files are deleted).
// Not safe for concurrent use; the log must outlive it.
class LogImport {
 public:
  virtual ~LogImport() = default;
  // Checks and stages the next record: `bytes` as ReadStored gave them and
  // `hash` the hash the export gave; returns the record decoded (for the
  // caller's own checks: a caller that refuses it drops the import).
  // INVALID_ARGUMENT, naming the position,
  // when the record does not decode, is not the next position (the first is
  // 1), does not chain (its prev_hash is not the hash of the record before)
  // or its bytes do not have `hash`; the import is then finished: every
  // later call fails. UNAVAILABLE on I/O error.
  virtual absl::StatusOr<Record> Add(std::string_view bytes,
                                     std::string_view hash) = 0;
  // Records staged so far.
  virtual uint64_t added() const = 0;
  // Adds every staged record to the log atomically (with its stream index,
  // stream heads and log head; not idempotency records, which the export
  // does not carry) and returns the new head position. FAILED_PRECONDITION
  // if the log is no longer empty (something was appended meanwhile); the
  // log is then unchanged.
  virtual absl::StatusOr<uint64_t> Commit() = 0;
};

enum class Direction { kForwards, kBackwards };

// Reads return at most this many records; a max_count of 0 means
// kDefaultPageSize.
inline constexpr size_t kDefaultPageSize = 100;
inline constexpr size_t kMaxPageSize = 10'000;

// An EventLog is safe for concurrent use from any number of threads without
// external synchronization. Callbacks (AppendCallback, NotifyAfter) run
// without any of the log's locks held, but often on the thread of another
// appender, whose own call waits for them, and appends queued meanwhile may
// wait for them too: keep them short, and never block in one waiting for
// another append to complete (it may be queued behind that very callback).
// A callback may append, read or call Close(); it must not destroy the log.
class EventLog {
 public:
  struct Options {
    // Fsync the WAL (rocksdb::WriteOptions::sync) before acknowledging any
    // append. Without it an acknowledged append survives a process crash but
    // not a power loss.
    bool sync = true;
    // A group commit takes at most this many queued requests and, beyond the
    // first request, at most this many bytes of record payload.
    size_t max_batch_requests = 1000;
    size_t max_batch_bytes = size_t{4} << 20;
    // Streams whose current version is cached in memory (about 100 bytes
    // each); beyond it, arbitrary entries are dropped and re-read on demand.
    size_t stream_cache_entries = size_t{1} << 18;
    // RocksDB's block cache, shared by the column families.
    size_t block_cache_bytes = size_t{64} << 20;
    // Table files RocksDB keeps open (-1: all of them).
    int max_open_files = 512;
    // An explicit recovery of a log Open refuses as damaged: opens it with
    // RocksDB's point-in-time recovery, which keeps the records before the
    // damage and drops the rest of the write-ahead log — only when that
    // keeps exactly positions 1..*recover_to (what Open's DATA_LOSS message
    // names), else FAILED_PRECONDITION and nothing is changed. The dropped
    // records are gone from `dir` for good: copy it first (ehcpd
    // --recover_to does). Unset: never.
    std::optional<uint64_t> recover_to;
    // The commit clock, microseconds since the Unix epoch; empty: absl::Now.
    // Called by the committing thread once per batch, mid-commit: it must
    // not wait for the log.
    std::function<int64_t()> now_micros;
  };

  struct Stats {
    uint64_t appends = 0;        // Appends written (replays not counted).
    uint64_t records = 0;        // Records written.
    uint64_t batches = 0;        // WriteBatches written (group commits).
    uint64_t syncs = 0;          // WriteBatches written with the WAL fsynced.
    uint64_t replays = 0;        // Appends answered from an idempotency record.
    uint64_t conflicts = 0;      // Appends refused for an expected version.
    uint64_t failed_writes = 0;  // WriteBatches RocksDB refused.
    uint64_t max_batch_appends = 0;  // Most requests in one group commit.
    // Appends written per WriteBatch, as a histogram: batch_appends[i]
    // counts the batches that wrote more than kBatchAppendsBounds[i-1] (0
    // for i = 0) and at most kBatchAppendsBounds[i] appends;
    // batch_appends[kBatchAppendsBounds.size()] those that wrote more than
    // the last bound. Not cumulative. The counts add up to `batches`; the
    // appends the batches wrote add up to `appends`.
    using BatchAppendCounts = std::array<uint64_t, 11>;
    BatchAppendCounts batch_appends = {};
  };
  // The upper bounds of the Stats::batch_appends buckets.
  static constexpr std::array<uint64_t, 10> kBatchAppendsBounds = {
      1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
  static_assert(std::tuple_size_v<Stats::BatchAppendCounts> ==
                kBatchAppendsBounds.size() + 1);

  // Called exactly once with the append's outcome.
  using AppendCallback =
      absl::AnyInvocable<void(absl::StatusOr<AppendResult>) &&>;

  // Opens the log in directory `dir`, creating the directory and an empty log
  // if missing, and recovering the committed prefix after a crash (see
  // FORMAT.md). Returns FAILED_PRECONDITION if `dir` holds a log of an
  // unknown format version or a RocksDB database that is not an event log,
  // DATA_LOSS if the stored head and the last record disagree or the files
  // are damaged anywhere but in a torn last write (the message names the
  // WAL files and the positions a point-in-time recovery would keep; nothing
  // on disk is changed), UNAVAILABLE
  // if the database is open elsewhere (in this or another process) or the
  // disk fails, INVALID_ARGUMENT for an empty `dir`, and the errno's code
  // (e.g. PERMISSION_DENIED) if the directory cannot be created. On a full
  // disk an existing log opens read only: reads are served, appends are
  // refused RESOURCE_EXHAUSTED (WriteStatus) until there is room and the log
  // reopens itself for writing (ResumeWrites); a new log cannot be created.
  static absl::StatusOr<std::unique_ptr<EventLog>> Open(const std::string& dir,
                                                        const Options& options);

  EventLog() = default;
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;
  // Calls Close().
  virtual ~EventLog() = default;

  // Appends request.records to request.stream_id and calls `done` once,
  // with:
  //   - the result, once the batch is written (and synced, with
  //     Options::sync), or replayed=true if this stream already holds an
  //     append with this idempotency key and digest (nothing is written);
  //   - INVALID_ARGUMENT for a malformed request (empty or non-ASCII stream
  //     id, no records, too large), or for an idempotency key already used
  //     on this stream with a different digest;
  //   - ABORTED, writing nothing, when the stream's version does not match
  //     request.expected: "stream S: expected version 3, actual version 5";
  //   - UNAVAILABLE once the log is closed (also for appends still queued
  //     when Close() is called), or when RocksDB refused the batch's write;
  //     DATA_LOSS or RESOURCE_EXHAUSTED for a write that failed for
  //     corruption or a full disk. After any failed write the whole batch
  //     fails and every later append fails the same way until the log is
  //     reopened (the batch may or may not be on disk; reopening decides) —
  //     except after a full disk: once there is room again, RocksDB's
  //     recovery drops what the failed write left and appends resume by
  //     themselves (FORMAT.md, "Opening and recovery").
  // The idempotency key is checked before the expected version, so a retry
  // of a successful append replays even though the version has moved on.
  //
  // If another appender is committing, AppendAsync only queues the request
  // and returns: that appender commits it and runs `done`. Otherwise the
  // caller commits, on its own thread and with no hand-off: its request and
  // whatever queues up meanwhile, batch after batch, until the queue is
  // empty or another appender takes over; `done` then runs before
  // AppendAsync returns. Never runs `done` while the log holds a lock.
  virtual void AppendAsync(AppendRequest request, AppendCallback done) = 0;

  // AppendAsync, waiting for the outcome.
  absl::StatusOr<AppendResult> Append(AppendRequest request);

  // The first result of the committed append with this stream and
  // idempotency key, replayed=true; nullopt if the key is unused (appends
  // still in flight are not seen). INVALID_ARGUMENT if the key was used with
  // a different digest, or for a malformed stream id or key; DATA_LOSS if
  // the stored record is corrupt; UNAVAILABLE once closed or on I/O error.
  virtual absl::StatusOr<std::optional<AppendResult>> LookupIdempotency(
      std::string_view stream_id, std::string_view key,
      std::string_view digest) const = 0;

  // The stream's current version: 0 if it has no records. It reflects at
  // least every append acknowledged before the call. INVALID_ARGUMENT for a
  // malformed stream id; UNAVAILABLE once closed or on I/O error.
  virtual absl::StatusOr<uint64_t> StreamVersion(
      std::string_view stream_id) const = 0;

  // Up to max_count committed records of one stream (0: kDefaultPageSize;
  // capped at kMaxPageSize), in version order: forwards from from_version
  // (0 or 1: the first record), or backwards from from_version (0, or past
  // the end: the last record). The next page starts at the last version
  // returned + 1 (forwards) or - 1 (backwards; stop after version 1).
  // Returns an empty vector for an unknown stream or a forwards
  // from_version past the end. INVALID_ARGUMENT for a malformed stream id;
  // DATA_LOSS if a record or index entry is corrupt, or a record's stored
  // bytes do not match the hash its successor (or the head) keeps for them;
  // UNAVAILABLE once closed or on I/O error.
  virtual absl::StatusOr<std::vector<Record>> ReadStream(
      std::string_view stream_id, uint64_t from_version, Direction direction,
      size_t max_count) const = 0;

  // Up to max_count committed records of the whole log (0: kDefaultPageSize;
  // capped at kMaxPageSize), in position order from from_position (0 or 1:
  // the start), never beyond HeadPosition(). Empty when from_position is past
  // the head. DATA_LOSS if a record is corrupt, missing, or not what the
  // hash chain keeps for it (as ReadStream); UNAVAILABLE once
  // closed or on I/O error.
  virtual absl::StatusOr<std::vector<Record>> ReadAll(
      uint64_t from_position, size_t max_count) const = 0;

  // As ReadAll, with each record's stored bytes and prev_hash: what an
  // export writes, so that an import reproduces the log byte for byte.
  virtual absl::StatusOr<std::vector<StoredRecord>> ReadStored(
      uint64_t from_position, size_t max_count) const = 0;

  // Starts an import into this log (LogImport). FAILED_PRECONDITION when the
  // log is not empty or another import is running; UNAVAILABLE once closed
  // or when the staging directory (`<dir>.import`) cannot be made.
  virtual absl::StatusOr<std::unique_ptr<LogImport>> BeginImport() = 0;

  // The position of the last committed record, 0 when the log is empty. It
  // moves only after a batch is written, and a read of any position up to
  // it succeeds. Lock-free.
  virtual uint64_t HeadPosition() const = 0;

  // Calls fn(false) once HeadPosition() > position — at once, on this
  // thread, if it already is — or fn(true) if the log closes first (at once
  // if already closed). fn runs once, on the committing appender's thread
  // (or Close()'s), without the log's locks. Returns a token for
  // CancelNotify, or 0 if fn has already run.
  virtual uint64_t NotifyAfter(uint64_t position,
                               absl::AnyInvocable<void(bool closed)> fn) = 0;

  // Forgets a pending NotifyAfter callback without running it. Returns false
  // if it has already run or is running (or the token is unknown).
  virtual bool CancelNotify(uint64_t token) = 0;

  // Blocks until HeadPosition() >= position (true), or until the deadline
  // passes or the log closes (false).
  virtual bool WaitForPosition(uint64_t position,
                               absl::Time deadline) const = 0;

  // Recomputes the hash chain over positions from_position (0 or 1: the
  // start) to to_position (0 or past the head: the head), also checking that
  // each record's stored bytes match the prev_hash of the record after it
  // (or the stored log head). OK if intact; DATA_LOSS naming the first bad
  // position ("hash chain broken at position 7: …") if any record is
  // missing, undecodable or changed; UNAVAILABLE once closed or on I/O error.
  virtual absl::Status VerifyChain(uint64_t from_position,
                                   uint64_t to_position) const = 0;

  // Counters since Open. Cheap; safe at any time, also after Close().
  virtual Stats GetStats() const = 0;

  // Whether appends can be written now: OK, or the error they are refused
  // with — RESOURCE_EXHAUSTED while the disk is full (also when the log was
  // opened read-only on a full disk), the sticky error of another failed
  // write, or UNAVAILABLE once closed. Cheap (no I/O, no wait for a
  // commit); for health and metrics.
  virtual absl::Status WriteStatus() const = 0;

  // After a full disk (WriteStatus() RESOURCE_EXHAUSTED, or a log opened
  // read-only whose reopen failed otherwise: UNAVAILABLE): tries, at most
  // once a second, to make the log writable again — RocksDB's Resume, or
  // for a log opened read-only a reopen for writing — and returns
  // WriteStatus(). Appends try the same before they are refused; a server
  // calls this periodically so that an idle log resumes too. May do I/O
  // and wait for a commit in progress: not for callback threads. Otherwise
  // just WriteStatus().
  virtual absl::Status ResumeWrites() = 0;

  // Waits for the group commit in progress (its callers get its outcome),
  // fails still-queued appends with UNAVAILABLE, calls pending NotifyAfter
  // callbacks with closed=true, and closes the database. Afterwards appends
  // and reads return UNAVAILABLE. Idempotent; safe from any thread,
  // including from a callback.
  virtual void Close() = 0;
};

}  // namespace ehcp::storage

#endif  // EHCP_STORAGE_EVENT_LOG_H_
