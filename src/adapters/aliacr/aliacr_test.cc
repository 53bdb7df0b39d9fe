#include <gtest/gtest.h>

#include "adapters/aliacr/aliacr_adapter.h"
#include "adapters/aliacr/aliyun_rpc.h"
#include "adapters/credential_cases.h"

namespace berth::adapters::aliacr {
namespace {

// The worked example of Alibaba Cloud's RPC signature documentation (ECS DescribeRegions,
// AccessKey "testid"/"testsecret").
TEST(AliyunSignature, DocumentedExample) {
  Params params = {{"Timestamp", "2016-02-23T12:46:24Z"},
                   {"Format", "XML"},
                   {"AccessKeyId", "testid"},
                   {"Action", "DescribeRegions"},
                   {"SignatureMethod", "HMAC-SHA1"},
                   {"SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"},
                   {"Version", "2014-05-26"},
                   {"SignatureVersion", "1.0"}};
  const std::string to_sign = AliyunStringToSign("GET", params);
  EXPECT_EQ(to_sign,
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML"
            "%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-"
            "4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z"
            "%26Version%3D2014-05-26");
  EXPECT_EQ(AliyunSignature("testsecret", to_sign), "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
}

TEST(AliyunSignature, PercentEncode) {
  EXPECT_EQ(AliyunPercentEncode("a b*c~d/e+f=g"), "a%20b%2Ac~d%2Fe%2Bf%3Dg");
  EXPECT_EQ(AliyunPercentEncode("\xe4\xb8\xad"), "%E4%B8%AD");
}

TEST(AcrUrl, Parse) {
  struct Case {
    const char* url;
    bool ok;
    const char* registry_url;
    const char* region;
    const char* instance;
  };
  const Case cases[] = {
      {"https://registry.cn-hangzhou.aliyuncs.com", true,
       "https://registry.cn-hangzhou.aliyuncs.com", "cn-hangzhou", ""},
      {"https://registry-vpc.cn-shanghai.aliyuncs.com/", true,
       "https://registry-vpc.cn-shanghai.aliyuncs.com", "cn-shanghai", ""},
      {"https://registry-internal.eu-central-1.aliyuncs.com", true,
       "https://registry-internal.eu-central-1.aliyuncs.com", "eu-central-1", ""},
      {"https://myinst-registry.cn-beijing.cr.aliyuncs.com", true,
       "https://myinst-registry.cn-beijing.cr.aliyuncs.com", "cn-beijing", "myinst"},
      {"https://my-inst-registry-vpc.cn-beijing.cr.aliyuncs.com", true,
       "https://my-inst-registry-vpc.cn-beijing.cr.aliyuncs.com", "cn-beijing", "my-inst"},
      {"https://cr.cn-hangzhou.aliyuncs.com", true, "https://registry.cn-hangzhou.aliyuncs.com",
       "cn-hangzhou", ""},
      {"http://registry.cn-hangzhou.aliyuncs.com", false},
      {"https://registry.example.com", false},
      {"https://registry.cn-hangzhou.aliyuncs.com.evil.example", false},
      {"https://oss.cn-hangzhou.aliyuncs.com", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.url);
    auto loc = ParseAcrUrl(c.url);
    ASSERT_EQ(loc.has_value(), c.ok);
    if (!c.ok) {
      EXPECT_EQ(loc.error().code, ErrorCode::kBadRequest);
      continue;
    }
    EXPECT_EQ(loc->registry_url, c.registry_url);
    EXPECT_EQ(loc->region, c.region);
    EXPECT_EQ(loc->instance_name, c.instance);
    EXPECT_EQ(loc->api_url, "https://cr." + std::string(c.region) + ".aliyuncs.com");
  }
}

TEST(AliAcrCredential, Validator) {
  testing::ExpectCredentialCases(ValidateAliAcrCredential, "",
                                 "https://registry.cn-hangzhou.aliyuncs.com",
                                 {{"", "", ""},
                                  {"LTAI5tExample", "secret", ""},
                                  {"LTAI5tExample", "", "access_secret"},
                                  {"", "secret", "access_key"}});
}

TEST(AliAcrRegistration, Info) {
  auto reg = AliAcrRegistration();
  EXPECT_EQ(reg.info.type, "ali-acr");
  EXPECT_TRUE(reg.info.proxy_cache);
  ASSERT_TRUE(reg.info.endpoint_pattern.has_value());
  for (const auto& [key, value] : reg.info.endpoint_pattern->endpoints)
    EXPECT_TRUE(ParseAcrUrl(value).has_value()) << value;
  Endpoint e;
  e.url = "https://example.com";
  auto adapter = reg.factory(e, AdapterDeps{});
  ASSERT_FALSE(adapter.has_value());
  EXPECT_EQ(adapter.error().code, ErrorCode::kBadRequest);
}

}  // namespace
}  // namespace berth::adapters::aliacr
