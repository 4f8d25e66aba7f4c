// Export and import over gRPC between two real servers: an export of a whole
// log imported into an empty server reproduces its digest and its answers
// (reads, clocks, reports); an import whose records do not chain, skip a
// position, carry an altered byte or an event that is not the one their
// bytes hold is refused and writes nothing; a server whose log is not
// empty refuses an import; a case exports alone.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/services/journey_builder.h"

namespace ehcp::testing {
namespace {

using ::testing::HasSubstr;

class TransferApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 3; ++i) {
      const std::string id = source_.OpenCase("T-" + std::to_string(i));
      ids_.push_back(id);
      grpc::ClientContext context;
      v1::AppendEventsResponse response;
      ASSERT_TRUE(source_.stub()
                      .AppendEvents(&context, AppendRequest(id, StandardJourney()),
                                    &response)
                      .ok());
    }
  }

  static std::vector<v1::ExportedRecord> Export(TestServer& server,
                                                const v1::ExportLogRequest& request,
                                                grpc::Status* status = nullptr) {
    grpc::ClientContext context;
    auto reader = server.stub().ExportLog(&context, request);
    std::vector<v1::ExportedRecord> records;
    v1::ExportLogResponse page;
    while (reader->Read(&page)) {
      for (const v1::ExportedRecord& r : page.records()) records.push_back(r);
    }
    const grpc::Status finished = reader->Finish();
    if (status != nullptr) {
      *status = finished;
    } else {
      EXPECT_TRUE(finished.ok()) << finished.error_message();
    }
    return records;
  }

  static grpc::Status Import(TestServer& server,
                             const std::vector<v1::ExportedRecord>& records,
                             v1::ImportLogResponse* response) {
    grpc::ClientContext context;
    auto writer = server.stub().ImportLog(&context, response);
    v1::ImportLogRequest page;
    for (size_t i = 0; i < records.size(); ++i) {
      *page.add_records() = records[i];
      if (page.records_size() == 7 || i + 1 == records.size()) {
        if (!writer->Write(page)) break;
        page.Clear();
      }
    }
    writer->WritesDone();
    return writer->Finish();
  }

  static std::string Digest(TestServer& server) {
    grpc::ClientContext context;
    v1::GetDigestResponse digest;
    EXPECT_TRUE(server.stub()
                    .GetDigest(&context, v1::GetDigestRequest(), &digest)
                    .ok());
    return digest.digest();
  }

  TempDir source_dir_, target_dir_;
  TestServer source_{source_dir_.path()};
  TestServer target_{target_dir_.path()};
  std::vector<std::string> ids_;
};

TEST_F(TransferApiTest, AnImportedExportHasTheSameDigestAndAnswers) {
  const std::vector<v1::ExportedRecord> records =
      Export(source_, v1::ExportLogRequest());
  ASSERT_EQ(records.size(), 21u);  // 3 × (opened + 6)
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].position(), static_cast<int64_t>(i + 1));
    if (i > 0) {
      EXPECT_EQ(records[i].prev_hash(), records[i - 1].hash());
    }
  }
  v1::ImportLogResponse imported;
  grpc::Status status = Import(target_, records, &imported);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(imported.imported(), 21);
  EXPECT_EQ(imported.digest(), Digest(source_));
  EXPECT_EQ(Digest(target_), Digest(source_));
  // The same events, and the same clocks and reports once the target's
  // clock index has read the imported log.
  auto source_clocks = v1::ClockService::NewStub(source_.channel());
  auto target_clocks = v1::ClockService::NewStub(target_.channel());
  for (const std::string& id : ids_) {
    grpc::ClientContext a, b;
    v1::ReadCaseRequest read;
    read.set_case_id(id);
    v1::ReadCaseResponse from_source, from_target;
    ASSERT_TRUE(source_.stub().ReadCase(&a, read, &from_source).ok());
    ASSERT_TRUE(target_.stub().ReadCase(&b, read, &from_target).ok());
    EXPECT_EQ(from_source.SerializeAsString(), from_target.SerializeAsString());
    const auto clocks_a = ClocksAsOf(*source_clocks, id, "2025-01-01");
    const auto clocks_b = ClocksAsOf(*target_clocks, id, "2025-01-01");
    ASSERT_EQ(clocks_a.size(), clocks_b.size());
    for (const auto& [key, clock] : clocks_a) {
      EXPECT_EQ(clock.SerializeAsString(), clocks_b.at(key).SerializeAsString())
          << key;
    }
  }
  v1::ListBreachesRequest breaches;
  breaches.set_as_of("2025-01-01");
  breaches.set_min_position(21);
  v1::ListBreachesResponse breaches_a, breaches_b;
  grpc::ClientContext a, b;
  ASSERT_TRUE(source_clocks->ListBreaches(&a, breaches, &breaches_a).ok());
  status = target_clocks->ListBreaches(&b, breaches, &breaches_b);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_GT(breaches_a.clocks_size(), 0);
  EXPECT_EQ(breaches_a.SerializeAsString(), breaches_b.SerializeAsString());
  // And the imported log takes new appends after its head.
  grpc::ClientContext append_context;
  v1::AppendEventsResponse appended;
  status = target_.stub().AppendEvents(
      &append_context, AppendRequest(ids_[0], {Review("2025-05-20")}), &appended);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(appended.global_position(), 22);
}

TEST_F(TransferApiTest, ABrokenImportIsRefusedNamingThePositionAndWritesNothing) {
  const std::vector<v1::ExportedRecord> records =
      Export(source_, v1::ExportLogRequest());
  struct Damage {
    const char* what;
    std::vector<v1::ExportedRecord> records;
    const char* expected;
  };
  std::vector<Damage> damages;
  {
    auto r = records;
    std::string bytes = r[9].stored();
    bytes[bytes.size() - 3] ^= 0x20;
    r[9].set_stored(bytes);
    damages.push_back({"a changed byte", r, "position 10"});
  }
  {
    auto r = records;
    r.erase(r.begin() + 4);
    damages.push_back({"a skipped position", r, "position 6"});
  }
  {
    auto r = records;
    std::swap(r[2], r[3]);
    damages.push_back({"records out of order", r, "position 4"});
  }
  {
    auto r = records;
    r[12].mutable_event()->set_occurred_on("2024-01-09");
    damages.push_back({"an edited event", r, "position 13"});
  }
  {
    auto r = records;
    r[5].set_hash(std::string(64, '0'));
    damages.push_back({"a wrong hash", r, "position 6"});
  }
  for (const Damage& d : damages) {
    v1::ImportLogResponse response;
    const grpc::Status status = Import(target_, d.records, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << d.what;
    EXPECT_THAT(status.error_message(), HasSubstr(d.expected)) << d.what;
    EXPECT_THAT(status.error_message(), HasSubstr("nothing was imported"))
        << d.what;
    EXPECT_EQ(Digest(target_), "0:" + std::string(64, '0')) << d.what;
  }
  // The refusals left nothing behind: the whole export still imports.
  v1::ImportLogResponse response;
  EXPECT_TRUE(Import(target_, records, &response).ok());
  EXPECT_EQ(Digest(target_), Digest(source_));
}

TEST_F(TransferApiTest, AServerWhoseLogIsNotEmptyRefusesAnImport) {
  const std::vector<v1::ExportedRecord> records =
      Export(source_, v1::ExportLogRequest());
  const std::string before = Digest(source_);
  v1::ImportLogResponse response;
  const grpc::Status status = Import(source_, records, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("empty log"));
  EXPECT_EQ(Digest(source_), before);
}

TEST_F(TransferApiTest, ACaseExportsAloneWithItsPositionsAndHashes) {
  v1::ExportLogRequest request;
  request.set_case_id(ids_[1]);
  const std::vector<v1::ExportedRecord> records = Export(source_, request);
  ASSERT_EQ(records.size(), 7u);
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].event().case_id(), ids_[1]);
    EXPECT_EQ(records[i].event().case_version(), static_cast<int64_t>(i + 1));
    EXPECT_EQ(records[i].position(), records[i].event().global_position());
    EXPECT_EQ(records[i].hash().size(), 64u);
  }
  request.set_case_id("E06000035-00000000deadbeef");
  grpc::Status status;
  EXPECT_TRUE(Export(source_, request, &status).empty());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  request.set_case_id("");
  request.set_from_position(5);
  request.set_to_position(2);
  Export(source_, request, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace ehcp::testing
