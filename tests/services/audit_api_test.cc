// The auditor's calls over gRPC against a real server and RocksDB: the
// log's digest, and the verification of its hash chain (streamed with
// progress), including a record rewritten behind the server's back with
// valid RocksDB checksums, which no read then serves.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/big_endian.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "tests/services/journey_builder.h"

namespace ehcp::testing {
namespace {

using ::testing::HasSubstr;

class AuditApiTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::unique_ptr<TestServer> server_ =
      std::make_unique<TestServer>(dir_.path());

  // Appends `count` advice requests to a new case, 100 per call.
  void Grow(const std::string& ref, int count) {
    const std::string id = server_->OpenCase(ref);
    grpc::ClientContext context;
    v1::AppendEventsResponse response;
    ASSERT_TRUE(server_->stub()
                    .AppendEvents(&context,
                                  AppendRequest(id, {Request("2024-01-08"),
                                                     DecideToAssess("2024-02-01")}),
                                  &response)
                    .ok());
    for (int done = 0; done < count;) {
      std::vector<v1::ProposedEvent> events;
      for (int i = 0; i < 100 && done < count; ++i, ++done) {
        events.push_back(AskAdvice("2024-02-10", absl::StrCat(ref, "-", done)));
      }
      grpc::ClientContext append;
      grpc::Status status =
          server_->stub().AppendEvents(&append, AppendRequest(id, events), &response);
      ASSERT_TRUE(status.ok()) << status.error_message();
    }
  }

  v1::GetDigestResponse Digest() {
    grpc::ClientContext context;
    v1::GetDigestResponse response;
    grpc::Status status =
        server_->stub().GetDigest(&context, v1::GetDigestRequest(), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  // One page of the log.
  grpc::Status ReadLog(int64_t from, int32_t count, v1::ReadLogResponse* page) {
    grpc::ClientContext context;
    v1::ReadLogRequest request;
    request.set_from_position(from);
    request.set_max_count(count);
    return server_->stub().ReadLog(&context, request, page);
  }

  // The projection status once the server's own verification of the log
  // is done (or 20 s have passed).
  v1::GetProjectionStatusResponse VerifiedAfterStart() {
    auto clocks = v1::ClockService::NewStub(server_->channel());
    v1::GetProjectionStatusResponse status;
    const absl::Time give_up = absl::Now() + absl::Seconds(20);
    while (absl::Now() < give_up) {
      grpc::ClientContext context;
      EXPECT_TRUE(clocks
                      ->GetProjectionStatus(
                          &context, v1::GetProjectionStatusRequest(), &status)
                      .ok());
      if (status.log_verification().done()) break;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return status;
  }

  // Every message of a VerifyLog stream, and its final status.
  std::vector<v1::VerifyLogResponse> Verify(const v1::VerifyLogRequest& request,
                                            grpc::Status* status) {
    grpc::ClientContext context;
    std::unique_ptr<grpc::ClientReader<v1::VerifyLogResponse>> reader =
        server_->stub().VerifyLog(&context, request);
    std::vector<v1::VerifyLogResponse> messages;
    v1::VerifyLogResponse message;
    while (reader->Read(&message)) messages.push_back(message);
    *status = reader->Finish();
    return messages;
  }
};

TEST_F(AuditApiTest, AnIntactLogVerifiesWithProgressAndMatchesAnEarlierDigest) {
  Grow("AUDIT-1", 200);
  const v1::GetDigestResponse earlier = Digest();
  EXPECT_GT(earlier.position(), 200);
  EXPECT_EQ(earlier.hash().size(), 32u);
  EXPECT_EQ(earlier.digest().rfind(absl::StrCat(earlier.position(), ":"), 0), 0u);
  Grow("AUDIT-2", 25'000);  // more than one chunk of the verification

  v1::VerifyLogRequest request;
  request.set_against(earlier.digest());
  grpc::Status status;
  const std::vector<v1::VerifyLogResponse> messages = Verify(request, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_GE(messages.size(), 2u) << "progress, then the verdict";
  for (size_t i = 0; i + 1 < messages.size(); ++i) {
    EXPECT_FALSE(messages[i].done());
    EXPECT_LT(messages[i].verified_to(), messages[i + 1].verified_to());
  }
  const v1::VerifyLogResponse& verdict = messages.back();
  EXPECT_TRUE(verdict.done());
  EXPECT_TRUE(verdict.intact()) << verdict.problem();
  EXPECT_EQ(verdict.verified_to(), Digest().position());
  EXPECT_EQ(verdict.to_position(), Digest().position());
}

TEST_F(AuditApiTest, TheServerVerifiesTheWholeChainAfterItStarts) {
  Grow("AUDIT-1", 50);
  server_.reset();
  server_ = std::make_unique<TestServer>(dir_.path());
  const v1::GetProjectionStatusResponse s = VerifiedAfterStart();
  EXPECT_TRUE(s.log_verification().done());
  EXPECT_TRUE(s.log_verification().intact()) << s.log_verification().problem();
  EXPECT_EQ(s.log_verification().verified_to(), Digest().position());
}

TEST_F(AuditApiTest, ADigestOfAnotherLogIsNotMatched) {
  Grow("AUDIT-1", 20);
  v1::GetDigestResponse digest = Digest();
  std::string other = digest.digest();
  other.back() = other.back() == '0' ? '1' : '0';
  v1::VerifyLogRequest request;
  request.set_against(other);
  grpc::Status status;
  const std::vector<v1::VerifyLogResponse> messages = Verify(request, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_FALSE(messages.empty());
  EXPECT_FALSE(messages.back().intact());
  EXPECT_EQ(messages.back().first_bad_position(), digest.position());
  EXPECT_THAT(messages.back().problem(), HasSubstr("does not have the digest's hash"));

  // A digest past the end: the log is shorter than the one it was taken of.
  request.set_against(absl::StrCat(digest.position() + 5, ":", std::string(64, 'a')));
  EXPECT_FALSE(Verify(request, &status).back().intact());
  EXPECT_TRUE(status.ok());
}

TEST_F(AuditApiTest, ABadRangeOrDigestIsInvalidArgument) {
  Grow("AUDIT-1", 5);
  grpc::Status status;
  v1::VerifyLogRequest request;
  request.set_against("12:not-hex");
  EXPECT_TRUE(Verify(request, &status).empty());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("against"));
  request.Clear();
  request.set_from_position(5);
  request.set_to_position(3);
  Verify(request, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  request.Clear();
  request.set_from_position(-1);
  Verify(request, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

// A middle record rewritten with valid RocksDB checksums (the stored bytes
// of one event changed, re-put through RocksDB): the verification names it,
// and the reads that meet it answer DATA_LOSS instead of serving it.
TEST_F(AuditApiTest, ARecordRewrittenBehindTheServersBackIsNamed) {
  Grow("AUDIT-1", 30);
  const int64_t head = Digest().position();
  server_.reset();
  const uint64_t victim = 17;
  {
    rocksdb::Options options;
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(options, dir_.path() + "/log", &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const std::string& name : names) families.emplace_back(name, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir_.path() + "/log", families, &handles, &db).ok());
    rocksdb::ColumnFamilyHandle* log = nullptr;
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == "log") log = handles[i];
    }
    ASSERT_NE(log, nullptr);
    std::string value;
    ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), log, BigEndian64(victim), &value).ok());
    // Change one letter of the advice id inside the stored event.
    const size_t at = value.find("AUDIT-1-");
    ASSERT_NE(at, std::string::npos);
    value[at] = 'X';
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), log, BigEndian64(victim), value).ok());
    for (rocksdb::ColumnFamilyHandle* h : handles) db->DestroyColumnFamilyHandle(h);
    delete db;
  }
  server_ = std::make_unique<TestServer>(dir_.path(), /*metrics=*/true);
  grpc::Status status;
  const std::vector<v1::VerifyLogResponse> messages =
      Verify(v1::VerifyLogRequest(), &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_FALSE(messages.empty());
  const v1::VerifyLogResponse& verdict = messages.back();
  EXPECT_TRUE(verdict.done());
  EXPECT_FALSE(verdict.intact());
  EXPECT_EQ(verdict.first_bad_position(), static_cast<int64_t>(victim))
      << verdict.problem();
  EXPECT_THAT(verdict.problem(), HasSubstr("hash chain broken at position 17"));
  // No read serves the altered record: the log's page holding it, and the
  // case's events, answer DATA_LOSS; pages before it are served.
  v1::ReadLogResponse page;
  status = ReadLog(10, 20, &page);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DATA_LOSS)
      << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("position 17"));
  EXPECT_TRUE(ReadLog(1, 16, &page).ok());
  EXPECT_EQ(page.events_size(), 16);
  {
    ASSERT_TRUE(ReadLog(1, 1, &page).ok());
    grpc::ClientContext read_case;
    v1::ReadCaseRequest request;
    request.set_case_id(page.events(0).case_id());
    request.set_max_count(1000);
    v1::ReadCaseResponse events;
    status = server_->stub().ReadCase(&read_case, request, &events);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::DATA_LOSS)
        << status.error_message();
  }
  // The server's own verification after its start found it too.
  {
    const v1::GetProjectionStatusResponse s = VerifiedAfterStart();
    EXPECT_TRUE(s.log_verification().done());
    EXPECT_FALSE(s.log_verification().intact());
    EXPECT_EQ(s.log_verification().first_bad_position(),
              static_cast<int64_t>(victim));
  }
  // And health says so, per service (judged once a second), while the
  // server as a whole goes on serving what it can.
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (HealthOf(server_->channel(), "ehcp.v1.CaseService") != 2 &&
         absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(HealthOf(server_->channel(), "ehcp.v1.CaseService"), 2);
  EXPECT_EQ(HealthOf(server_->channel(), "ehcp.v1.ClockService"), 2);
  EXPECT_EQ(HealthOf(server_->channel(), ""), 1);
  // And the metrics.
  const std::string scrape = ScrapeMetrics(server_->metrics_port());
  EXPECT_EQ(MetricSample(scrape, "ehcp_log_chain_intact"), "0") << scrape;
  EXPECT_EQ(MetricSample(scrape, "ehcp_log_chain_first_bad_position"),
            absl::StrCat(victim))
      << scrape;
  // Before the damage, the chain holds.
  v1::VerifyLogRequest before;
  before.set_to_position(static_cast<int64_t>(victim) - 1);
  EXPECT_TRUE(Verify(before, &status).back().intact());
  EXPECT_LT(static_cast<int64_t>(victim), head);
}

}  // namespace
}  // namespace ehcp::testing
