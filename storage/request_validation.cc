#include "storage/internal/request_validation.h"

#include <cstddef>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "common/utf8.h"

namespace ehcp::storage {

absl::Status ValidateStreamId(std::string_view stream_id) {
  if (stream_id.empty()) {
    return absl::InvalidArgumentError("stream_id: must not be empty");
  }
  if (stream_id.size() > kMaxStreamIdSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "stream_id: ", stream_id.size(), " bytes, at most ", kMaxStreamIdSize));
  }
  for (size_t i = 0; i < stream_id.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(stream_id[i]);
    if (c < 0x20 || c > 0x7e) {
      return absl::InvalidArgumentError(absl::StrCat(
          "stream_id: byte ", i, " is not printable ASCII (0x20..0x7E)"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateIdempotencyKey(std::string_view key) {
  if (key.empty()) {
    return absl::InvalidArgumentError("idempotency_key: must not be empty");
  }
  if (key.size() > kMaxKeySize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "idempotency_key: ", key.size(), " bytes, at most ", kMaxKeySize));
  }
  return absl::OkStatus();
}

absl::Status ValidateAppendRequest(const AppendRequest& request) {
  if (absl::Status s = ValidateStreamId(request.stream_id); !s.ok()) return s;
  if (request.records.empty()) {
    return absl::InvalidArgumentError("records: must not be empty");
  }
  if (request.records.size() > kMaxRecordsPerAppend) {
    return absl::InvalidArgumentError(
        absl::StrCat("records: ", request.records.size(), " records, at most ",
                     kMaxRecordsPerAppend, " per append"));
  }
  for (size_t i = 0; i < request.records.size(); ++i) {
    if (!IsValidUtf8(request.records[i].type)) {
      return absl::InvalidArgumentError(
          absl::StrCat("records[", i, "].type: not valid UTF-8"));
    }
  }
  if (!request.idempotency_key.empty()) {
    if (absl::Status s = ValidateIdempotencyKey(request.idempotency_key);
        !s.ok()) {
      return s;
    }
  }
  if (request.request_digest.size() > kMaxKeySize) {
    return absl::InvalidArgumentError(
        absl::StrCat("request_digest: ", request.request_digest.size(),
                     " bytes, at most ", kMaxKeySize));
  }
  return absl::OkStatus();
}

}  // namespace ehcp::storage
