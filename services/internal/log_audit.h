// The auditor's side of the case API: the log's digest, and a verification
// of its hash chain streamed with progress (ehcp.v1.CaseService GetDigest,
// VerifyLog; storage/FORMAT.md, "The hash chain").
//
// The verification runs on the server's executor a chunk of positions at a
// time, one progress message per chunk, so no gRPC thread reads the disk
// and a long log neither holds a worker for long nor keeps the shutdown
// waiting: `stopping` is asked between chunks.
//
//   return StartVerifyLog(log, executor, [this] { return Stopping(); },
//                         *request);
//
// Thread safety: the reactor is driven by gRPC and the executor; safe.
#ifndef EHCP_SERVICES_INTERNAL_LOG_AUDIT_H_
#define EHCP_SERVICES_INTERNAL_LOG_AUDIT_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ehcp/v1/case_service.grpc.pb.h"
#include "services/internal/executor.h"
#include "storage/event_log.h"

namespace ehcp::services {

// Positions verified per chunk (and per progress message).
inline constexpr uint64_t kVerifyChunk = 20'000;

// A digest "<position>:<64 lower-case hex digits>", parsed.
struct LogDigest {
  uint64_t position = 0;
  std::string hash;  // 32 bytes
};

// The position a hash-chain error names ("hash chain broken at position 7:
// …", storage/event_log.h VerifyChain), or 0.
uint64_t ChainErrorPosition(absl::string_view message);

// INVALID_ARGUMENT naming `field` when `text` is not a digest.
absl::StatusOr<LogDigest> ParseDigest(const std::string& text,
                                      const std::string& field);

// The log's digest now (reads the head record: call on the executor).
absl::StatusOr<v1::GetDigestResponse> ReadDigest(const storage::EventLog& log);

// A self-owning reactor for VerifyLog: INVALID_ARGUMENT at once for a bad
// request, else progress messages and the verdict.
grpc::ServerWriteReactor<v1::VerifyLogResponse>* StartVerifyLog(
    storage::EventLog* log, Executor* executor,
    std::function<bool()> stopping, const v1::VerifyLogRequest& request);

}  // namespace ehcp::services

#endif  // EHCP_SERVICES_INTERNAL_LOG_AUDIT_H_
