// aws-ecr against tests/emulators/ecr_emulator.py: the emulator checks every API call's
// SigV4 signature with botocore and only lets pushes into repositories created via the API.
#include <gtest/gtest.h>

#include <algorithm>

#include "adapters/adapter_conformance.h"
#include "adapters/ecr/cloud_emulator.h"
#include "adapters/ecr/ecr_adapter.h"
#include "adapters/ecr/ecr_api.h"

namespace berth::adapters::ecr {
namespace {

constexpr char kKey[] = "AKIAIOSFODNN7EXAMPLE";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const std::vector<std::string> kHosts = {"api.ecr.us-east-1.amazonaws.com",
                                         "123456789012.dkr.ecr.us-east-1.amazonaws.com"};

class EcrEmulatorTest : public testing::CloudEmulatorTest<EcrEmulatorTest> {
 public:
  static constexpr char kEmulator[] = "ecr";
  static std::vector<std::string> EmulatorArgs() { return {"--max-page", "2"}; }
  static AdapterRegistration Registration() { return EcrRegistration(); }
  static const std::vector<std::string>& Hosts() { return kHosts; }

 protected:
  Endpoint MakeEndpoint(std::string url = "https://api.ecr.us-east-1.amazonaws.com",
                        std::string key = kKey, std::string secret = kSecret) const {
    Endpoint e;
    e.type = "aws-ecr";
    e.name = "ecr";
    e.url = std::move(url);
    e.access_key = std::move(key);
    e.access_secret = std::move(secret);
    return e;
  }
};

TEST_F(EcrEmulatorTest, Conformance) {
  ConformanceTarget target =
      Target(MakeEndpoint(), "wJalrXUtnFEMI/K7MDENG/bPxRfiCYWRONGKEY", "conformance/app");
  RunAdapterConformance(target);
}

TEST_F(EcrEmulatorTest, WrongSecretIsRejectedBySignatureCheck) {
  auto adapter = Create(MakeEndpoint("https://api.ecr.us-east-1.amazonaws.com", kKey, "wrong"));
  ASSERT_NE(adapter, nullptr);
  auto status = adapter->HealthCheck();
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().code, ErrorCode::kUnauthorized);
  EXPECT_NE(status.error().message.find("InvalidSignatureException"), std::string::npos)
      << status.error().message;
  EXPECT_NE(status.error().message.find("check access key and secret"), std::string::npos);
  EXPECT_EQ(status.error().message.find("wrong"), std::string::npos) << "secret leaked";
}

TEST_F(EcrEmulatorTest, UnknownKeyIdIsRejected) {
  auto adapter = Create(
      MakeEndpoint("https://api.ecr.us-east-1.amazonaws.com", "AKIAUNKNOWNKEY000000", kSecret));
  ASSERT_NE(adapter, nullptr);
  auto status = adapter->HealthCheck();
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().code, ErrorCode::kUnauthorized);
  EXPECT_NE(status.error().message.find("UnrecognizedClientException"), std::string::npos)
      << status.error().message;
}

TEST_F(EcrEmulatorTest, AccountUrlTalksToThatRegistry) {
  auto adapter = Create(MakeEndpoint("https://123456789012.dkr.ecr.us-east-1.amazonaws.com"));
  ASSERT_NE(adapter, nullptr);
  auto status = adapter->HealthCheck();
  EXPECT_TRUE(status.has_value()) << status.error().message;
  EXPECT_EQ(adapter->Registry().options().base_url,
            "https://123456789012.dkr.ecr.us-east-1.amazonaws.com");
}

TEST_F(EcrEmulatorTest, PushNeedsPrepareForPushWhichCreatesTheRepository) {
  auto adapter = Create(MakeEndpoint());
  ASSERT_NE(adapter, nullptr);
  auto refused = PushTinyImage(adapter->Registry(), "team/unprepared", "v1");
  ASSERT_FALSE(refused.has_value()) << "ECR accepted a push into a missing repository";

  ASSERT_TRUE(adapter->PrepareForPush({"team/prepared", "team/prepared"}).has_value());
  // A second time finds it (DescribeRepositories) and does not fail on AlreadyExists.
  auto again = adapter->PrepareForPush({"team/prepared"});
  ASSERT_TRUE(again.has_value()) << again.error().message;
  auto pushed = PushTinyImage(adapter->Registry(), "team/prepared", "v1");
  ASSERT_TRUE(pushed.has_value()) << pushed.error().message;
  auto tags = adapter->Registry().ListTags("team/prepared");
  ASSERT_TRUE(tags.has_value()) << tags.error().message;
  EXPECT_EQ(*tags, std::vector<std::string>{"v1"});
}

TEST_F(EcrEmulatorTest, InvalidRepositoryNameIsBadRequest) {
  auto adapter = Create(MakeEndpoint());
  ASSERT_NE(adapter, nullptr);
  auto status = adapter->PrepareForPush({"Team/UPPER"});
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().code, ErrorCode::kBadRequest) << status.error().message;
}

TEST_F(EcrEmulatorTest, ListRepositoriesFollowsNextToken) {
  auto adapter = Create(MakeEndpoint());
  ASSERT_NE(adapter, nullptr);
  const std::vector<std::string> names = {"paged/a", "paged/b", "paged/c", "paged/d", "paged/e"};
  ASSERT_TRUE(adapter->PrepareForPush(names).has_value());
  auto listed = adapter->ListRepositories();
  ASSERT_TRUE(listed.has_value()) << listed.error().message;
  for (const auto& name : names)
    EXPECT_NE(std::find(listed->begin(), listed->end(), name), listed->end()) << name;
}

TEST_F(EcrEmulatorTest, TokenIsCachedUntilFiveMinutesBeforeExpiry) {
  auto location = ParseEcrUrl("https://api.ecr.us-east-1.amazonaws.com");
  ASSERT_TRUE(location.has_value());
  remote::ClientOptions options;
  options.base_url = location->api_url;
  options.network = Deps().network;
  auto http =
      std::make_shared<remote::DistributionClient>(options, remote::StaticCredentials("", ""));
  auto api = std::make_shared<const EcrApi>(*location, AwsCredentials{kKey, kSecret, ""}, http,
                                            [] { return std::chrono::system_clock::now(); });
  // The emulator's tokens last 12 h; this clock is moved to just before/after the refresh
  // point (signing keeps the real clock).
  auto now = std::chrono::system_clock::now();
  EcrCredentialProvider provider(api, [&now] { return now; });

  auto first = provider.Get();
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_EQ(first->username, "AWS");
  auto endpoint = provider.ProxyEndpoint();
  ASSERT_TRUE(endpoint.has_value());
  EXPECT_EQ(*endpoint, "https://123456789012.dkr.ecr.us-east-1.amazonaws.com");

  now += std::chrono::hours(11) + std::chrono::minutes(54);
  auto cached = provider.Get();
  ASSERT_TRUE(cached.has_value());
  EXPECT_EQ(cached->password, first->password);

  now += std::chrono::minutes(2);  // inside the last five minutes
  auto refreshed = provider.Get();
  ASSERT_TRUE(refreshed.has_value());
  EXPECT_NE(refreshed->password, first->password);

  provider.Invalidate();
  auto after_invalidate = provider.Get();
  ASSERT_TRUE(after_invalidate.has_value());
  EXPECT_NE(after_invalidate->password, refreshed->password);
}

}  // namespace
}  // namespace berth::adapters::ecr
