// One RocksDB database as the event log and the clock index keep theirs
// (storage/FORMAT.md, projections/FORMAT.md): a directory, a fixed list of
// column families, and in one of them the key "format_version" holding
// BE64(version), written when the database is created and checked on every
// open. Errors become absl::Status through FromRocksDb
// (storage/rocksdb_status.h), every message starting with the database's
// name.
//
//   const RocksDbLayout layout{.name = "clock index", ...};
//   std::unique_ptr<rocksdb::DB> db;
//   std::vector<rocksdb::ColumnFamilyHandle*> handles;
//   EHCP_RETURN_IF_ERROR(OpenRocksDb(layout, dir, db_options, family_options,
//                                    &db, &handles));
//   EHCP_RETURN_IF_ERROR(CheckFormatVersion(layout, dir, db.get(), handles,
//                                           rocksdb::WriteOptions()));
//   ...
//   CloseRocksDb(&db, &handles);
//
// Thread safety: the functions hold no state; the caller serialises the use
// of one database's pointers.
#ifndef EHCP_STORAGE_ROCKSDB_DB_H_
#define EHCP_STORAGE_ROCKSDB_DB_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "storage/rocksdb_status.h"

namespace ehcp::storage {

// The meta key of the format version; its value is BE64(version).
inline constexpr char kFormatVersionKey[] = "format_version";

// What a database is, for opening it and for its messages.
struct RocksDbLayout {
  // Starts every message: "event log", "clock index".
  std::string name;
  // What the directory should hold, with its article: a database with other
  // column families "is not an event log".
  std::string a_name;
  // The column families, in handle order; the first is RocksDB's "default".
  std::vector<std::string> families;
  // The family (an index into `families`) holding kFormatVersionKey.
  size_t meta_family = 0;
  // The format version this build reads and writes.
  uint64_t format_version = 0;
  // Families whose keys show that the database was written before; with
  // none and no format version it is new. What their keys are called in
  // the message ("records", "keys").
  std::vector<size_t> data_families;
  std::string data_noun = "keys";
  // How to proceed with a database of another version, said after the
  // refusal in parentheses ("delete the directory to rebuild the index").
  std::string on_other_version;
};

// OK when `dir` holds no database yet (no CURRENT file, looked up through
// options.env), or one whose column families are exactly layout.families
// (in any order). FAILED_PRECONDITION otherwise: "<name>: <dir> holds a
// RocksDB database that is not <a_name> (its column families differ)".
absl::Status CheckColumnFamilies(const RocksDbLayout& layout,
                                 const std::string& dir,
                                 const rocksdb::DBOptions& options);

// Checks the families (CheckColumnFamilies), then opens the database in
// `dir`, creating it and its families when missing (this sets
// create_if_missing and create_missing_column_families in `options`).
// Unless `options` names an info_log or another Env, RocksDB's LOG is
// written by NewInfoLog (storage/internal/info_log.h), which a full disk
// cannot turn into an abort.
// `family_options` gives each family's options by name. On success, *db is
// the database and *handles one handle per family, in layout order; on
// failure both are left empty. A RocksDB error is "<name>: open <dir>: ...".
absl::Status OpenRocksDb(
    const RocksDbLayout& layout, const std::string& dir,
    rocksdb::DBOptions options,
    const std::function<rocksdb::ColumnFamilyOptions(const std::string&)>&
        family_options,
    std::unique_ptr<rocksdb::DB>* db,
    std::vector<rocksdb::ColumnFamilyHandle*>* handles);

// Opens the database in `dir` read only, as it is on disk (its write-ahead
// log replayed in memory; nothing written, so it opens on a full disk):
// the families are checked as by OpenRocksDb, and a missing database is an
// error. "<name>: open <dir> read-only: ...".
absl::Status OpenRocksDbReadOnly(
    const RocksDbLayout& layout, const std::string& dir,
    rocksdb::DBOptions options,
    const std::function<rocksdb::ColumnFamilyOptions(const std::string&)>&
        family_options,
    std::unique_ptr<rocksdb::DB>* db,
    std::vector<rocksdb::ColumnFamilyHandle*>* handles);

// Reads the format version of a database opened with OpenRocksDb. A new
// database (no version, no key in layout.data_families) gets
// layout.format_version, written with `write_options` (an error when the
// database was opened read only). FAILED_PRECONDITION
// when it has keys but no version ("<name>: <dir> has <data_noun> but no
// format version") or another version ("<name>: <dir> has format version
// 3; this build reads only version 2 (<on_other_version>)"); DATA_LOSS when
// the stored value is not 8 bytes.
absl::Status CheckFormatVersion(
    const RocksDbLayout& layout, const std::string& dir, rocksdb::DB* db,
    const std::vector<rocksdb::ColumnFamilyHandle*>& handles,
    const rocksdb::WriteOptions& write_options);

// Destroys the handles and closes the database, leaving both empty; nothing
// when *db is already null. A failure to close is dropped: what was
// acknowledged is in the write-ahead log, and there is no caller to tell.
void CloseRocksDb(std::unique_ptr<rocksdb::DB>* db,
                  std::vector<rocksdb::ColumnFamilyHandle*>* handles);

}  // namespace ehcp::storage

#endif  // EHCP_STORAGE_ROCKSDB_DB_H_
