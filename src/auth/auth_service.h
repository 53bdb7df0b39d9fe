// The authentication and authorization service: credential checks (Basic, Bearer),
// Harbor-style access decisions, the Docker token endpoint and WWW-Authenticate
// challenges.
//
// Thread safety: after Init() every method may be called from any thread. The stores
// must outlive the service.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/access.h"
#include "auth/auth.h"
#include "auth/credential_cache.h"
#include "auth/password.h"
#include "auth/signing_key.h"
#include "common/error.h"
#include "http/message.h"
#include "metadata/stores.h"

namespace berth::auth {

struct AuthOptions {
  std::string data_dir;           // the signing key lives in <data_dir>/token/{key,cert}.pem
  std::string service = "berth";  // token "aud" and the WWW-Authenticate service
  std::string issuer = "berth-token-issuer";
  int token_ttl_seconds = 1800;
  // The URL clients reach Berth at (the external_url setting); empty: the request's own
  // scheme and Host. The token realm in WWW-Authenticate is built on it.
  std::string external_url;
};

// A signed token and what it grants.
struct IssuedToken {
  std::string token;
  std::vector<Scope> access;
  int64_t issued_at = 0;  // seconds since the epoch
  int64_t expires_in = 0;
};

class AuthService {
 public:
  // The built-in system administrator: made at first start, never deleted or demoted.
  static constexpr std::string_view kAdminUsername = "admin";

  AuthService(AuthOptions options, metadata::UserStore& users, metadata::ProjectStore& projects);

  // Loads the signing key from the data dir, or creates an RSA-2048 key and a self-signed
  // certificate (files mode 0600). Must succeed before tokens are issued or verified.
  Status Init();

  // Robot accounts (not owned; null: none). Call before serving requests.
  void SetRobots(metadata::RobotStore* robots) { robots_ = robots; }

  // Ensures user "admin" (sysadmin) exists. When created, its password is `env_password`
  // if given, else a generated one that is returned (to be shown once). std::nullopt when
  // the admin already existed.
  Result<std::optional<std::string>> BootstrapAdmin(std::optional<std::string> env_password);

  // Resolves the Authorization header: none → anonymous; Basic → argon2id check (cached
  // for 60 s) of a user, or of a robot account (robot$…, enabled and not expired); Bearer → JWT
  // verification, Identity::token_access filled from the token (user_id and username set, sysadmin
  // false: a token grants only what it lists). UNAUTHORIZED with a clear message for wrong or
  // malformed credentials.
  Result<Identity> Authenticate(const http::Request& request);

  // Decides whether `who` may do `action` on `repository`. Ok; UNAUTHORIZED for anonymous
  // callers and for tokens lacking the grant (the caller sends Challenge()); DENIED naming
  // the missing right; NAME_UNKNOWN "project X does not exist"; INTERNAL on store errors.
  Status Authorize(const Identity& who, std::string_view repository, Action action);

  // Whether `who` may list the catalog (/v2/_catalog): system admins, or tokens granting
  // "registry:catalog:*". UNAUTHORIZED / DENIED as for Authorize.
  Status AuthorizeCatalog(const Identity& who) const;

  // WWW-Authenticate value for a 401 on /v2: Bearer realm="<base>/service/token",
  // service="<service>"[,scope="<scope>"][,error="<error>"]. <base> is external_url when
  // set, else the request's scheme and Host (characters that do not belong in a host
  // are dropped, so a forged Host cannot break the header).
  std::string Challenge(const http::Request& request, std::string_view scope,
                        std::string_view error = {}) const;

  // GET/POST /service/token per the Docker token authentication spec (GET with Basic or
  // anonymous; POST as the OAuth2 password grant form). Grants per scope the subset of
  // requested actions the caller holds; denied actions are simply left out.
  http::Task<http::Response> HandleToken(http::Request& request);

  // Grants `requested` to `who` (live rules) and signs a token for it.
  Result<IssuedToken> IssueToken(const Identity& who, const std::vector<Scope>& requested);

  // PEM of the signing certificate (for a registry's rootcertbundle).
  std::string SigningCertificatePem() const;

  // Forgets cached Basic credential checks; call after changing a password, a user's
  // admin flag, or deleting a user.
  void ForgetCachedCredentials() { credential_cache_.Clear(); }

  const AuthOptions& options() const { return options_; }

 private:
  Result<Identity> CheckPassword(std::string_view username, std::string_view password);
  Result<Identity> CheckBearer(std::string_view token);
  // The robot account `name` and its identity (with its grants); NOT_FOUND when there is
  // no such robot. Whether it may sign in now (enabled, not expired) is the caller's check.
  Result<std::pair<Identity, metadata::Robot>> LoadRobot(std::string_view name);
  Result<ProjectFacts> FactsFor(const Identity& who, std::string_view project);
  Result<std::vector<Scope>> Grant(const Identity& who, const std::vector<Scope>& requested);
  http::Response TokenResponse(const IssuedToken& issued, bool oauth) const;

  AuthOptions options_;
  metadata::UserStore& users_;
  metadata::ProjectStore& projects_;
  metadata::RobotStore* robots_ = nullptr;
  std::optional<SigningKey> key_;
  CredentialCache credential_cache_;
  std::once_flag dummy_hash_once_;
  std::string dummy_hash_;  // verified against for unknown users, to even out timing
};

}  // namespace berth::auth
