#include "registry/registry_service.h"

#include <spdlog/spdlog.h>
#include <strings.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "common/names.h"

namespace berth::registry {
namespace {

constexpr int64_t kMaxPageSize = 10000;

// Parses the `n` query parameter: absent → -1 (everything); a non-negative integer up to
// kMaxPageSize; PAGINATION_NUMBER_INVALID otherwise.
Result<int64_t> ParsePageSize(const http::Request& request) {
  auto n = request.Query("n");
  if (!n) return -1;
  int64_t value = -1;
  auto [ptr, ec] = std::from_chars(n->data(), n->data() + n->size(), value);
  if (ec != std::errc() || ptr != n->data() + n->size() || value < 0 || value > kMaxPageSize) {
    return Fail(ErrorCode::kPaginationNumberInvalid, "n=\"" + std::string(n->substr(0, 40)) +
                                                         "\" must be an integer from 0 to " +
                                                         std::to_string(kMaxPageSize));
  }
  return value;
}

auth::Action ActionFor(std::string_view method) {
  if (method == "GET" || method == "HEAD") return auth::Action::kPull;
  if (method == "DELETE") return auth::Action::kDelete;
  return auth::Action::kPush;
}

std::string ScopeFor(std::string_view name, auth::Action action) {
  std::string scope = "repository:" + std::string(name) + ":";
  switch (action) {
    case auth::Action::kPull:
      return scope + "pull";
    case auth::Action::kPush:
      return scope + "pull,push";
    case auth::Action::kDelete:
      return scope + "delete";
  }
  return scope + "pull";
}

bool MethodAllowed(RouteKind kind, std::string_view m) {
  auto any = [&](std::initializer_list<std::string_view> list) {
    for (auto x : list) {
      if (m == x) return true;
    }
    return false;
  };
  switch (kind) {
    case RouteKind::kBase:
    case RouteKind::kCatalog:
    case RouteKind::kTags:
    case RouteKind::kReferrers:
      return any({"GET", "HEAD"});
    case RouteKind::kManifest:
      return any({"GET", "HEAD", "PUT", "DELETE"});
    case RouteKind::kBlob:
      return any({"GET", "HEAD", "DELETE"});
    case RouteKind::kUploadStart:
      return m == "POST";
    case RouteKind::kUpload:
      return any({"GET", "PATCH", "PUT", "DELETE"});
  }
  return false;
}

http::Response NameListResponse(std::string_view key, std::string_view name,
                                const content::NameList& list, std::string_view path, int64_t n) {
  nlohmann::json body;
  if (!name.empty()) body["name"] = name;
  body[std::string(key)] = list.names;
  auto resp = http::JsonResponse(200, body.dump());
  if (list.more && !list.names.empty()) {
    resp.headers.Set("Link", "<" + std::string(path) + "?last=" + list.names.back() +
                                 "&n=" + std::to_string(n) + ">; rel=\"next\"");
  }
  return resp;
}

}  // namespace

http::Response RegistryError(const Error& error) {
  if (error.http_status() >= 500) spdlog::error("registry: {}", error.message);
  return http::ErrorResponse(error);
}

std::string UploadLocation(std::string_view name, std::string_view id) {
  return "/v2/" + std::string(name) + "/blobs/uploads/" + std::string(id);
}

http::Response RegistryService::Deny(const http::Request& request, const Error& error,
                                     std::string_view scope, bool token_lacks_scope) {
  auto resp = http::ErrorResponse(error);
  if (error.code == ErrorCode::kUnauthorized) {
    std::string_view bearer_error;
    auto authorization = request.headers.Get("Authorization").value_or("");
    while (authorization.starts_with(' ')) authorization.remove_prefix(1);
    if (authorization.size() >= 7 && strncasecmp(authorization.data(), "bearer ", 7) == 0) {
      bearer_error = token_lacks_scope ? "insufficient_scope" : "invalid_token";
    }
    resp.headers.Set("WWW-Authenticate", auth_.Challenge(request, scope, bearer_error));
  }
  return resp;
}

std::optional<http::Response> RegistryService::Guard(const http::Request& request,
                                                     const Route& route, auth::Action action,
                                                     auth::Identity& who) {
  std::string scope = ScopeFor(route.name, action);
  auto identity = auth_.Authenticate(request);
  if (!identity) return Deny(request, identity.error(), scope);
  who = std::move(*identity);
  auto allowed = auth_.Authorize(who, route.name, action);
  if (allowed) return std::nullopt;
  const Error& error = allowed.error();
  if (who.anonymous()) {
    // Anonymous callers learn nothing about which projects exist: they are asked to
    // authenticate, as for a private project.
    return Deny(request, MakeError(ErrorCode::kUnauthorized, "authentication required"), scope);
  }
  if (error.code == ErrorCode::kUnauthorized || error.code == ErrorCode::kDenied) {
    // A signed-in user asking for a project that does not exist learns that, rather than
    // a bare "unauthorized" from a token that could grant nothing.
    auto project = content_.ResolveProject(route.name);
    if (!project && project.error().code == ErrorCode::kNameUnknown) {
      return RegistryError(project.error());
    }
  }
  return Deny(request, error, scope, /*token_lacks_scope=*/who.from_token);
}

http::Task<http::Response> RegistryService::Handle(http::Request& request) {
  // Written without if-init declarations that live across co_await: GCC 12 mis-handles
  // such variables in coroutine frames.
  http::Response resp = co_await Dispatch(request);
  resp.headers.Set("Docker-Distribution-API-Version", "registry/2.0");
  co_return resp;
}

http::Task<http::Response> RegistryService::Dispatch(http::Request& request) {
  std::optional<registry::Route> route = ParseRoute(request.path);
  if (!route) {
    co_return RegistryError(
        MakeError(ErrorCode::kNotFound, "no such /v2 endpoint: " + request.path.substr(0, 200)));
  }
  if (!MethodAllowed(route->kind, request.method)) {
    co_return RegistryError(
        MakeError(ErrorCode::kUnsupported,
                  request.method + " is not supported on " + request.path.substr(0, 200)));
  }
  if (route->kind == RouteKind::kBase) co_return co_await Base(request);
  if (route->kind == RouteKind::kCatalog) co_return co_await Catalog(request);
  Status valid = ValidateRepositoryName(route->name);
  if (!valid) co_return RegistryError(valid.error());
  if (route->name.find('/') == std::string::npos) {
    // Every repository lives in a project: say so rather than "project  does not exist".
    co_return RegistryError(content_.ResolveProject(route->name).error());
  }

  auth::Identity who;
  const auth::Action action = ActionFor(request.method);
  std::optional<http::Response> denied = Guard(request, *route, action, who);
  if (denied) co_return std::move(*denied);
  if (pull_through_ && action == auth::Action::kPull &&
      (route->kind == RouteKind::kManifest || route->kind == RouteKind::kBlob)) {
    std::optional<http::Response> failed = co_await PullThroughFirst(request, *route);
    if (failed) co_return std::move(*failed);
  }
  // A push (and any call on its upload sessions) names a repository that may not exist
  // yet: it is stored with the first blob or manifest committed, so a failed or cancelled
  // push leaves none behind.
  const bool pushing = action == auth::Action::kPush || route->kind == RouteKind::kUpload;
  Result<metadata::Repository> repo = pushing ? content_.ResolveForPush(route->name)
                                              : content_.ResolveRepository(route->name, false);
  if (!repo) co_return RegistryError(repo.error());

  switch (route->kind) {
    case RouteKind::kTags:
      co_return co_await Tags(request, *repo);
    case RouteKind::kReferrers:
      co_return co_await Referrers(request, *repo, *route);
    case RouteKind::kManifest:
      co_return co_await Manifest(request, *repo, *route);
    case RouteKind::kBlob:
      if (request.method == "DELETE") co_return co_await DeleteBlob(*repo, *route);
      co_return co_await GetBlob(request, *repo, *route);
    case RouteKind::kUploadStart:
      co_return co_await StartUpload(request, *repo, who);
    case RouteKind::kUpload:
      co_return co_await Upload(request, *repo, *route);
    default:
      break;
  }
  co_return RegistryError(MakeError(ErrorCode::kNotFound));
}

http::Task<http::Response> RegistryService::Base(http::Request& request) {
  auto who = auth_.Authenticate(request);
  if (!who) co_return Deny(request, who.error(), {});
  if (who->anonymous()) {
    co_return Deny(request, MakeError(ErrorCode::kUnauthorized, "authentication required"), {});
  }
  co_return http::JsonResponse(200, "{}");
}

http::Task<http::Response> RegistryService::Catalog(http::Request& request) {
  static constexpr std::string_view kScope = "registry:catalog:*";
  auto who = auth_.Authenticate(request);
  if (!who) co_return Deny(request, who.error(), kScope);
  if (auto ok = auth_.AuthorizeCatalog(*who); !ok) {
    co_return Deny(request, ok.error(), kScope, /*token_lacks_scope=*/who->from_token);
  }
  auto n = ParsePageSize(request);
  if (!n) co_return RegistryError(n.error());
  auto list = content_.Catalog(request.Query("last").value_or(""), *n);
  if (!list) co_return RegistryError(list.error());
  co_return NameListResponse("repositories", {}, *list, "/v2/_catalog", *n);
}

http::Task<http::Response> RegistryService::Tags(http::Request& request,
                                                 const metadata::Repository& repo) {
  auto n = ParsePageSize(request);
  if (!n) co_return RegistryError(n.error());
  auto list = content_.ListTags(repo, request.Query("last").value_or(""), *n);
  if (!list) co_return RegistryError(list.error());
  co_return NameListResponse("tags", repo.name, *list, "/v2/" + repo.name + "/tags/list", *n);
}

http::Task<http::Response> RegistryService::Referrers(http::Request& request,
                                                      const metadata::Repository& repo,
                                                      const Route& route) {
  auto digest = Digest::Parse(route.arg);
  if (!digest) co_return RegistryError(digest.error());
  auto result = content_.Referrers(repo, *digest, request.Query("artifactType").value_or(""));
  if (!result) co_return RegistryError(result.error());
  http::Response resp;
  resp.headers.Set("Content-Type", "application/vnd.oci.image.index.v1+json");
  if (result->filter_applied) resp.headers.Set("OCI-Filters-Applied", "artifactType");
  resp.body = std::move(result->index_json);
  co_return resp;
}

}  // namespace berth::registry
