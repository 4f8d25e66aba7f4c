#include "storage/internal/request_validation.h"

#include <cstddef>
#include <cstdint>

#include "absl/strings/str_cat.h"

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

bool IsValidUtf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    size_t length;
    uint32_t code_point;
    if (c >= 0xc2 && c <= 0xdf) {
      length = 2;
      code_point = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      length = 3;
      code_point = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      length = 4;
      code_point = c & 0x07;
    } else {
      return false;  // Continuation byte, overlong lead, or beyond U+10FFFF.
    }
    if (static_cast<size_t>(end - p) < length) return false;
    for (size_t i = 1; i < length; ++i) {
      if ((p[i] & 0xc0) != 0x80) return false;
      code_point = (code_point << 6) | (p[i] & 0x3f);
    }
    if ((length == 3 && code_point < 0x800) ||
        (length == 4 && (code_point < 0x10000 || code_point > 0x10ffff)) ||
        (code_point >= 0xd800 && code_point <= 0xdfff)) {
      return false;
    }
    p += length;
  }
  return true;
}

}  // namespace ehcp::storage
