// ClockIndex::Impl: rebuilding beside the live index, and the swap.
//
// The new index is a second Impl on `dir`.rebuild, written by the same code
// as the live one (index_writer.cc), with the same case models. Swapping
// is two renames while the live database is closed:
//
//   dir → dir.old,  dir.rebuild → dir,  then dir.old is removed.
//
// A crash between the renames leaves dir missing and dir.old present:
// RecoverFromSwap puts dir.old back (and drops the unfinished new index).
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "projections/internal/clock_index_impl.h"

namespace ehcp::projections {
namespace {

std::string BesideDir(const std::string& dir) { return dir + ".rebuild"; }
std::string OldDir(const std::string& dir) { return dir + ".old"; }

absl::Status FileError(const std::error_code& error, const std::string& what) {
  return absl::ErrnoToStatus(error.value(), absl::StrCat("clock index: ", what));
}

}  // namespace

absl::Status ClockIndex::Impl::RecoverFromSwap(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (!fs::exists(dir, error) && fs::exists(OldDir(dir), error)) {
    // Crashed between the renames: the old index stands.
    fs::rename(OldDir(dir), dir, error);
    if (error) return FileError(error, absl::StrCat("restore ", OldDir(dir)));
  }
  for (const std::string& leftover : {OldDir(dir), BesideDir(dir)}) {
    if (!fs::exists(leftover, error)) continue;
    fs::remove_all(leftover, error);
    if (error) return FileError(error, absl::StrCat("remove ", leftover));
  }
  return absl::OkStatus();
}

RebuildProgress ClockIndex::Impl::Progress() const {
  absl::MutexLock lock(&progress_mu_);
  RebuildProgress progress;
  if (beside_ == nullptr) return progress;
  progress.running = true;
  progress.phase = beside_phase_;
  progress.target = beside_target_;
  progress.events_read = beside_->applied_mirror_.load();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - beside_started_);
  if (seconds > 0 && progress.events_read > 0) {
    progress.events_per_second = progress.events_read / seconds;
    if (progress.target > progress.events_read) {
      progress.eta = absl::Seconds((progress.target - progress.events_read) /
                                   progress.events_per_second);
    }
  }
  return progress;
}

absl::StatusOr<RebuildResult> ClockIndex::Impl::Rebuild() {
  if (!rebuild_mu_.TryLock()) {
    return absl::FailedPreconditionError(
        "clock index: a rebuild is already running (see its progress in "
        "the projection status)");
  }
  struct Unlock {
    absl::Mutex* mu;
    ~Unlock() { mu->Unlock(); }
  } unlock{&rebuild_mu_};
  if (stopping_.load()) return ClosedError();

  EHCP_RETURN_IF_ERROR(RecoverFromSwap(dir_));
  const std::string beside_dir = BesideDir(dir_);
  std::error_code error;
  std::filesystem::create_directories(beside_dir, error);
  if (error) return FileError(error, absl::StrCat("create ", beside_dir));
  Options beside_options = options_;
  beside_options.start_tailer = false;
  beside_options.cases = cases_;
  auto beside = std::make_unique<Impl>(beside_dir, log_, beside_options);
  EHCP_RETURN_IF_ERROR(beside->OpenDatabase());
  {
    absl::MutexLock lock(&progress_mu_);
    beside_ = beside.get();
    beside_target_ = log_->HeadPosition();
    beside_started_ = absl::Now();
    beside_phase_ = "indexing";
  }
  struct Forget {
    Impl* impl;
    ~Forget() {
      absl::MutexLock lock(&impl->progress_mu_);
      impl->beside_ = nullptr;
    }
  } forget{this};
  auto phase = [this](const char* name) {
    absl::MutexLock lock(&progress_mu_);
    beside_phase_ = name;
  };
  // Close() stops the beside index too (it polls our stopping_ only through
  // its own, so pass it on between steps).
  auto give_up = [&]() -> absl::Status {
    beside->Close();
    std::filesystem::remove_all(beside_dir, error);
    return ClosedError();
  };

  absl::StatusOr<RebuildResult> built = beside->RebuildInPlace();
  if (!built.ok()) {
    beside->Close();
    std::filesystem::remove_all(beside_dir, error);
    return built.status();
  }
  if (stopping_.load()) return give_up();
  // Most of what was appended meanwhile, without pausing the live tailer.
  phase("catching up");
  EHCP_RETURN_IF_ERROR(beside->CatchUpTo(UINT64_MAX));
  if (stopping_.load()) return give_up();

  phase("swapping");
  RebuildResult result = *built;
  {
    absl::MutexLock apply_lock(&apply_mu_);  // The live tailer waits.
    if (stopping_.load()) return give_up();
    // The rest, then the swap; the new index is at the live one's position
    // or past it.
    EHCP_RETURN_IF_ERROR(beside->CatchUpTo(applied_));
    result.checkpoint = beside->applied_;
    beside->Close();
    beside.reset();
    absl::Status reopened;
    {
      // Queries wait here for the moment of the swap.
      absl::WriterMutexLock db_lock(&db_mu_);
      CloseDatabaseLocked();
      std::filesystem::rename(dir_, OldDir(dir_), error);
      if (!error) std::filesystem::rename(beside_dir, dir_, error);
      if (error) {
        // Put the live index back as it was.
        std::error_code ignored;
        if (!std::filesystem::exists(dir_, ignored)) {
          std::filesystem::rename(OldDir(dir_), dir_, ignored);
        }
      }
      reopened = OpenHandlesLocked();
    }
    if (error) return FileError(error, "swap in the rebuilt index");
    EHCP_RETURN_IF_ERROR(reopened);
    read_only_ = false;  // Opened for writing, whatever the old one was.
    write_error_ = absl::OkStatus();
    EHCP_RETURN_IF_ERROR(LoadMeta());
    absl::MutexLock lock(&mu_);
    damage_ = absl::OkStatus();  // Whatever it was, it is gone.
  }
  std::filesystem::remove_all(OldDir(dir_), error);
  result.indexed_cases = indexed_cases_.load();
  wake_->Signal();  // The tailer goes on from the new checkpoint.
  return result;
}

}  // namespace ehcp::projections
