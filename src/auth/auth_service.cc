#include "auth/auth_service.h"

#include <strings.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>

#include "auth/jwt.h"
#include "common/digest.h"
#include "common/names.h"

namespace berth::auth {
namespace {

constexpr auto kCredentialCacheTtl = std::chrono::seconds(60);
constexpr size_t kCredentialCacheCapacity = 256;

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

AuthService::AuthService(AuthOptions options, metadata::UserStore& users,
                         metadata::ProjectStore& projects)
    : options_(std::move(options)),
      users_(users),
      projects_(projects),
      credential_cache_(kCredentialCacheTtl, kCredentialCacheCapacity) {}

Status AuthService::Init() {
  std::string dir = (std::filesystem::path(options_.data_dir) / "token").string();
  auto key = SigningKey::LoadOrCreate(dir, options_.issuer);
  if (!key) return Fail(key.error());
  key_ = std::move(*key);
  return Ok();
}

std::string AuthService::SigningCertificatePem() const {
  return key_ ? key_->CertificatePem() : std::string();
}

Result<std::optional<std::string>> AuthService::BootstrapAdmin(
    std::optional<std::string> env_password) {
  auto existing = users_.GetByName(kAdminUsername);
  if (!existing) return Fail(existing.error());
  if (existing->has_value()) return std::optional<std::string>();
  std::string password = env_password.value_or(GeneratePassword());
  metadata::User admin;
  admin.username = kAdminUsername;
  admin.email = "admin@example.com";
  admin.realname = "system admin";
  admin.comment = "system admin";
  admin.password_hash = HashPassword(password);
  admin.sysadmin = true;
  auto created = users_.Create(admin);
  if (!created) return Fail(created.error());
  return std::optional<std::string>(std::move(password));
}

Result<Identity> AuthService::Authenticate(const http::Request& request) {
  auto header = request.headers.Get("Authorization");
  if (!header || Trim(*header).empty()) return Identity{};
  std::string_view value = Trim(*header);
  size_t space = value.find_first_of(" \t");
  std::string_view scheme = value.substr(0, space);
  std::string_view credentials =
      space == std::string_view::npos ? std::string_view() : Trim(value.substr(space + 1));
  if (IEquals(scheme, "Basic")) {
    auto decoded = Base64Decode(credentials);
    size_t colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) {
      return Fail(ErrorCode::kUnauthorized, "malformed Basic credentials");
    }
    return CheckPassword(std::string_view(*decoded).substr(0, colon),
                         std::string_view(*decoded).substr(colon + 1));
  }
  if (IEquals(scheme, "Bearer")) {
    if (credentials.empty()) return Fail(ErrorCode::kUnauthorized, "empty bearer token");
    return CheckBearer(credentials);
  }
  // The scheme is named only when it is a plain word: never echo credentials back.
  bool word = scheme.size() <= 32 && std::all_of(scheme.begin(), scheme.end(), [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
              });
  return Fail(ErrorCode::kUnauthorized,
              "unsupported authorization scheme" +
                  (word ? " \"" + std::string(scheme) + "\"" : std::string()) +
                  "; use Basic or Bearer");
}

Result<std::pair<Identity, metadata::Robot>> AuthService::LoadRobot(std::string_view name) {
  auto robot = robots_ ? robots_->GetByName(name) : Result<std::optional<metadata::Robot>>();
  if (!robot) return Fail(robot.error());
  if (!robot->has_value()) {
    return Fail(ErrorCode::kNotFound, "robot account \"" + std::string(name) + "\" does not exist");
  }
  const metadata::Robot& r = **robot;
  auto grants = robots_->Grants(r.id);
  if (!grants) return Fail(grants.error());
  Identity identity;
  identity.user_id = -r.id;
  identity.username = r.name;
  identity.robot = true;
  identity.robot_grants = std::move(*grants);
  return std::pair(std::move(identity), r);
}

namespace {

Status MaySignIn(const metadata::Robot& r) {
  if (r.disabled) {
    return Fail(ErrorCode::kUnauthorized, "robot account \"" + r.name +
                                              "\" is disabled; a project or system admin can "
                                              "enable it");
  }
  if (r.expires_at >= 0 && NowSeconds() >= r.expires_at) {
    return Fail(ErrorCode::kUnauthorized, "robot account \"" + r.name +
                                              "\" has expired; a project or system admin can "
                                              "extend its duration");
  }
  return Ok();
}

}  // namespace

Result<Identity> AuthService::CheckPassword(std::string_view username, std::string_view password) {
  if (auto cached = credential_cache_.Lookup(username, password)) return *cached;
  if (username.starts_with(kRobotPrefix)) {
    auto robot = LoadRobot(username);
    if (!robot && robot.error().code == ErrorCode::kNotFound) {
      // Same cost as a real check, so timing does not reveal which robots exist.
      std::call_once(dummy_hash_once_, [&] { dummy_hash_ = HashPassword("berth-dummy"); });
      VerifyPassword(dummy_hash_, password);
      return Fail(ErrorCode::kUnauthorized, "invalid username or password");
    }
    if (!robot) return Fail(robot.error());
    if (!VerifyPassword(robot->second.secret_hash, password)) {
      return Fail(ErrorCode::kUnauthorized, "invalid username or password");
    }
    // Disabled or expired is said only to a caller who holds the secret.
    BERTH_TRY(MaySignIn(robot->second));
    // Not remembered past the robot's expiry.
    if (robot->second.expires_at < 0 ||
        robot->second.expires_at - NowSeconds() > kCredentialCacheTtl.count()) {
      credential_cache_.Remember(username, password, robot->first);
    }
    return std::move(robot->first);
  }
  auto user = users_.GetByName(username);
  if (!user) return Fail(user.error());
  if (!user->has_value()) {
    // Same cost as a real check, so timing does not reveal which usernames exist.
    std::call_once(dummy_hash_once_, [&] { dummy_hash_ = HashPassword("berth-dummy"); });
    VerifyPassword(dummy_hash_, password);
    return Fail(ErrorCode::kUnauthorized, "invalid username or password");
  }
  const metadata::User& u = **user;
  if (!VerifyPassword(u.password_hash, password)) {
    return Fail(ErrorCode::kUnauthorized, "invalid username or password");
  }
  Identity identity;
  identity.user_id = u.id;
  identity.username = u.username;
  identity.sysadmin = u.sysadmin;
  credential_cache_.Remember(username, password, identity);
  return identity;
}

Result<Identity> AuthService::CheckBearer(std::string_view token) {
  if (!key_) return Fail(ErrorCode::kInternal, "token service is not initialized");
  auto claims = DecodeJwt(*key_, token, options_.service, options_.issuer, NowSeconds());
  if (!claims) return Fail(claims.error());
  Identity identity;
  identity.from_token = true;
  if (claims->subject.starts_with(kRobotPrefix)) {
    // A robot's token stops working when the robot is deleted, disabled or expires.
    auto robot = LoadRobot(claims->subject);
    if (!robot && robot.error().code == ErrorCode::kNotFound) {
      return Fail(ErrorCode::kUnauthorized,
                  "the token's robot account \"" + claims->subject + "\" no longer exists");
    }
    if (!robot) return Fail(robot.error());
    BERTH_TRY(MaySignIn(robot->second));
    identity.user_id = robot->first.user_id;
    identity.username = robot->first.username;
    identity.robot = true;
  } else if (!claims->subject.empty()) {
    auto user = users_.GetByName(claims->subject);
    if (!user) return Fail(user.error());
    if (!user->has_value()) {
      return Fail(ErrorCode::kUnauthorized,
                  "the token's user \"" + claims->subject + "\" no longer exists");
    }
    identity.user_id = (*user)->id;
    identity.username = (*user)->username;
    // sysadmin stays false: a token carries only its grant, never the user's full rights.
  }
  for (auto& scope : claims->access) {
    std::string name = scope.type == "repository" ? scope.name : scope.type + ":" + scope.name;
    identity.token_access.emplace_back(std::move(name), std::move(scope.actions));
  }
  return identity;
}

Result<ProjectFacts> AuthService::FactsFor(const Identity& who, std::string_view project) {
  ProjectFacts facts;
  if (project.empty()) return facts;
  auto found = projects_.GetByName(project);
  if (!found) return Fail(found.error());
  if (!found->has_value()) return facts;
  facts.exists = true;
  facts.is_public = (*found)->is_public;
  facts.proxy_cache = (*found)->registry_id != 0;
  facts.project_id = (*found)->id;
  if (!who.anonymous() && !who.sysadmin && !who.robot) {
    auto role = users_.MemberRole((*found)->id, who.user_id);
    if (!role) return Fail(role.error());
    facts.role = *role;
  }
  return facts;
}

Status AuthService::Authorize(const Identity& who, std::string_view repository, Action action) {
  if (who.from_token) {
    Status granted = DecideTokenAccess(who, repository, action);
    if (granted || action != Action::kPush) return granted;
    // The token service never grants push into a proxy cache; say why instead of
    // sending the client round the token dance again.
    auto facts = FactsFor(who, ProjectOf(repository));
    if (facts && facts->proxy_cache) return DecideAccess(who, repository, *facts, action);
    return granted;
  }
  auto facts = FactsFor(who, ProjectOf(repository));
  if (!facts) return Fail(facts.error());
  return DecideAccess(who, repository, *facts, action);
}

Status AuthService::AuthorizeCatalog(const Identity& who) const { return DecideCatalogAccess(who); }

std::string AuthService::Challenge(const http::Request& request, std::string_view scope,
                                   std::string_view error) const {
  std::string base = options_.external_url;
  while (base.ends_with('/')) base.pop_back();
  if (base.empty()) {
    std::string scheme =
        request.headers.Get("X-Forwarded-Proto").value_or("http") == "https" ? "https" : "http";
    std::string host;
    std::string_view given = request.headers.Get("Host").value_or("localhost");
    given = given.substr(0, given.find_first_of(", \t"));
    for (char c : given) {
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
          c == '[' || c == ']') {
        host += c;
      }
    }
    base = scheme + "://" + (host.empty() ? "localhost" : host);
  }
  std::string out =
      "Bearer realm=\"" + base + "/service/token\",service=\"" + options_.service + "\"";
  if (!scope.empty()) out += ",scope=\"" + std::string(scope) + "\"";
  if (!error.empty()) out += ",error=\"" + std::string(error) + "\"";
  return out;
}

Result<std::vector<Scope>> AuthService::Grant(const Identity& who,
                                              const std::vector<Scope>& requested) {
  std::vector<Scope> granted;
  for (const auto& scope : requested) {
    Scope grant{scope.type, scope.name, {}};
    if (scope.type == "registry" && scope.name == "catalog") {
      if (who.sysadmin && scope.actions.contains("*")) grant.actions.insert("*");
    } else if (scope.type == "repository" && ValidateRepositoryName(scope.name)) {
      auto facts = FactsFor(who, ProjectOf(scope.name));
      if (!facts) return Fail(facts.error());
      grant.actions = GrantableActions(who, *facts, scope.actions);
    }
    if (grant.actions.empty()) continue;
    // Merge repeated scopes for the same resource.
    auto same = std::find_if(granted.begin(), granted.end(), [&](const Scope& g) {
      return g.type == grant.type && g.name == grant.name;
    });
    if (same != granted.end()) {
      same->actions.merge(grant.actions);
    } else {
      granted.push_back(std::move(grant));
    }
  }
  return granted;
}

Result<IssuedToken> AuthService::IssueToken(const Identity& who,
                                            const std::vector<Scope>& requested) {
  if (!key_) return Fail(ErrorCode::kInternal, "token service is not initialized");
  Identity live = who;
  live.from_token = false;
  live.token_access.clear();
  auto granted = Grant(live, requested);
  if (!granted) return Fail(granted.error());
  IssuedToken issued;
  issued.issued_at = NowSeconds();
  issued.expires_in = options_.token_ttl_seconds;
  TokenClaims claims;
  claims.issuer = options_.issuer;
  claims.subject = who.username;
  claims.audience = options_.service;
  claims.issued_at = issued.issued_at;
  claims.not_before = issued.issued_at;
  claims.expires_at = issued.issued_at + options_.token_ttl_seconds;
  claims.id = RandomHex(16);
  claims.access = *granted;
  auto token = EncodeJwt(*key_, claims);
  if (!token) return Fail(token.error());
  issued.token = std::move(*token);
  issued.access = std::move(*granted);
  return issued;
}

}  // namespace berth::auth
