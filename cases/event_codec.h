// How an ehcp.v1.Event is kept in the generic log.
//
// The log (storage/) stores opaque records and stamps each with its stream
// version, global position and commit time. The service stores the event's
// envelope and payload, serialized, as the record's data, and the payload
// kind ("request_received", …) as the record's type; on reading it puts
// back the three fields the log owns. See storage/FORMAT.md.
#ifndef EHCP_CASES_EVENT_CODEC_H_
#define EHCP_CASES_EVENT_CODEC_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ehcp/v1/events.pb.h"
#include "storage/event_log.h"

namespace ehcp::cases {

// The record for `event`: type = PayloadKindName, data = the event without
// case_version, global_position and recorded_at (the log owns those).
storage::NewRecord EncodeEvent(const v1::Event& event);

// The event stored in `record`, with case_version, global_position and
// recorded_at taken from the record. DATA_LOSS naming the position when the
// data does not parse.
absl::StatusOr<v1::Event> DecodeRecord(const storage::Record& record);

// The payload's kind in snake_case, as in the proto ("final_plan_issued");
// "unset" when no kind is set.
std::string PayloadKindName(const v1::EventPayload& payload);

// Fills a protobuf Timestamp from microseconds since the Unix epoch.
void SetTimestampMicros(int64_t micros, google::protobuf::Timestamp* ts);

// Every event of one case, in version order. An empty vector when the case
// has no events; DATA_LOSS when a stored event does not parse; other errors
// from the log.
absl::StatusOr<std::vector<v1::Event>> ReadCaseEvents(
    const storage::EventLog& log, const std::string& case_id);

}  // namespace ehcp::cases

#endif  // EHCP_CASES_EVENT_CODEC_H_
