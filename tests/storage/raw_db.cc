#include "tests/storage/raw_db.h"

#include "gtest/gtest.h"
#include "storage/internal/format.h"

namespace ehcp::storage::testing {

RawDb::RawDb(const std::string& dir, bool create,
             std::vector<std::string> families, rocksdb::Env* env) {
  if (families.empty()) {
    families = {rocksdb::kDefaultColumnFamilyName,
                format::kLogFamily,
                format::kStreamsFamily,
                format::kHeadsFamily,
                format::kIdempotencyFamily,
                format::kMetaFamily};
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const std::string& name : families) {
    descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  }
  rocksdb::DBOptions options;
  options.create_if_missing = create;
  options.create_missing_column_families = create;
  if (env != nullptr) options.env = env;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  rocksdb::Status status =
      rocksdb::DB::Open(options, dir, descriptors, &handles, &db);
  if (!status.ok()) {
    ADD_FAILURE() << "raw open of " << dir << ": " << status.ToString();
    return;
  }
  db_.reset(db);
  for (size_t i = 0; i < families.size(); ++i)
    handles_[families[i]] = handles[i];
}

RawDb::~RawDb() {
  if (db_ == nullptr) return;
  for (auto& [name, handle] : handles_) db_->DestroyColumnFamilyHandle(handle);
  db_->Close().PermitUncheckedError();
}

std::optional<std::string> RawDb::Get(const std::string& family,
                                      const std::string& key) {
  std::string value;
  rocksdb::Status status =
      db_->Get(rocksdb::ReadOptions(), handles_.at(family), key, &value);
  if (status.IsNotFound()) return std::nullopt;
  EXPECT_TRUE(status.ok()) << status.ToString();
  return value;
}

void RawDb::Put(const std::string& family, const std::string& key,
                const std::string& value) {
  rocksdb::Status status =
      db_->Put(rocksdb::WriteOptions(), handles_.at(family), key, value);
  EXPECT_TRUE(status.ok()) << status.ToString();
}

std::map<std::string, std::string> RawDb::Dump(const std::string& family) {
  std::map<std::string, std::string> out;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), handles_.at(family)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    out.emplace(it->key().ToString(), it->value().ToString());
  }
  EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  return out;
}

}  // namespace ehcp::storage::testing
