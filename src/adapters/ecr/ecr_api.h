// The Amazon ECR control-plane API (JSON 1.1 over SigV4) as the aws-ecr adapter uses it:
// GetAuthorizationToken, DescribeRepositories and CreateRepository, plus the parsing of
// the endpoint URL into region and account.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/ecr/sigv4.h"
#include "common/error.h"
#include "remote/distribution_client.h"

namespace berth::adapters::ecr {

using Clock = std::function<std::chrono::system_clock::time_point()>;

// Where an ECR endpoint URL points.
struct EcrLocation {
  std::string region;   // e.g. "us-east-1"
  std::string account;  // 12 digits when the URL names "<account>.dkr...", else empty
  std::string api_url;  // "https://api.ecr[-fips].<region>.amazonaws.com[.cn]"
  std::string api_host;
  std::string registry_url;  // "https://<account>.dkr.ecr...", empty without an account
};

// Accepts https://(api|<account>.dkr).ecr[-fips].<region>.amazonaws.com[.cn] (optionally
// with a trailing '/'); BAD_REQUEST naming the expected form otherwise.
Result<EcrLocation> ParseEcrUrl(std::string_view url);

struct EcrAuthorization {
  std::string username;  // "AWS"
  std::string password;
  std::string proxy_endpoint;  // "https://<account>.dkr.ecr.<region>.amazonaws.com"
  std::chrono::system_clock::time_point expires_at;
};

// A signed-call client for one region. Thread-safe (no mutable state of its own).
class EcrApi {
 public:
  // `http` performs the requests (its TLS and network settings apply); `clock` supplies
  // the signing time.
  EcrApi(EcrLocation location, AwsCredentials credentials,
         std::shared_ptr<remote::DistributionClient> http, Clock clock);

  const EcrLocation& location() const { return location_; }

  // The docker credentials of the account (of `location().account` when known).
  // UNAUTHORIZED when AWS rejects the key or signature, DENIED when IAM forbids it.
  Result<EcrAuthorization> GetAuthorizationToken() const;
  // True when the repository exists; false on RepositoryNotFoundException.
  Result<bool> RepositoryExists(std::string_view name) const;
  // Creates the repository; an existing one is fine.
  Status CreateRepository(std::string_view name) const;
  // Every repository name (DescribeRepositories, following nextToken).
  Result<std::vector<std::string>> ListRepositories() const;

 private:
  struct Reply {
    int status = 0;
    std::string error_type;  // "__type" without any "namespace#" prefix; empty on success
    std::string message;
    std::string body;
  };
  // One signed POST; transport failures are errors, AWS errors come back in the Reply.
  Result<Reply> Call(std::string_view action, std::string body) const;
  // Maps an AWS error reply of `action` to an Error a user can act on.
  Error ToError(std::string_view action, const Reply& reply) const;

  EcrLocation location_;
  AwsCredentials credentials_;
  std::shared_ptr<remote::DistributionClient> http_;
  Clock clock_;
};

// Docker credentials from GetAuthorizationToken, cached until five minutes before they
// expire. Thread-safe.
class EcrCredentialProvider : public remote::CredentialProvider {
 public:
  EcrCredentialProvider(std::shared_ptr<const EcrApi> api, Clock clock);
  Result<remote::BasicCredential> Get() override;
  void Invalidate() override;
  // The registry host the token belongs to (fetches a token when none is cached).
  Result<std::string> ProxyEndpoint();

 private:
  Result<EcrAuthorization> Current();

  std::shared_ptr<const EcrApi> api_;
  Clock clock_;
  std::mutex mu_;
  std::optional<EcrAuthorization> cached_;
};

}  // namespace berth::adapters::ecr
