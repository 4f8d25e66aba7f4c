#include "storage/rocksdb_db.h"

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/big_endian.h"
#include "common/status_macros.h"
#include "storage/internal/info_log.h"

namespace ehcp::storage {

absl::Status CheckColumnFamilies(const RocksDbLayout& layout,
                                 const std::string& dir,
                                 const rocksdb::DBOptions& options) {
  if (!options.env->FileExists(dir + "/CURRENT").ok()) {
    return absl::OkStatus();  // No database yet: OpenRocksDb creates one.
  }
  std::vector<std::string> found;
  EHCP_RETURN_IF_ERROR(
      FromRocksDb(rocksdb::DB::ListColumnFamilies(options, dir, &found),
                  absl::StrCat(layout.name, ": list column families")));
  const absl::flat_hash_set<std::string> expected(layout.families.begin(),
                                                  layout.families.end());
  const absl::flat_hash_set<std::string> actual(found.begin(), found.end());
  if (expected != actual) {
    return absl::FailedPreconditionError(absl::StrCat(
        layout.name, ": ", dir, " holds a RocksDB database that is not ",
        layout.a_name, " (its column families differ)"));
  }
  return absl::OkStatus();
}

namespace {

// OpenRocksDb and OpenRocksDbReadOnly.
absl::Status Open(
    const RocksDbLayout& layout, const std::string& dir,
    rocksdb::DBOptions options,
    const std::function<rocksdb::ColumnFamilyOptions(const std::string&)>&
        family_options,
    bool read_only, std::unique_ptr<rocksdb::DB>* db,
    std::vector<rocksdb::ColumnFamilyHandle*>* handles) {
  EHCP_RETURN_IF_ERROR(CheckColumnFamilies(layout, dir, options));
  // RocksDB's own LOG writer aborts the process after a failed write (a
  // full disk); ours drops the line (storage/internal/info_log.h).
  if (options.info_log == nullptr && options.env == rocksdb::Env::Default()) {
    options.info_log = NewInfoLog(dir);
  }
  options.create_if_missing = !read_only;
  options.create_missing_column_families = !read_only;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const std::string& name : layout.families) {
    descriptors.emplace_back(name, family_options(name));
  }
  rocksdb::DB* opened = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> opened_handles;
  EHCP_RETURN_IF_ERROR(FromRocksDb(
      read_only ? rocksdb::DB::OpenForReadOnly(options, dir, descriptors,
                                               &opened_handles, &opened)
                : rocksdb::DB::Open(options, dir, descriptors,
                                    &opened_handles, &opened),
      absl::StrCat(layout.name, ": open ", dir, read_only ? " read-only" : "")));
  db->reset(opened);
  *handles = std::move(opened_handles);
  return absl::OkStatus();
}

}  // namespace

absl::Status OpenRocksDb(
    const RocksDbLayout& layout, const std::string& dir,
    rocksdb::DBOptions options,
    const std::function<rocksdb::ColumnFamilyOptions(const std::string&)>&
        family_options,
    std::unique_ptr<rocksdb::DB>* db,
    std::vector<rocksdb::ColumnFamilyHandle*>* handles) {
  return Open(layout, dir, std::move(options), family_options,
              /*read_only=*/false, db, handles);
}

absl::Status OpenRocksDbReadOnly(
    const RocksDbLayout& layout, const std::string& dir,
    rocksdb::DBOptions options,
    const std::function<rocksdb::ColumnFamilyOptions(const std::string&)>&
        family_options,
    std::unique_ptr<rocksdb::DB>* db,
    std::vector<rocksdb::ColumnFamilyHandle*>* handles) {
  return Open(layout, dir, std::move(options), family_options,
              /*read_only=*/true, db, handles);
}

absl::Status CheckFormatVersion(
    const RocksDbLayout& layout, const std::string& dir, rocksdb::DB* db,
    const std::vector<rocksdb::ColumnFamilyHandle*>& handles,
    const rocksdb::WriteOptions& write_options) {
  rocksdb::ColumnFamilyHandle* meta = handles.at(layout.meta_family);
  std::string value;
  const rocksdb::Status status =
      db->Get(rocksdb::ReadOptions(), meta, kFormatVersionKey, &value);
  if (status.IsNotFound()) {
    for (size_t family : layout.data_families) {
      std::unique_ptr<rocksdb::Iterator> it(
          db->NewIterator(rocksdb::ReadOptions(), handles.at(family)));
      it->SeekToFirst();
      EHCP_RETURN_IF_ERROR(FromRocksDb(
          it->status(),
          absl::StrCat(layout.name, ": scan ", layout.families.at(family))));
      if (it->Valid()) {
        return absl::FailedPreconditionError(
            absl::StrCat(layout.name, ": ", dir, " has ", layout.data_noun,
                         " but no format version"));
      }
    }
    return FromRocksDb(db->Put(write_options, meta, kFormatVersionKey,
                               BigEndian64(layout.format_version)),
                       absl::StrCat(layout.name, ": write format version"));
  }
  EHCP_RETURN_IF_ERROR(
      FromRocksDb(status, absl::StrCat(layout.name, ": read format version")));
  EHCP_ASSIGN_OR_RETURN(
      const uint64_t version,
      DecodeBigEndian64(
          value, absl::StrCat(layout.name, ": meta ", kFormatVersionKey)));
  if (version != layout.format_version) {
    return absl::FailedPreconditionError(
        absl::StrCat(layout.name, ": ", dir, " has format version ", version,
                     "; this build reads only version ", layout.format_version,
                     " (", layout.on_other_version, ")"));
  }
  return absl::OkStatus();
}

void CloseRocksDb(std::unique_ptr<rocksdb::DB>* db,
                  std::vector<rocksdb::ColumnFamilyHandle*>* handles) {
  if (*db == nullptr) return;
  for (rocksdb::ColumnFamilyHandle* handle : *handles) {
    (*db)->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
  }
  handles->clear();
  (*db)->Close().PermitUncheckedError();
  db->reset();
}

}  // namespace ehcp::storage
