// Opens an event log's directory as a plain RocksDB database, to inspect or
// damage the stored bytes behind the log's back.
#ifndef EHCP_TESTS_STORAGE_RAW_DB_H_
#define EHCP_TESTS_STORAGE_RAW_DB_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rocksdb/db.h"

namespace ehcp::storage::testing {

// The database with every column family of the format
// (storage/internal/format.h), or with the ones given. The log must be closed
// while this is open.
class RawDb {
 public:
  // Fails the current test (db() is then null) if the open fails. `env`:
  // RocksDB's Env to use (null: the default), e.g. an in-memory one.
  explicit RawDb(const std::string& dir, bool create = false,
                 std::vector<std::string> families = {},
                 rocksdb::Env* env = nullptr);
  ~RawDb();
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  rocksdb::DB* db() { return db_.get(); }
  rocksdb::ColumnFamilyHandle* family(const std::string& name) {
    return handles_.at(name);
  }
  // nullopt if absent.
  std::optional<std::string> Get(const std::string& family,
                                 const std::string& key);
  void Put(const std::string& family, const std::string& key,
           const std::string& value);
  // Every key/value of a family, in key order.
  std::map<std::string, std::string> Dump(const std::string& family);

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::map<std::string, rocksdb::ColumnFamilyHandle*> handles_;
};

}  // namespace ehcp::storage::testing

#endif  // EHCP_TESTS_STORAGE_RAW_DB_H_
