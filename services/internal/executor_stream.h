// A server stream whose messages are made on the executor (executor.h), one
// at a time: the next is made only once the previous one has been written,
// so no gRPC thread reads the disk or computes, and a slow reader holds one
// message, not the whole answer. It owns itself (deleted when gRPC is done
// with it).
//
//   class Pages final : public ExecutorStream<v1::ExportLogResponse> {
//    public:
//     explicit Pages(Executor* executor) : ExecutorStream(executor) {
//       Start();
//     }
//    private:
//     void Step() override {            // on the executor
//       if (nothing_left) return FinishOnce(grpc::Status::OK);
//       page_ = ...;
//       Write(&page_, /*last=*/false);  // Step runs again once written
//     }
//     v1::ExportLogResponse page_;
//   };
//
// A cancelled call, a reader gone or a full executor finishes the stream
// (CANCELLED, RESOURCE_EXHAUSTED); Step is not called after that.
//
// Thread safety: driven by gRPC and the executor; one Step or one write at
// a time, so a subclass's state needs no lock.
#ifndef EHCP_SERVICES_INTERNAL_EXECUTOR_STREAM_H_
#define EHCP_SERVICES_INTERNAL_EXECUTOR_STREAM_H_

#include <atomic>
#include <utility>

#include "grpcpp/support/server_callback.h"
#include "grpcpp/support/status.h"
#include "services/internal/executor.h"
#include "services/internal/grpc_status.h"

namespace ehcp::services {

template <typename Response>
class ExecutorStream : public grpc::ServerWriteReactor<Response> {
 public:
  void OnWriteDone(bool ok) override {
    if (!ok) {
      FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "client gone"));
      return;
    }
    if (last_) {
      FinishOnce(grpc::Status::OK);
      return;
    }
    Schedule();
  }
  void OnCancel() override { cancelled_ = true; }
  void OnDone() override { delete this; }

 protected:
  explicit ExecutorStream(Executor* executor) : executor_(executor) {}

  // Schedules the first Step: the last statement of a subclass's
  // constructor.
  void Start() { Schedule(); }

  // On the executor: makes the next message and calls Write, or calls
  // FinishOnce.
  virtual void Step() = 0;

  // Writes `message` (which must live until the next Step); with `last`,
  // the stream then finishes OK.
  void Write(const Response* message, bool last) {
    last_ = last;
    this->StartWrite(message);
  }

  void FinishOnce(grpc::Status status) {
    if (finished_.exchange(true)) return;
    this->Finish(std::move(status));
  }

 private:
  void Schedule() {
    const bool accepted = executor_->Submit([this] {
      if (cancelled_.load()) {
        FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
        return;
      }
      Step();
    });
    if (!accepted) FinishOnce(ToGrpcStatus(executor_->BusyStatus()));
  }

  Executor* const executor_;
  bool last_ = false;
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> finished_{false};
};

}  // namespace ehcp::services

#endif  // EHCP_SERVICES_INTERNAL_EXECUTOR_STREAM_H_
