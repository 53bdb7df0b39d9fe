// ApiService: Harbor's /api/v2.0 for the registry core — system info, projects and
// members, repositories, artifacts and tags, users. Paths, JSON field names, status
// codes, paging headers and the error envelope follow the Harbor swagger so Harbor's
// clients work unchanged.
//
// Mounted at "/api/v2.0/": Handle accepts a request whose raw target starts with
// "/api/v2.0" (or has the prefix already stripped). Every response carries the
// request's X-Request-Id. Unknown paths give 404 NOT_FOUND, known paths with another
// method 405 METHOD_NOT_ALLOWED; HEAD falls back to GET without the body.
//
// Ownership: holds references to the services and stores, which must outlive it.
// Thread safety: Handle may run concurrently on any number of io threads.
#pragma once

#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/router.h"
#include "auth/auth.h"
#include "auth/auth_service.h"
#include "common/error.h"
#include "content/content_service.h"
#include "endpoints/endpoint_service.h"
#include "http/blocking_pool.h"
#include "http/message.h"
#include "metadata/records.h"
#include "metadata/robot_store.h"
#include "metadata/stores.h"

namespace berth::replication {
class ReplicationService;
struct Policy;
}  // namespace berth::replication
namespace berth::metadata {
class LabelStore;
struct Label;
}  // namespace berth::metadata

namespace berth::api {

struct ApiOptions {
  std::string version = "dev";  // harbor_version in /systeminfo
  // The registry host:port clients push to; empty = the Host of the request.
  std::string registry_url;
  // The external URL with scheme; empty = the base URL of the request.
  std::string external_url;
  size_t max_body_bytes = 1 << 20;  // larger JSON bodies are refused (400)
  // Endpoint types that may back a proxy-cache project (config proxy_cache_providers).
  std::vector<std::string> proxy_cache_providers = {"harbor",    "docker-hub", "aws-ecr",
                                                    "azure-acr", "google-gcr", "quay"};
};

// The replication endpoint routes (/registries, /replication/adapter*). Without them those
// routes answer 500 "replication endpoints are not configured". Not owned.
struct EndpointDeps {
  endpoints::EndpointService* service = nullptr;
  // Runs the blocking work (health checks, pings: outbound HTTP) off the io threads.
  http::BlockingPool* pool = nullptr;
};

// The replication rules and labels routes (/replication/policies, /replication/executions,
// /labels, artifact labels). Without a service the replication routes answer 500
// "replication is not configured"; without a label store so do the label routes. Not owned.
struct ReplicationDeps {
  replication::ReplicationService* service = nullptr;
  metadata::LabelStore* labels = nullptr;
  // Runs the service calls (they may plan, list or stop work on remotes) off the io threads.
  http::BlockingPool* pool = nullptr;
};

// Harbor's Registry JSON for an endpoint (registries.cc); the secret is masked.
nlohmann::json RegistryJson(const endpoints::RegistryView& registry);

class ApiService {
 public:
  ApiService(auth::AuthService& auth, metadata::ProjectStore& projects,
             metadata::ArtifactStore& artifacts, metadata::UserStore& users,
             content::ContentService& content, ApiOptions options, EndpointDeps endpoints = {},
             ReplicationDeps replication = {});
  ApiService(const ApiService&) = delete;
  ApiService& operator=(const ApiService&) = delete;

  http::Task<http::Response> Handle(http::Request& request);

  // The API operations a robot account's grant names on their own, as Harbor checks them
  // (tag create and delete, repository update and delete), beside the registry's pull,
  // push and delete (an artifact).
  static constexpr std::string_view kRobotTagCreate = "tag-create";
  static constexpr std::string_view kRobotTagDelete = "tag-delete";
  static constexpr std::string_view kRobotRepositoryUpdate = "repository-update";
  static constexpr std::string_view kRobotRepositoryDelete = "repository-delete";

  // Robot accounts (not owned; null: the /robots routes answer 500). Call before serving.
  void SetRobots(metadata::RobotStore* robots) { robots_ = robots; }

 private:
  // One routed request: the caller, the path parameters and the (JSON) body.
  struct Call {
    http::Request& request;
    PathParams params;
    auth::Identity identity;
    std::string body;
    std::string path;  // "/api/v2.0/..." without the query, for Link headers

    const std::string& Param(std::string_view name) const;
  };
  using Method = Result<http::Response> (ApiService::*)(Call&);
  // Handlers that await blocking work on the BlockingPool.
  using AsyncMethod = http::Task<Result<http::Response>> (ApiService::*)(Call&);

  Result<http::Response> Dispatch(Call& call, const Method& method);

  // system.cc
  Result<http::Response> Ping(Call& call);
  Result<http::Response> SystemInfo(Call& call);
  Result<http::Response> Health(Call& call);

  // projects.cc
  Result<http::Response> ListProjects(Call& call);
  Result<http::Response> HeadProject(Call& call);
  Result<http::Response> CreateProject(Call& call);
  Result<http::Response> GetProject(Call& call);
  Result<http::Response> UpdateProject(Call& call);
  Result<http::Response> DeleteProject(Call& call);
  Result<http::Response> ProjectDeletable(Call& call);
  Result<http::Response> ListMembers(Call& call);
  Result<http::Response> CreateMember(Call& call);
  Result<http::Response> GetMember(Call& call);
  Result<http::Response> UpdateMember(Call& call);
  Result<http::Response> DeleteMember(Call& call);

  // repositories.cc
  Result<http::Response> ListRepositories(Call& call);
  Result<http::Response> ListAllRepositories(Call& call);
  Result<http::Response> GetRepository(Call& call);
  Result<http::Response> UpdateRepository(Call& call);
  Result<http::Response> DeleteRepository(Call& call);

  // artifacts.cc
  Result<http::Response> ListArtifacts(Call& call);
  Result<http::Response> ListProjectArtifacts(Call& call);
  Result<http::Response> GetArtifact(Call& call);
  Result<http::Response> DeleteArtifact(Call& call);
  Result<http::Response> ListArtifactTags(Call& call);
  Result<http::Response> CreateArtifactTag(Call& call);
  Result<http::Response> DeleteArtifactTag(Call& call);

  // overview.cc
  Result<http::Response> Search(Call& call);
  Result<http::Response> Statistics(Call& call);
  Result<http::Response> ProjectSummary(Call& call);

  // robots.cc
  struct RobotRequest;
  Result<http::Response> ListRobots(Call& call);
  Result<http::Response> CreateRobot(Call& call);
  Result<http::Response> GetRobot(Call& call);
  Result<http::Response> UpdateRobot(Call& call);
  Result<http::Response> RefreshRobotSecret(Call& call);
  Result<http::Response> DeleteRobot(Call& call);
  void AddRobotRoutes();
  // The configured store, a signed-in caller that is not itself a robot.
  Status RequireRobots(const Call& call) const;
  // The robot of {robot_id} once the caller may read it (`manage` false: system admins,
  // or for a project robot the project's members other than limited guests) or change it
  // (system admins, or the project's admins).
  Result<metadata::Robot> AccessRobot(const Call& call, bool manage);
  // The permissions of a robot request: Harbor's list as it will be shown, the registry
  // grants it amounts to and, for a project robot, its project. 400/404 saying what is
  // wrong.
  Result<RobotRequest> ParseRobotPermissions(const Call& call, const nlohmann::json& body,
                                             std::string_view level);
  static nlohmann::json RobotJson(const metadata::Robot& robot);

  // users.cc
  Result<http::Response> CurrentUser(Call& call);
  Result<http::Response> ListUsers(Call& call);
  Result<http::Response> SearchUsers(Call& call);
  Result<http::Response> CreateUser(Call& call);
  Result<http::Response> GetUser(Call& call);
  Result<http::Response> DeleteUser(Call& call);
  Result<http::Response> SetSysadmin(Call& call);
  Result<http::Response> ChangePassword(Call& call);

  // registries.cc (replication endpoints; system admins only)
  http::Task<Result<http::Response>> ListRegistries(Call& call);
  http::Task<Result<http::Response>> CreateRegistry(Call& call);
  http::Task<Result<http::Response>> GetRegistry(Call& call);
  http::Task<Result<http::Response>> UpdateRegistry(Call& call);
  http::Task<Result<http::Response>> DeleteRegistry(Call& call);
  http::Task<Result<http::Response>> PingRegistry(Call& call);
  http::Task<Result<http::Response>> RegistryInfo(Call& call);
  http::Task<Result<http::Response>> ListAdapters(Call& call);
  http::Task<Result<http::Response>> ListAdapterInfos(Call& call);
  void AddRegistryRoutes();
  // SysAdmin check plus the configured EndpointDeps.
  Status RequireEndpoints(const Call& call) const;

  // replication.cc (rules, executions, tasks, logs; system admins only)
  http::Task<Result<http::Response>> ListPolicies(Call& call);
  http::Task<Result<http::Response>> CreatePolicy(Call& call);
  http::Task<Result<http::Response>> GetPolicy(Call& call);
  http::Task<Result<http::Response>> UpdatePolicy(Call& call);
  http::Task<Result<http::Response>> DeletePolicy(Call& call);
  http::Task<Result<http::Response>> ListExecutions(Call& call);
  http::Task<Result<http::Response>> StartExecution(Call& call);
  http::Task<Result<http::Response>> GetExecution(Call& call);
  http::Task<Result<http::Response>> StopExecution(Call& call);
  http::Task<Result<http::Response>> ListTasks(Call& call);
  http::Task<Result<http::Response>> TaskLog(Call& call);
  void AddReplicationRoutes();
  // SysAdmin check plus the configured ReplicationDeps.
  Status RequireReplication(const Call& call) const;
  // The policy JSON with src_registry / dest_registry as full Registry objects.
  nlohmann::json PolicyJson(const Call& call, const replication::Policy& policy);

  // labels.cc
  Result<http::Response> ListLabels(Call& call);
  Result<http::Response> CreateLabel(Call& call);
  Result<http::Response> GetLabel(Call& call);
  Result<http::Response> UpdateLabel(Call& call);
  Result<http::Response> DeleteLabel(Call& call);
  Result<http::Response> AddArtifactLabel(Call& call);
  Result<http::Response> RemoveArtifactLabel(Call& call);
  void AddLabelRoutes();
  // The label of {label_id} once the caller may read it (`manage` false: a project
  // label's readers) or change it (`manage`: the project's admins; system admins for a
  // global label). INTERNAL without a label store, UNAUTHORIZED for anonymous callers.
  Result<metadata::Label> AccessLabel(const Call& call, bool manage);
  // The artifact of {reference} in `project`/{repository_name} once the caller may push
  // there (to attach or detach labels); INTERNAL without a label store.
  Result<metadata::Artifact> ArtifactToLabel(const Call& call, metadata::Project& project);
  // The labels attached to an artifact as Harbor's Label objects (null when none or
  // when no label store is configured).
  Result<nlohmann::json> ArtifactLabelsJson(int64_t artifact_id);
  // The artifacts of `candidates` that carry every label in `label_ids`.
  Result<std::vector<metadata::Artifact>> WithLabels(std::vector<metadata::Artifact> candidates,
                                                     const std::vector<int64_t>& label_ids);

  // Shared lookups and access checks (api_service.cc).
  // The project named by `name_or_id`: a number is an id unless the request says
  // X-Is-Resource-Name: true or `allow_id` is false. NOT_FOUND otherwise.
  Result<metadata::Project> FindProject(const Call& call, std::string_view name_or_id,
                                        bool allow_id = true);
  // The caller's role in the project (none for non-members and anonymous callers).
  Result<std::optional<metadata::Role>> RoleIn(const auth::Identity& who,
                                               const metadata::Project& project);
  // UNAUTHORIZED for anonymous callers.
  static Status RequireLogin(const Call& call);
  // UNAUTHORIZED for anonymous callers, FORBIDDEN for non-admins.
  static Status RequireSysadmin(const Call& call);
  // Read access: public projects, members, system admins.
  Status RequireProjectRead(const Call& call, const metadata::Project& project);
  // Members other than limited guests, and system admins (Harbor's member read).
  Status RequireMemberRead(const Call& call, const metadata::Project& project);
  // Project admin role or system admin.
  Status RequireProjectAdmin(const Call& call, const metadata::Project& project);
  // Every project `who` may read (public ones, those they are a member of; all for system
  // admins), oldest first.
  Result<std::vector<metadata::Project>> VisibleProjects(const auth::Identity& who);
  // Every repository of a project, newest first.
  Result<std::vector<metadata::Repository>> RepositoriesOf(int64_t project_id);
  // May the caller do `operation` (e.g. "delete the tag") on `repo` of `project`? Users:
  // the role `action` needs (auth::AuthService::Authorize), refused with a message that
  // names the operation. Robots: their grant `robot_grant` in the project (see kRobot*;
  // "delete" is an artifact's), never a push into a proxy cache.
  Status AuthorizeOperation(const Call& call, const metadata::Project& project,
                            const metadata::Repository& repo, auth::Action action,
                            std::string_view robot_grant, std::string_view operation);
  // The repository `project`/`repository_name` after checking read access to the project.
  Result<metadata::Repository> FindRepository(const Call& call, metadata::Project& project);

  // The artifact `reference` (tag or digest) names in `repo`, with its tags.
  Result<metadata::Artifact> FindArtifact(const metadata::Repository& repo,
                                          std::string_view reference);

  Result<nlohmann::json> ProjectJson(const metadata::Project& project, const auth::Identity& who);
  Result<nlohmann::json> RepositoryJson(const metadata::Repository& repo);
  // The artifacts a repository lists by default (an index's untagged children left out).
  Result<int64_t> ArtifactCount(const metadata::Repository& repo);
  Result<nlohmann::json> ArtifactJson(const metadata::Artifact& artifact,
                                      const metadata::Repository& repo);
  // A page of artifacts as Harbor lists them, with the request's with_tag (default true)
  // and with_label (default false); `repo_of` gives each artifact's repository.
  Result<http::Response> ArtifactPage(
      const Call& call, std::vector<metadata::Artifact> items, const metadata::Page& page,
      int64_t total,
      const std::function<const metadata::Repository&(const metadata::Artifact&)>& repo_of);
  static nlohmann::json UserJson(const metadata::User& user);

  auth::AuthService& auth_;
  metadata::ProjectStore& projects_;
  metadata::ArtifactStore& artifacts_;
  metadata::UserStore& users_;
  content::ContentService& content_;
  ApiOptions options_;
  EndpointDeps endpoints_;
  ReplicationDeps replication_;
  metadata::RobotStore* robots_ = nullptr;
  RouteTable<Method> routes_;
  RouteTable<AsyncMethod> async_routes_;
};

}  // namespace berth::api
