// Alibaba Cloud Container Registry: the endpoint URL forms, the RPC-style OpenAPI
// signature (V2: HMAC-SHA1 over the canonicalised query), the CR OpenAPI calls the
// ali-acr adapter makes (GetAuthorizationToken, ListRepository) and the registry probe.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"
#include "remote/distribution_client.h"

namespace berth::adapters::aliacr {

using Params = std::vector<std::pair<std::string, std::string>>;
using Clock = std::function<std::chrono::system_clock::time_point()>;

// RFC 3986 percent-encoding as the Aliyun signature wants it: A-Z a-z 0-9 - _ . ~ kept,
// everything else %XX (upper-case), so ' ' is %20, '*' is %2A and '~' stays.
std::string AliyunPercentEncode(std::string_view text);
// "<METHOD>&%2F&<encode(sorted, encoded k=v joined by &)>".
std::string AliyunStringToSign(std::string_view method, Params params);
// Base64(HMAC-SHA1(secret + "&", string_to_sign)).
std::string AliyunSignature(std::string_view access_key_secret, std::string_view string_to_sign);

// Where an ACR endpoint URL points.
struct AcrLocation {
  std::string registry_url;   // "https://registry.<region>.aliyuncs.com" or the EE host
  std::string region;         // "cn-hangzhou"
  std::string instance_name;  // EE "<instance>-registry..." prefix; empty for personal
  std::string api_url;        // "https://cr.<region>.aliyuncs.com"
};

// Accepts https://registry[-vpc|-internal].<region>.aliyuncs.com,
// https://<instance>-registry[-vpc].<region>.cr.aliyuncs.com and (rewritten to the first
// form) https://cr.<region>.aliyuncs.com; BAD_REQUEST naming the forms otherwise.
Result<AcrLocation> ParseAcrUrl(std::string_view url);

// What the unauthenticated /v2/ challenge says.
struct AcrRegistryIdentity {
  std::string service;      // "registry.aliyuncs.com:<region>:<id>"
  std::string instance_id;  // "cri-..." for ACR Enterprise Edition, else empty
};

struct AcrToken {
  std::string username;
  std::string password;
  std::chrono::system_clock::time_point expires_at;
};

// Signed OpenAPI calls plus the probe. Thread-safe; caches the probe result.
class AcrApi {
 public:
  AcrApi(AcrLocation location, std::string access_key_id, std::string access_key_secret,
         std::shared_ptr<remote::DistributionClient> http, Clock clock);

  const AcrLocation& location() const { return location_; }
  bool has_credentials() const { return !access_key_id_.empty(); }

  // GET /v2/ without credentials: must be a Bearer challenge whose service starts with
  // "registry.aliyuncs.com:". BAD_REQUEST "not an Alibaba Cloud ACR registry" otherwise.
  Result<AcrRegistryIdentity> Identify();
  // Temporary docker credentials (EE: for the probed instance).
  Result<AcrToken> GetAuthorizationToken();
  // "<namespace>/<repo>" of every repository of the EE instance (paged).
  Result<std::vector<std::string>> ListRepository();

 private:
  // One signed GET; Aliyun error replies become errors a user can act on.
  Result<std::string> Call(std::string_view action, Params params);

  AcrLocation location_;
  std::string access_key_id_;
  std::string access_key_secret_;
  std::shared_ptr<remote::DistributionClient> http_;
  Clock clock_;
  std::mutex mu_;
  std::optional<AcrRegistryIdentity> identity_;
};

// Temporary credentials from GetAuthorizationToken, cached until a minute before
// ExpireTime; anonymous without an AccessKey. Thread-safe.
class AcrCredentialProvider : public remote::CredentialProvider {
 public:
  AcrCredentialProvider(std::shared_ptr<AcrApi> api, Clock clock);
  Result<remote::BasicCredential> Get() override;
  void Invalidate() override;

 private:
  std::shared_ptr<AcrApi> api_;
  Clock clock_;
  std::mutex mu_;
  std::optional<AcrToken> cached_;
};

}  // namespace berth::adapters::aliacr
