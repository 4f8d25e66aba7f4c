#include "storage/internal/format.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "ehcp/storage/v1/log.pb.h"
#include "storage/absl_string_view.h"
#include "storage/hash.h"

namespace ehcp::storage::format {

const std::string& ZeroHash() {
  static const std::string* const zero = new std::string(kHashSize, '\0');
  return *zero;
}

std::string LogKey(uint64_t position) { return BigEndian64(position); }

std::string StreamIndexPrefix(std::string_view stream_id) {
  std::string key;
  key.reserve(stream_id.size() + 9);
  key.append(stream_id);
  key.push_back('\0');
  return key;
}

std::string StreamIndexKey(std::string_view stream_id, uint64_t version) {
  std::string key = StreamIndexPrefix(stream_id);
  PutBigEndian64(&key, version);
  return key;
}

std::string IdempotencyKey(std::string_view stream_id, std::string_view key) {
  std::string out;
  out.reserve(stream_id.size() + 1 + key.size());
  out.append(stream_id);
  out.push_back('\0');
  out.append(key);
  return out;
}

void EncodeLogRecord(uint64_t position, std::string_view stream_id,
                     uint64_t version, int64_t recorded_at_micros,
                     std::string_view type, std::string_view data,
                     std::string_view prev_hash, std::string* out) {
  ehcp::storage::v1::LogRecord record;
  record.set_position(position);
  record.set_stream_id(std::string(stream_id));
  record.set_version(version);
  record.set_recorded_at_micros(recorded_at_micros);
  record.set_type(std::string(type));
  record.set_data(std::string(data));
  record.set_prev_hash(std::string(prev_hash));
  out->clear();
  record.SerializeToString(out);
}

absl::StatusOr<DecodedRecord> DecodeLogRecord(uint64_t position,
                                              std::string_view bytes) {
  ehcp::storage::v1::LogRecord proto;
  if (!proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(
        absl::StrCat("position ", position, ": record does not decode"));
  }
  if (proto.position() != position) {
    return absl::DataLossError(absl::StrCat(
        "position ", position, ": record claims position ", proto.position()));
  }
  if (proto.prev_hash().size() != kHashSize) {
    return absl::DataLossError(
        absl::StrCat("position ", position, ": prev_hash has ",
                     proto.prev_hash().size(), " bytes"));
  }
  DecodedRecord decoded;
  Record& record = decoded.record;
  record.position = position;
  record.stream_id = std::move(*proto.mutable_stream_id());
  record.version = proto.version();
  record.recorded_at_micros = proto.recorded_at_micros();
  record.type = std::move(*proto.mutable_type());
  record.data = std::move(*proto.mutable_data());
  record.hash = Sha256(bytes);
  decoded.prev_hash = std::move(*proto.mutable_prev_hash());
  return decoded;
}

std::string EncodeLogHead(const LogHead& head) {
  ehcp::storage::v1::LogHead proto;
  proto.set_position(head.position);
  proto.set_hash(head.hash);
  proto.set_recorded_at_micros(head.recorded_at_micros);
  return proto.SerializeAsString();
}

absl::StatusOr<LogHead> DecodeLogHead(std::string_view bytes) {
  ehcp::storage::v1::LogHead proto;
  if (!proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) ||
      proto.hash().size() != kHashSize) {
    return absl::DataLossError("meta head: value does not decode");
  }
  LogHead head;
  head.position = proto.position();
  head.hash = std::move(*proto.mutable_hash());
  head.recorded_at_micros = proto.recorded_at_micros();
  return head;
}

std::string EncodeIdempotency(const IdempotencyEntry& entry) {
  ehcp::storage::v1::IdempotencyRecord proto;
  proto.set_request_digest(entry.request_digest);
  proto.set_first_version(entry.result.first_version);
  proto.set_last_version(entry.result.last_version);
  proto.set_first_position(entry.result.first_position);
  proto.set_last_position(entry.result.last_position);
  proto.set_recorded_at_micros(entry.result.recorded_at_micros);
  return proto.SerializeAsString();
}

absl::StatusOr<IdempotencyEntry> DecodeIdempotency(std::string_view bytes) {
  ehcp::storage::v1::IdempotencyRecord proto;
  if (!proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError("idempotency record does not decode");
  }
  IdempotencyEntry entry;
  entry.request_digest = std::move(*proto.mutable_request_digest());
  entry.result.first_version = proto.first_version();
  entry.result.last_version = proto.last_version();
  entry.result.first_position = proto.first_position();
  entry.result.last_position = proto.last_position();
  entry.result.recorded_at_micros = proto.recorded_at_micros();
  return entry;
}

}  // namespace ehcp::storage::format
