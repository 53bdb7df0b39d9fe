#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "adapters/gcr/gcr_adapter.h"

namespace berth::adapters::gcr {
namespace {

std::string Key(const std::function<void(nlohmann::json&)>& edit = {}) {
  nlohmann::json key = {
      {"type", "service_account"},
      {"project_id", "my-project"},
      {"private_key_id", "abc"},
      {"private_key", "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"},
      {"client_email", "robot@my-project.iam.gserviceaccount.com"},
      {"client_id", "1"}};
  if (edit) edit(key);
  return key.dump();
}

TEST(GcrCredential, Validator) {
  struct Case {
    std::string name;
    std::string key;
    std::string secret;
    std::string expect;  // empty = valid; else a substring of the error
  };
  const std::vector<Case> cases = {
      {"both empty", "", "", ""},
      {"good", "_json_key", Key(), ""},
      {"wrong user", "robot", Key(), "access_key must be _json_key"},
      {"secret only", "", Key(), "access_key must be _json_key"},
      {"no secret", "_json_key", "", "access_secret"},
      {"not json", "_json_key", "{not json", "not a JSON object"},
      {"json array", "_json_key", "[1]", "not a JSON object"},
      {"user key", "_json_key", Key([](auto& k) { k["type"] = "authorized_user"; }),
       "type must be \"service_account\""},
      {"no type", "_json_key", Key([](auto& k) { k.erase("type"); }), "type"},
      {"no email", "_json_key", Key([](auto& k) { k.erase("client_email"); }),
       "missing client_email"},
      {"bad email", "_json_key", Key([](auto& k) { k["client_email"] = "robot"; }), "client_email"},
      {"no key", "_json_key", Key([](auto& k) { k.erase("private_key"); }), "missing private_key"},
      {"key not pem", "_json_key", Key([](auto& k) { k["private_key"] = "abc"; }),
       "private_key is not a PEM"},
      {"no project", "_json_key", Key([](auto& k) { k.erase("project_id"); }),
       "missing project_id"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Endpoint e;
    e.url = "https://gcr.io";
    e.access_key = c.key;
    e.access_secret = c.secret;
    auto status = ValidateGcrCredential(e);
    if (c.expect.empty()) {
      EXPECT_TRUE(status.has_value()) << status.error().message;
      continue;
    }
    ASSERT_FALSE(status.has_value());
    EXPECT_EQ(status.error().code, ErrorCode::kBadRequest);
    EXPECT_NE(status.error().message.find(c.expect), std::string::npos) << status.error().message;
    if (c.key == "_json_key")
      EXPECT_NE(status.error().message.find("access_secret"), std::string::npos);
  }
}

TEST(GcrRegistration, Info) {
  auto reg = GcrRegistration();
  EXPECT_EQ(reg.info.type, "google-gcr");
  EXPECT_TRUE(reg.info.proxy_cache);
  ASSERT_TRUE(reg.info.credential_pattern.has_value());
  EXPECT_EQ(reg.info.credential_pattern->access_key_type, "AccessKeyTypeFix");
  EXPECT_EQ(reg.info.credential_pattern->access_key_data, "_json_key");
  EXPECT_EQ(reg.info.credential_pattern->access_secret_type, "AccessSecretTypeFile");
  ASSERT_TRUE(reg.info.endpoint_pattern.has_value());
  bool gcr = false, ar = false;
  for (const auto& [key, value] : reg.info.endpoint_pattern->endpoints) {
    gcr |= value == "https://gcr.io";
    ar |= value == "https://us-docker.pkg.dev";
  }
  EXPECT_TRUE(gcr);
  EXPECT_TRUE(ar);
}

TEST(GcrAdapter, HealthCheckNeedsKey) {
  Endpoint e;
  e.type = "google-gcr";
  e.url = "https://gcr.io";
  auto adapter = GcrRegistration().factory(e, AdapterDeps{});
  ASSERT_TRUE(adapter.has_value());
  auto status = (*adapter)->HealthCheck();
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().code, ErrorCode::kBadRequest);
  EXPECT_NE(status.error().message.find("google-gcr needs a service-account JSON key"),
            std::string::npos);
}

}  // namespace
}  // namespace berth::adapters::gcr
