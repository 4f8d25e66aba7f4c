// Moving a log between servers, or into an archive: ExportLog streams the
// log (or one case) as records with their stored bytes, and ImportLog takes
// such a stream into an empty log (ehcp.v1.CaseService; storage/event_log.h
// ReadStored and LogImport).
//
// Both run their reads, checks and writes on the server's executor, a page
// at a time, one page in flight: no gRPC thread touches the disk, and a
// slow peer holds one page. An import writes nothing to the log until its
// stream has ended normally and every record was good; a cancelled or
// refused import drops what it staged (on the executor too).
//
//   return StartExportLog(log, executor, *request);
//   return StartImportLog(log, executor);
//
// Thread safety: the reactors are driven by gRPC and the executor; safe.
#ifndef EHCP_SERVICES_INTERNAL_LOG_TRANSFER_H_
#define EHCP_SERVICES_INTERNAL_LOG_TRANSFER_H_

#include <cstddef>

#include "ehcp/v1/case_service.grpc.pb.h"
#include "services/internal/executor.h"
#include "storage/event_log.h"

namespace ehcp::services {

// Records per export page, and the bytes a page stops at (whichever comes
// first).
inline constexpr size_t kExportPageRecords = 500;
inline constexpr size_t kExportPageBytes = size_t{1} << 20;

// A self-owning reactor for ExportLog: INVALID_ARGUMENT at once for a bad
// range; NOT_FOUND for an unknown case; else pages of records.
grpc::ServerWriteReactor<v1::ExportLogResponse>* StartExportLog(
    storage::EventLog* log, Executor* executor,
    const v1::ExportLogRequest& request);

// A self-owning reactor for ImportLog.
grpc::ServerReadReactor<v1::ImportLogRequest>* StartImportLog(
    storage::EventLog* log, Executor* executor, v1::ImportLogResponse* response);

}  // namespace ehcp::services

#endif  // EHCP_SERVICES_INTERNAL_LOG_TRANSFER_H_
