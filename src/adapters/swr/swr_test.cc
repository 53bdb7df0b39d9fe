#include <gtest/gtest.h>

#include "adapters/swr/swr_adapter.h"

namespace berth::adapters::swr {
namespace {

TEST(SwrCredential, Validator) {
  struct Case {
    const char* key;
    const char* secret;
    const char* field;
  };
  const Case cases[] = {{"", "", nullptr},
                        {"cn-north-4@AKEXAMPLE", "loginkey", nullptr},
                        {"cn-north-4@AKEXAMPLE", "", "access_secret"},
                        {"", "loginkey", "access_key"}};
  for (const auto& c : cases) {
    Endpoint e;
    e.url = "https://swr.cn-north-4.myhuaweicloud.com";
    e.access_key = c.key;
    e.access_secret = c.secret;
    auto status = ValidateSwrCredential(e);
    if (c.field == nullptr) {
      EXPECT_TRUE(status.has_value());
    } else {
      ASSERT_FALSE(status.has_value());
      EXPECT_EQ(status.error().code, ErrorCode::kBadRequest);
      EXPECT_NE(status.error().message.find(c.field), std::string::npos);
    }
  }
}

TEST(SwrAdapter, InfoAndLocalChecks) {
  auto reg = SwrRegistration();
  EXPECT_EQ(reg.info.type, "huawei-SWR");
  EXPECT_FALSE(reg.info.proxy_cache);
  EXPECT_FALSE(reg.info.endpoint_pattern.has_value());
  EXPECT_FALSE(reg.info.credential_pattern.has_value());

  Endpoint e;
  e.type = "huawei-SWR";
  e.url = "https://swr.cn-north-4.myhuaweicloud.com";
  auto adapter = reg.factory(e, AdapterDeps{});
  ASSERT_TRUE(adapter.has_value());
  // No credentials: the check says so instead of passing.
  auto health = (*adapter)->HealthCheck();
  ASSERT_FALSE(health.has_value());
  EXPECT_EQ(health.error().code, ErrorCode::kBadRequest);
  // A repository outside any organization cannot be pushed.
  auto prepare = (*adapter)->PrepareForPush({"busybox"});
  ASSERT_FALSE(prepare.has_value());
  EXPECT_EQ(prepare.error().code, ErrorCode::kBadRequest);
  EXPECT_NE(prepare.error().message.find("organization"), std::string::npos);
}

}  // namespace
}  // namespace berth::adapters::swr
