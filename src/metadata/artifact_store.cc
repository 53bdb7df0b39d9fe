#include <unordered_map>

#include "metadata/store_util.h"
#include "metadata/stores.h"
#include "metadata/timestamps.h"

namespace berth::metadata {
namespace {

using namespace internal;  // NOLINT(build/namespaces): store helpers

// ---- repositories and artifacts ----

constexpr std::string_view kRepoCols =
    "id, project_id, name, description, pull_count, creation_time, update_time";

Repository ToRepository(const Row& r) {
  return Repository{.id = r.Int(0),
                    .project_id = r.Int(1),
                    .name = r.Text(2),
                    .description = r.Text(3),
                    .pull_count = r.Int(4),
                    .creation_time = r.Text(5),
                    .update_time = r.Text(6)};
}

#define BERTH_ARTIFACT_COLS                                                             \
  "a.id, a.repository_id, a.digest, a.media_type, a.artifact_type, a.size, a.subject, " \
  "a.push_time, a.pull_time"

Artifact ToArtifact(const Row& r) {
  return Artifact{.id = r.Int(0),
                  .repository_id = r.Int(1),
                  .digest = r.Text(2),
                  .media_type = r.Text(3),
                  .artifact_type = r.Text(4),
                  .size = r.Int(5),
                  .subject = r.Text(6),
                  .push_time = r.Text(7),
                  .pull_time = r.Text(8),
                  .tags = {}};
}

Result<std::vector<Artifact>> QueryArtifacts(Database& db, std::string_view sql, Params params) {
  auto rows = db.Query(sql, params);
  if (!rows) return Fail(rows.error());
  std::vector<Artifact> out;
  out.reserve(rows->size());
  for (const auto& r : *rows) out.push_back(ToArtifact(r));
  return out;
}

// Fills `tags` of every artifact (tag names in lexical order).
Status FillTags(Database& db, std::vector<Artifact>& artifacts) {
  if (artifacts.empty()) return Ok();
  std::string sql = "SELECT artifact_id, name FROM tags WHERE artifact_id IN (";
  std::vector<Value> params;
  std::unordered_map<int64_t, Artifact*> by_id;
  for (auto& a : artifacts) {
    sql += params.empty() ? "?" : ", ?";
    params.emplace_back(a.id);
    by_id[a.id] = &a;
    a.tags.clear();
  }
  sql += ") ORDER BY name";
  auto rows = db.Query(sql, params);
  if (!rows) return Fail(rows.error());
  for (const auto& r : *rows) {
    if (auto it = by_id.find(r.Int(0)); it != by_id.end()) it->second->tags.push_back(r.Text(1));
  }
  return Ok();
}

Result<std::optional<Artifact>> OneArtifact(Database& db, std::string_view sql, Params params) {
  auto list = QueryArtifacts(db, sql, params);
  if (!list) return Fail(list.error());
  if (list->empty()) return std::optional<Artifact>();
  list->resize(1);
  BERTH_TRY(FillTags(db, *list));
  return std::optional<Artifact>(std::move(list->front()));
}

}  // namespace

// ===== ArtifactStore: repositories =====

Result<Repository> ArtifactStore::EnsureRepository(int64_t project_id, std::string_view name) {
  auto found = GetRepository(name);
  if (!found) return Fail(found.error());
  if (*found) return std::move(**found);
  std::string now = NowTimestamp();
  auto n = db_.Exec(
      "INSERT INTO repositories (project_id, name, creation_time, update_time) "
      "VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
      {project_id, name, now, now});
  if (!n) {
    return Fail(
        Relabel(n.error(), ErrorCode::kPrecondition, ErrorCode::kNotFound, "project not found"));
  }
  found = GetRepository(name);
  if (!found) return Fail(found.error());
  if (!*found) return Fail(ErrorCode::kInternal, "repository vanished while being created");
  return std::move(**found);
}

Result<std::optional<Repository>> ArtifactStore::GetRepository(std::string_view name) {
  static const std::string sql = Sql({"SELECT ", kRepoCols, " FROM repositories WHERE name = ?"});
  auto row = db_.QueryOne(sql, {name});
  if (!row) return Fail(row.error());
  if (!*row) return std::optional<Repository>();
  return std::optional(ToRepository(**row));
}

Result<PageResult<Repository>> ArtifactStore::ListRepositories(int64_t project_id, const Page& page,
                                                               std::string_view name_like) {
  Where where;
  where.Equal("project_id", project_id);
  if (!name_like.empty()) where.Like("name", name_like);
  // Newest first, as Harbor lists repositories.
  return ListPage<Repository>(db_, "repositories", kRepoCols, where, "creation_time DESC, id DESC",
                              page, ToRepository);
}

Result<std::vector<std::string>> ArtifactStore::Catalog(std::string_view last, int64_t n) {
  auto rows = db_.Query("SELECT name FROM repositories WHERE name > ? ORDER BY name LIMIT ?",
                        {last, LimitN(n)});
  if (!rows) return Fail(rows.error());
  std::vector<std::string> out;
  for (const auto& r : *rows) out.push_back(r.Text(0));
  return out;
}

Status ArtifactStore::DeleteRepository(int64_t repository_id) {
  return db_.Transaction([&](Database& tx) -> Status {
    // Tags and artifacts go by cascade; spelled out so the order never depends on it.
    BERTH_TRY(tx.Exec("DELETE FROM tags WHERE repository_id = ?", {repository_id}));
    BERTH_TRY(tx.Exec("DELETE FROM artifacts WHERE repository_id = ?", {repository_id}));
    BERTH_TRY(tx.Exec("DELETE FROM blob_links WHERE repository_id = ?", {repository_id}));
    auto n = tx.Exec("DELETE FROM repositories WHERE id = ?", {repository_id});
    if (!n) return Fail(n.error());
    if (*n == 0) return Fail(ErrorCode::kNotFound, "repository not found");
    return Ok();
  });
}

Status ArtifactStore::IncrementPullCount(int64_t repository_id) {
  auto n =
      db_.Exec("UPDATE repositories SET pull_count = pull_count + 1 WHERE id = ?", {repository_id});
  if (!n) return Fail(n.error());
  return Ok();
}

Status ArtifactStore::SetRepositoryDescription(int64_t repository_id,
                                               std::string_view description) {
  auto n = db_.Exec("UPDATE repositories SET description = ? WHERE id = ?",
                    {std::string(description), repository_id});
  if (!n) return Fail(n.error());
  if (*n == 0) return Fail(ErrorCode::kNotFound, "repository not found");
  return Ok();
}

Result<int64_t> ArtifactStore::StorageConsumption(int64_t project_id) {
  auto row = db_.QueryOne(
      "SELECT COALESCE(SUM(size), 0) FROM (SELECT MAX(size) AS size FROM ("
      "SELECT l.digest, l.size FROM blob_links l JOIN repositories r ON r.id = l.repository_id "
      "WHERE ? = 0 OR r.project_id = ? "
      "UNION ALL SELECT a.digest, a.size FROM artifacts a "
      "JOIN repositories r ON r.id = a.repository_id WHERE ? = 0 OR r.project_id = ?) "
      "GROUP BY digest)",
      {project_id, project_id, project_id, project_id});
  if (!row) return Fail(row.error());
  return *row ? (*row)->Int(0) : 0;
}

Status ArtifactStore::RecordPull(int64_t repository_id, std::string_view digest) {
  BERTH_TRY(IncrementPullCount(repository_id));
  auto n = db_.Exec("UPDATE artifacts SET pull_time = ? WHERE repository_id = ? AND digest = ?",
                    {NowTimestamp(), repository_id, std::string(digest)});
  if (!n) return Fail(n.error());
  return Ok();
}

// ===== ArtifactStore: blob links =====

Status ArtifactStore::LinkBlob(int64_t repository_id, std::string_view digest, int64_t size) {
  auto n = db_.Exec(
      "INSERT INTO blob_links (repository_id, digest, size, creation_time) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (repository_id, digest) DO UPDATE SET size = excluded.size",
      {repository_id, digest, size, NowTimestamp()});
  if (!n) {
    return Fail(
        Relabel(n.error(), ErrorCode::kPrecondition, ErrorCode::kNotFound, "repository not found"));
  }
  return Ok();
}

Result<std::optional<int64_t>> ArtifactStore::LinkedBlobSize(int64_t repository_id,
                                                             std::string_view digest) {
  auto row = db_.QueryOne("SELECT size FROM blob_links WHERE repository_id = ? AND digest = ?",
                          {repository_id, digest});
  if (!row) return Fail(row.error());
  if (!*row) return std::optional<int64_t>();
  return std::optional((*row)->Int(0));
}

Result<bool> ArtifactStore::IsBlobLinkedAnywhere(std::string_view digest) {
  auto row = db_.QueryOne("SELECT 1 FROM blob_links WHERE digest = ? LIMIT 1", {digest});
  if (!row) return Fail(row.error());
  return row->has_value();
}

Status ArtifactStore::UnlinkBlob(int64_t repository_id, std::string_view digest) {
  auto n = db_.Exec("DELETE FROM blob_links WHERE repository_id = ? AND digest = ?",
                    {repository_id, digest});
  if (!n) return Fail(n.error());
  return Ok();
}

// ===== ArtifactStore: manifests =====

Result<Artifact> ArtifactStore::PutManifest(const Artifact& artifact,
                                            const std::vector<ManifestReference>& references,
                                            std::string_view tag) {
  Artifact result;
  auto status = db_.Transaction([&](Database& tx) -> Status {
    static const std::string select = "SELECT " BERTH_ARTIFACT_COLS
                                      " FROM artifacts a WHERE a.repository_id = ? AND "
                                      "a.digest = ?";
    auto existing = tx.QueryOne(select, {artifact.repository_id, artifact.digest});
    if (!existing) return Fail(existing.error());
    std::string now = NowTimestamp();
    if (*existing) {
      result = ToArtifact(**existing);
    } else {
      static const std::string insert =
          "INSERT INTO artifacts (repository_id, digest, media_type, artifact_type, size, "
          "subject, push_time) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id, repository_id, "
          "digest, media_type, artifact_type, size, subject, push_time, pull_time";
      auto row = tx.QueryOne(insert, {artifact.repository_id, artifact.digest, artifact.media_type,
                                      artifact.artifact_type, artifact.size, artifact.subject,
                                      artifact.push_time.empty() ? now : artifact.push_time});
      if (!row) {
        return Fail(Relabel(row.error(), ErrorCode::kPrecondition, ErrorCode::kNameUnknown,
                            "repository not found"));
      }
      result = ToArtifact(**row);
    }
    BERTH_TRY(tx.Exec("DELETE FROM artifact_references WHERE artifact_id = ?", {result.id}));
    for (const auto& ref : references) {
      BERTH_TRY(
          tx.Exec("INSERT INTO artifact_references (artifact_id, digest, size, is_manifest) "
                  "VALUES (?, ?, ?, ?)",
                  {result.id, ref.digest, ref.size, ref.is_manifest}));
    }
    if (!tag.empty()) {
      BERTH_TRY(tx.Exec(
          "INSERT INTO tags (repository_id, artifact_id, name, push_time) VALUES (?, ?, ?, ?) "
          "ON CONFLICT (repository_id, name) DO UPDATE SET artifact_id = excluded.artifact_id, "
          "push_time = excluded.push_time",
          {result.repository_id, result.id, tag, now}));
    }
    std::vector<Artifact> one{result};
    BERTH_TRY(FillTags(tx, one));
    result = std::move(one.front());
    return Ok();
  });
  if (!status) return Fail(status.error());
  return result;
}

Result<std::optional<Artifact>> ArtifactStore::GetArtifact(int64_t repository_id,
                                                           std::string_view digest) {
  return OneArtifact(db_,
                     "SELECT " BERTH_ARTIFACT_COLS
                     " FROM artifacts a WHERE a.repository_id = ? AND a.digest = ?",
                     std::vector<Value>{repository_id, digest});
}

Result<std::optional<Artifact>> ArtifactStore::GetArtifactByTag(int64_t repository_id,
                                                                std::string_view tag) {
  return OneArtifact(db_,
                     "SELECT " BERTH_ARTIFACT_COLS
                     " FROM tags t JOIN artifacts a ON a.id = t.artifact_id "
                     "WHERE t.repository_id = ? AND t.name = ?",
                     std::vector<Value>{repository_id, tag});
}

Result<PageResult<Artifact>> ArtifactStore::ListArtifacts(int64_t repository_id, const Page& page,
                                                          bool top_level) {
  // An index's children are listed only when tagged, as Harbor lists artifacts by default.
  const std::string where =
      std::string("a.repository_id = ?") +
      (top_level ? " AND (EXISTS (SELECT 1 FROM tags t WHERE t.artifact_id = a.id) OR NOT EXISTS "
                   "(SELECT 1 FROM artifact_references r JOIN artifacts p ON p.id = r.artifact_id "
                   "WHERE r.digest = a.digest AND r.is_manifest = 1 "
                   "AND p.repository_id = a.repository_id))"
                 : "");
  PageResult<Artifact> result;
  auto total = Count(db_, "SELECT COUNT(*) FROM artifacts a WHERE " + where, {repository_id});
  if (!total) return Fail(total.error());
  result.total = *total;
  auto items = QueryArtifacts(db_,
                              "SELECT " BERTH_ARTIFACT_COLS " FROM artifacts a WHERE " + where +
                                  " ORDER BY a.push_time DESC, a.id DESC LIMIT ? OFFSET ?",
                              std::vector<Value>{repository_id, Limit(page), Offset(page)});
  if (!items) return Fail(items.error());
  BERTH_TRY(FillTags(db_, *items));
  result.items = std::move(*items);
  return result;
}

Result<std::vector<std::string>> ArtifactStore::ChildManifests(int64_t artifact_id) {
  auto rows = db_.Query(
      "SELECT digest FROM artifact_references WHERE artifact_id = ? AND is_manifest = 1 "
      "ORDER BY digest",
      {artifact_id});
  if (!rows) return Fail(rows.error());
  std::vector<std::string> out;
  for (const auto& r : *rows) out.push_back(r.Text(0));
  return out;
}

Result<std::vector<Artifact>> ArtifactStore::AllArtifactsWithTags(int64_t repository_id) {
  auto rows = db_.Query("SELECT " BERTH_ARTIFACT_COLS
                        ", t.name FROM artifacts a LEFT JOIN tags t ON t.artifact_id = a.id "
                        "WHERE a.repository_id = ? ORDER BY a.digest, t.name",
                        {repository_id});
  if (!rows) return Fail(rows.error());
  std::vector<Artifact> out;
  for (const auto& r : *rows) {
    if (out.empty() || out.back().id != r.Int(0)) out.push_back(ToArtifact(r));
    if (!r.IsNull(9)) out.back().tags.push_back(r.Text(9));
  }
  return out;
}

Status ArtifactStore::DeleteArtifact(int64_t repository_id, std::string_view digest) {
  return db_.Transaction([&](Database& tx) -> Status {
    BERTH_TRY(
        tx.Exec("DELETE FROM tags WHERE artifact_id IN "
                "(SELECT id FROM artifacts WHERE repository_id = ? AND digest = ?)",
                {repository_id, digest}));
    auto n = tx.Exec("DELETE FROM artifacts WHERE repository_id = ? AND digest = ?",
                     {repository_id, digest});
    if (!n) return Fail(n.error());
    if (*n == 0) {
      return Fail(ErrorCode::kManifestUnknown,
                  "manifest " + std::string(digest) + " is not in the repository");
    }
    return Ok();
  });
}

Result<bool> ArtifactStore::IsReferencedByIndex(int64_t repository_id, std::string_view digest) {
  auto row = db_.QueryOne(
      "SELECT 1 FROM artifact_references r JOIN artifacts a ON a.id = r.artifact_id "
      "WHERE a.repository_id = ? AND r.digest = ? AND r.is_manifest = 1 LIMIT 1",
      {repository_id, digest});
  if (!row) return Fail(row.error());
  return row->has_value();
}

Result<std::vector<Artifact>> ArtifactStore::Referrers(int64_t repository_id,
                                                       std::string_view subject,
                                                       std::string_view artifact_type) {
  Result<std::vector<Artifact>> list =
      artifact_type.empty()
          ? QueryArtifacts(db_,
                           "SELECT " BERTH_ARTIFACT_COLS
                           " FROM artifacts a WHERE a.repository_id = ? AND a.subject = ? "
                           "ORDER BY a.push_time, a.id",
                           std::vector<Value>{repository_id, subject})
          : QueryArtifacts(db_,
                           "SELECT " BERTH_ARTIFACT_COLS
                           " FROM artifacts a WHERE a.repository_id = ? AND a.subject = ? "
                           "AND a.artifact_type = ? ORDER BY a.push_time, a.id",
                           std::vector<Value>{repository_id, subject, artifact_type});
  if (!list) return Fail(list.error());
  BERTH_TRY(FillTags(db_, *list));
  return list;
}

Result<std::vector<std::string>> ArtifactStore::ListTags(int64_t repository_id,
                                                         std::string_view last, int64_t n) {
  auto rows =
      db_.Query("SELECT name FROM tags WHERE repository_id = ? AND name > ? ORDER BY name LIMIT ?",
                {repository_id, last, LimitN(n)});
  if (!rows) return Fail(rows.error());
  std::vector<std::string> out;
  for (const auto& r : *rows) out.push_back(r.Text(0));
  return out;
}

Result<bool> ArtifactStore::DeleteTag(int64_t repository_id, std::string_view tag) {
  auto n = db_.Exec("DELETE FROM tags WHERE repository_id = ? AND name = ?", {repository_id, tag});
  if (!n) return Fail(n.error());
  return *n > 0;
}

}  // namespace berth::metadata
