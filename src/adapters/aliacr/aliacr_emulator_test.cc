// ali-acr against tests/emulators/aliacr_emulator.py: the emulator recomputes every
// OpenAPI signature and its token realm only takes the temporary credentials.
#include <gtest/gtest.h>

#include <algorithm>

#include "adapters/adapter_conformance.h"
#include "adapters/aliacr/aliacr_adapter.h"
#include "adapters/ecr/cloud_emulator.h"

namespace berth::adapters::aliacr {
namespace {

const std::vector<std::string> kHosts = {
    "registry.cn-hangzhou.aliyuncs.com", "myinst-registry.cn-hangzhou.cr.aliyuncs.com",
    "cr.cn-hangzhou.aliyuncs.com", "dockerauth.cn-hangzhou.aliyuncs.com", "gcr.io"};
constexpr char kKeyId[] = "LTAI5tBerthEmulatorKey";
constexpr char kSecret[] = "berthEmulatorSecret0123456789abc";
constexpr char kPersonal[] = "https://registry.cn-hangzhou.aliyuncs.com";
constexpr char kEnterprise[] = "https://myinst-registry.cn-hangzhou.cr.aliyuncs.com";

class AliAcrEmulatorTest : public testing::CloudEmulatorTest<AliAcrEmulatorTest> {
 public:
  static constexpr char kEmulator[] = "aliacr";
  static std::vector<std::string> EmulatorArgs() { return {"--max-page", "2"}; }
  static AdapterRegistration Registration() { return AliAcrRegistration(); }
  static const std::vector<std::string>& Hosts() { return kHosts; }

 protected:
  Endpoint MakeEndpoint(std::string url, std::string secret = kSecret) const {
    Endpoint e;
    e.type = "ali-acr";
    e.url = std::move(url);
    e.access_key = kKeyId;
    e.access_secret = std::move(secret);
    return e;
  }
};

TEST_F(AliAcrEmulatorTest, ConformancePersonalEdition) {
  ConformanceTarget target = Target(MakeEndpoint(kPersonal), "wrongSecret", "berth/personal");
  RunAdapterConformance(target);
}

TEST_F(AliAcrEmulatorTest, EnterpriseEditionListsThroughTheOpenApi) {
  auto adapter = Create(MakeEndpoint(kEnterprise));
  ASSERT_NE(adapter, nullptr);
  auto health = adapter->HealthCheck();
  ASSERT_TRUE(health.has_value()) << health.error().message;
  const std::vector<std::string> names = {"ee/a", "ee/b", "ee/c"};
  for (const auto& name : names) {
    auto pushed = PushTinyImage(adapter->Registry(), name, "v1");
    ASSERT_TRUE(pushed.has_value()) << pushed.error().message;
  }
  // The emulator pages by 2, so this follows TotalCount over several pages.
  auto listed = adapter->ListRepositories();
  ASSERT_TRUE(listed.has_value()) << listed.error().message;
  for (const auto& name : names)
    EXPECT_NE(std::find(listed->begin(), listed->end(), name), listed->end()) << name;
}

TEST_F(AliAcrEmulatorTest, WrongSecretFailsTheSignatureCheck) {
  auto adapter = Create(MakeEndpoint(kPersonal, "wrongSecret"));
  ASSERT_NE(adapter, nullptr);
  auto health = adapter->HealthCheck();
  ASSERT_FALSE(health.has_value());
  EXPECT_EQ(health.error().code, ErrorCode::kUnauthorized);
  EXPECT_NE(health.error().message.find("SignatureDoesNotMatch"), std::string::npos)
      << health.error().message;
  EXPECT_EQ(health.error().message.find("wrongSecret"), std::string::npos) << "secret leaked";
}

TEST_F(AliAcrEmulatorTest, UnknownAccessKeyIsReported) {
  Endpoint e = MakeEndpoint(kPersonal);
  e.access_key = "LTAI5tSomebodyElse";
  auto adapter = Create(e);
  ASSERT_NE(adapter, nullptr);
  auto health = adapter->HealthCheck();
  ASSERT_FALSE(health.has_value());
  EXPECT_EQ(health.error().code, ErrorCode::kUnauthorized);
  EXPECT_NE(health.error().message.find("InvalidAccessKeyId.NotFound"), std::string::npos)
      << health.error().message;
}

TEST_F(AliAcrEmulatorTest, AnotherRegistryIsNotAcr) {
  // An ACR-looking URL whose server does not answer with ACR's challenge.
  auto deps = emulator_->Deps({"gcr.io"});
  deps.network.connect_to.push_back("registry.cn-shanghai.aliyuncs.com:443:127.0.0.1:" +
                                    std::to_string(emulator_->port()));
  // The emulator answers this host with a plain 404 (its certificate does not name it).
  Endpoint e = MakeEndpoint("https://registry.cn-shanghai.aliyuncs.com");
  e.insecure = true;
  auto adapter = registry_.Create(e, deps);
  ASSERT_TRUE(adapter.has_value()) << adapter.error().message;
  auto health = (*adapter)->HealthCheck();
  ASSERT_FALSE(health.has_value());
  EXPECT_NE(health.error().message.find("not an Alibaba Cloud ACR registry"), std::string::npos)
      << health.error().message;
}

}  // namespace
}  // namespace berth::adapters::aliacr
