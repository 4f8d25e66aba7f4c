// Checks on caller input, made before a request reaches the commit queue.
#ifndef EHCP_STORAGE_INTERNAL_REQUEST_VALIDATION_H_
#define EHCP_STORAGE_INTERNAL_REQUEST_VALIDATION_H_

#include <string_view>

#include "absl/status/status.h"
#include "storage/event_log.h"

namespace ehcp::storage {

// OK for 1..kMaxStreamIdSize bytes of printable ASCII (0x20..0x7E);
// INVALID_ARGUMENT otherwise.
absl::Status ValidateStreamId(std::string_view stream_id);

// OK for a non-empty key of at most kMaxKeySize bytes; INVALID_ARGUMENT
// otherwise.
absl::Status ValidateIdempotencyKey(std::string_view key);

// OK if `request` may be queued: a valid stream id, 1..kMaxRecordsPerAppend
// records whose types are valid UTF-8, a key and digest of at most
// kMaxKeySize bytes. INVALID_ARGUMENT naming the first fault otherwise.
absl::Status ValidateAppendRequest(const AppendRequest& request);

}  // namespace ehcp::storage

#endif  // EHCP_STORAGE_INTERNAL_REQUEST_VALIDATION_H_
