// The metadata stores, one per aggregate, each over a Database (SQLite now,
// PostgreSQL later: the SQL they issue is the common subset of both).
//
// Errors: NOT_FOUND-style misses are returned as std::nullopt or the specific OCI/Harbor
// code named below; database failures are kInternal with the SQLite message logged, not
// sent. Thread safety: every method may be called from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "metadata/database.h"
#include "metadata/records.h"

namespace berth::metadata {

class ProjectStore {
 public:
  explicit ProjectStore(Database& db) : db_(db) {}
  // CONFLICT (409) when the name exists.
  Result<Project> Create(const Project& project);
  Result<std::optional<Project>> Get(int64_t id);
  Result<std::optional<Project>> GetByName(std::string_view name);
  // Filtered by exact name or name substring (`name_like`), public flag; ordered by
  // creation time (then id).
  Result<PageResult<Project>> List(const Page& page, std::string_view name_like = {},
                                   std::optional<bool> is_public = std::nullopt);
  Status Update(const Project& project);
  // PRECONDITION (412) when the project still has repositories.
  Status Delete(int64_t id);
  // Number of repositories in the project.
  Result<int64_t> RepositoryCount(int64_t id);

 private:
  Database& db_;
};

class ArtifactStore {
 public:
  explicit ArtifactStore(Database& db) : db_(db) {}

  // Repositories. EnsureRepository creates the row when missing.
  Result<Repository> EnsureRepository(int64_t project_id, std::string_view name);
  Result<std::optional<Repository>> GetRepository(std::string_view name);
  // Newest first (creation time, then id), as Harbor lists them.
  Result<PageResult<Repository>> ListRepositories(int64_t project_id, const Page& page,
                                                  std::string_view name_like = {});
  // Catalog: repository names in lexical order after `last`, at most `n`.
  Result<std::vector<std::string>> Catalog(std::string_view last, int64_t n);
  // Deletes the repository with its artifacts, tags and blob links.
  Status DeleteRepository(int64_t repository_id);
  Status IncrementPullCount(int64_t repository_id);
  // NOT_FOUND when the repository is gone.
  Status SetRepositoryDescription(int64_t repository_id, std::string_view description);
  // The bytes the registry stores (of one project, when `project_id` is not 0): every
  // distinct blob and manifest, counted once however many repositories link it.
  Result<int64_t> StorageConsumption(int64_t project_id = 0);
  // A manifest GET: the repository's pull count and the artifact's pull_time.
  Status RecordPull(int64_t repository_id, std::string_view digest);

  // Blob links: a repository sees only the blobs linked to it.
  Status LinkBlob(int64_t repository_id, std::string_view digest, int64_t size);
  // The size of a linked blob, std::nullopt when not linked to this repository.
  Result<std::optional<int64_t>> LinkedBlobSize(int64_t repository_id, std::string_view digest);
  // Some repository (name) that links `digest`, for cross-repo mount checks.
  Result<bool> IsBlobLinkedAnywhere(std::string_view digest);
  Status UnlinkBlob(int64_t repository_id, std::string_view digest);

  // Manifests. PutManifest inserts the artifact (if new), its references and, when
  // `tag` is non-empty, points the tag at it, all in one transaction.
  Result<Artifact> PutManifest(const Artifact& artifact,
                               const std::vector<ManifestReference>& references,
                               std::string_view tag);
  Result<std::optional<Artifact>> GetArtifact(int64_t repository_id, std::string_view digest);
  // Resolves a tag to its artifact.
  Result<std::optional<Artifact>> GetArtifactByTag(int64_t repository_id, std::string_view tag);
  // Newest first. With `top_level`, as Harbor lists artifacts by default: an untagged
  // manifest that an index of the repository references (a child) is left out.
  Result<PageResult<Artifact>> ListArtifacts(int64_t repository_id, const Page& page,
                                             bool top_level = false);
  // The digests of the manifests that artifact `artifact_id` (an index) references.
  Result<std::vector<std::string>> ChildManifests(int64_t artifact_id);
  // Every artifact of the repository with its tags (lexical order), ordered by digest, in
  // one query (replication listing).
  Result<std::vector<Artifact>> AllArtifactsWithTags(int64_t repository_id);
  // Deletes the artifact and every tag pointing at it.
  Status DeleteArtifact(int64_t repository_id, std::string_view digest);
  // True when `digest` is a manifest referenced by another artifact (index child) in
  // this repository.
  Result<bool> IsReferencedByIndex(int64_t repository_id, std::string_view digest);
  // Referrers of `subject` in the repository, optionally filtered by artifact type.
  Result<std::vector<Artifact>> Referrers(int64_t repository_id, std::string_view subject,
                                          std::string_view artifact_type = {});

  // Tags, lexical order after `last`, at most `n` (n < 0: all).
  Result<std::vector<std::string>> ListTags(int64_t repository_id, std::string_view last,
                                            int64_t n);
  // NOT_FOUND-free: false when the tag did not exist.
  Result<bool> DeleteTag(int64_t repository_id, std::string_view tag);

 private:
  Database& db_;
};

class UserStore {
 public:
  explicit UserStore(Database& db) : db_(db) {}
  // CONFLICT when the username exists.
  Result<User> Create(const User& user);
  Result<std::optional<User>> Get(int64_t id);
  Result<std::optional<User>> GetByName(std::string_view username);
  // Whether some user has this email address (compared without case).
  Result<bool> EmailInUse(std::string_view email);
  Result<PageResult<User>> List(const Page& page, std::string_view username_like = {});
  Status Update(const User& user);
  Status Delete(int64_t id);

  // Project membership (Harbor roles).
  Status SetMember(int64_t project_id, int64_t user_id, Role role);
  Result<std::optional<Role>> MemberRole(int64_t project_id, int64_t user_id);
  Result<std::vector<Member>> ListMembers(int64_t project_id);
  Status RemoveMember(int64_t project_id, int64_t user_id);

 private:
  Database& db_;
};

class UploadStore {
 public:
  explicit UploadStore(Database& db) : db_(db) {}
  Status Create(const Upload& upload);
  Result<std::optional<Upload>> Get(std::string_view id);
  Status Delete(std::string_view id);

 private:
  Database& db_;
};

}  // namespace berth::metadata
