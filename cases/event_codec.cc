#include "cases/event_codec.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ehcp::cases {

std::string PayloadKindName(const v1::EventPayload& payload) {
  const auto* field = v1::EventPayload::descriptor()->FindFieldByNumber(
      static_cast<int>(payload.kind_case()));
  return field == nullptr ? "unset" : field->name();
}

void SetTimestampMicros(int64_t micros, google::protobuf::Timestamp* ts) {
  int64_t seconds = micros / 1'000'000;
  int64_t rem = micros % 1'000'000;
  if (rem < 0) {
    rem += 1'000'000;
    --seconds;
  }
  ts->set_seconds(seconds);
  ts->set_nanos(static_cast<int32_t>(rem * 1000));
}

storage::NewRecord EncodeEvent(const v1::Event& event) {
  v1::Event stored = event;
  stored.clear_case_version();
  stored.clear_global_position();
  stored.clear_recorded_at();
  storage::NewRecord record;
  record.type = PayloadKindName(event.payload());
  stored.SerializeToString(&record.data);
  return record;
}

absl::StatusOr<v1::Event> DecodeRecord(const storage::Record& record) {
  v1::Event event;
  if (!event.ParseFromString(record.data)) {
    return absl::DataLossError(absl::StrCat(
        "log position ", record.position, ": stored event does not parse"));
  }
  event.set_case_version(static_cast<int64_t>(record.version));
  event.set_global_position(static_cast<int64_t>(record.position));
  SetTimestampMicros(record.recorded_at_micros, event.mutable_recorded_at());
  return event;
}

absl::StatusOr<std::vector<v1::Event>> ReadCaseEvents(
    const storage::EventLog& log, const std::string& case_id) {
  std::vector<v1::Event> events;
  constexpr size_t kPage = 1000;
  uint64_t from = 1;
  while (true) {
    absl::StatusOr<std::vector<storage::Record>> page =
        log.ReadStream(case_id, from, storage::Direction::kForwards, kPage);
    if (!page.ok()) return page.status();
    for (const storage::Record& record : *page) {
      absl::StatusOr<v1::Event> event = DecodeRecord(record);
      if (!event.ok()) return event.status();
      events.push_back(*std::move(event));
    }
    if (page->size() < kPage) break;
    from = page->back().version + 1;
  }
  return events;
}

}  // namespace ehcp::cases
