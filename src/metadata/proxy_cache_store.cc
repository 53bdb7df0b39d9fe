#include "metadata/proxy_cache_store.h"

namespace berth::metadata {
namespace {

// Joins the repository "r" of a row to its project "p", keeping proxy-cache projects only.
constexpr std::string_view kCachedProject =
    " JOIN projects p ON p.id = r.project_id AND p.registry_id > 0";

// A digest that an artifact of repository ?1 names: its own manifest, or a reference.
constexpr std::string_view kNamedInRepository =
    "(EXISTS (SELECT 1 FROM artifacts a WHERE a.repository_id = l.repository_id "
    "AND a.digest = l.digest) OR EXISTS (SELECT 1 FROM artifact_references x JOIN artifacts a "
    "ON a.id = x.artifact_id WHERE a.repository_id = l.repository_id AND x.digest = l.digest))";

Result<std::vector<CachedItem>> Items(Database& db, const std::string& sql,
                                      std::initializer_list<Value> params) {
  auto rows = db.Query(sql, params);
  if (!rows) return Fail(rows.error());
  std::vector<CachedItem> out;
  out.reserve(rows->size());
  for (const auto& r : *rows) {
    out.push_back({.repository_id = r.Int(0), .repository = r.Text(1), .digest = r.Text(2)});
  }
  return out;
}

}  // namespace

Result<std::vector<CachedItem>> ProxyCacheStore::ArtifactsUnusedSince(std::string_view cutoff) {
  return Items(db_,
               "SELECT r.id, r.name, a.digest FROM artifacts a "
               "JOIN repositories r ON r.id = a.repository_id" +
                   std::string(kCachedProject) +
                   " WHERE max(a.push_time, a.pull_time) < ? ORDER BY r.id, a.digest",
               {std::string(cutoff)});
}

Result<bool> ProxyCacheStore::DeleteArtifactUnusedSince(int64_t repository_id,
                                                        std::string_view digest,
                                                        std::string_view cutoff) {
  bool deleted = false;
  BERTH_TRY(db_.Transaction([&](Database& tx) -> Status {
    auto n = tx.Exec(
        "DELETE FROM artifacts WHERE repository_id = ? AND digest = ? "
        "AND max(push_time, pull_time) < ?",
        {repository_id, std::string(digest), std::string(cutoff)});
    if (!n) return Fail(n.error());
    deleted = *n > 0;
    return Ok();  // tags and references go with it (ON DELETE CASCADE)
  }));
  return deleted;
}

Result<std::vector<CachedItem>> ProxyCacheStore::LinksUnusedSince(std::string_view cutoff) {
  return Items(db_,
               "SELECT r.id, r.name, l.digest FROM blob_links l "
               "JOIN repositories r ON r.id = l.repository_id" +
                   std::string(kCachedProject) + " WHERE l.creation_time < ? AND NOT " +
                   std::string(kNamedInRepository) + " ORDER BY r.id, l.digest",
               {std::string(cutoff)});
}

Result<bool> ProxyCacheStore::UnlinkUnreferenced(int64_t repository_id, std::string_view digest) {
  auto n = db_.Exec(
      "DELETE FROM blob_links AS l WHERE l.repository_id = ? AND l.digest = ? "
      "AND NOT " +
          std::string(kNamedInRepository),
      {repository_id, std::string(digest)});
  if (!n) return Fail(n.error());
  return *n > 0;
}

Result<bool> ProxyCacheStore::IsLinkedAnywhere(std::string_view digest) {
  auto row =
      db_.QueryOne("SELECT 1 FROM blob_links WHERE digest = ? LIMIT 1", {std::string(digest)});
  if (!row) return Fail(row.error());
  return row->has_value();
}

Result<int64_t> ProxyCacheStore::DeleteEmptyRepositories(std::string_view cutoff) {
  auto n = db_.Exec("DELETE FROM repositories WHERE id IN (SELECT r.id FROM repositories r" +
                        std::string(kCachedProject) +
                        " WHERE r.creation_time < ? "
                        "AND NOT EXISTS (SELECT 1 FROM artifacts a WHERE a.repository_id = r.id) "
                        "AND NOT EXISTS (SELECT 1 FROM blob_links l WHERE l.repository_id = r.id))",
                    {std::string(cutoff)});
  if (!n) return Fail(n.error());
  return *n;
}

}  // namespace berth::metadata
