#include "metadata/label_store.h"

#include <fmt/format.h>

#include "metadata/store_util.h"
#include "metadata/timestamps.h"

namespace berth::metadata {
namespace {

using namespace internal;  // NOLINT(build/namespaces): store helpers

constexpr std::string_view kCols =
    "id, name, description, color, scope, project_id, creation_time, update_time";

Label ToLabel(const Row& r) {
  return Label{.id = r.Int(0),
               .name = r.Text(1),
               .description = r.Text(2),
               .color = r.Text(3),
               .scope = r.Text(4),
               .project_id = r.Int(5),
               .creation_time = r.Text(6),
               .update_time = r.Text(7)};
}

// Global labels are stored with project 0 whatever the caller passed.
int64_t StoredProject(const Label& label) { return label.scope == "p" ? label.project_id : 0; }

Error Conflict(Error e, std::string_view name) {
  return Relabel(std::move(e), ErrorCode::kConflict, ErrorCode::kConflict,
                 fmt::format("label {} already exists", name));
}

}  // namespace

Result<Label> LabelStore::Create(const Label& label) {
  std::string now = NowTimestamp();
  static const std::string sql =
      Sql({"INSERT INTO labels (name, description, color, scope, project_id, creation_time, "
           "update_time) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING ",
           kCols});
  auto row =
      db_.QueryOne(sql, {label.name, label.description, label.color,
                         label.scope.empty() ? "g" : label.scope, StoredProject(label), now, now});
  if (!row) return Fail(Conflict(row.error(), label.name));
  if (!*row) return Fail(ErrorCode::kInternal, "insert returned no row");
  return ToLabel(**row);
}

Result<std::optional<Label>> LabelStore::Get(int64_t id) {
  static const std::string sql = Sql({"SELECT ", kCols, " FROM labels WHERE id = ?"});
  auto row = db_.QueryOne(sql, {id});
  if (!row) return Fail(row.error());
  if (!*row) return std::optional<Label>();
  return std::optional(ToLabel(**row));
}

Result<PageResult<Label>> LabelStore::List(const Page& page, std::string_view scope,
                                           int64_t project_id, std::string_view name_exact,
                                           std::string_view name_like) {
  Where where;
  if (!scope.empty()) where.Equal("scope", scope);
  if (project_id != 0) where.Equal("project_id", project_id);
  if (!name_exact.empty()) where.Equal("name", name_exact);
  if (!name_like.empty()) where.LikeNoCase("name", name_like);
  return ListPage<Label>(db_, "labels", kCols, where, "id", page, ToLabel);
}

Status LabelStore::Update(const Label& label) {
  auto n = db_.Exec(
      "UPDATE labels SET name = ?, description = ?, color = ?, scope = ?, project_id = ?, "
      "update_time = ? WHERE id = ?",
      {label.name, label.description, label.color, label.scope.empty() ? "g" : label.scope,
       StoredProject(label), NowTimestamp(), label.id});
  if (!n) return Fail(Conflict(n.error(), label.name));
  if (*n == 0) return Fail(ErrorCode::kNotFound, fmt::format("label {} not found", label.id));
  return Ok();
}

Status LabelStore::Delete(int64_t id) {
  // artifact_labels rows go by ON DELETE CASCADE.
  auto n = db_.Exec("DELETE FROM labels WHERE id = ?", {id});
  if (!n) return Fail(n.error());
  if (*n == 0) return Fail(ErrorCode::kNotFound, fmt::format("label {} not found", id));
  return Ok();
}

Status LabelStore::Attach(int64_t artifact_id, int64_t label_id) {
  auto n = db_.Exec(
      "INSERT INTO artifact_labels (artifact_id, label_id, creation_time) VALUES (?, ?, ?)",
      {artifact_id, label_id, NowTimestamp()});
  if (!n) {
    Error e = Relabel(n.error(), ErrorCode::kConflict, ErrorCode::kConflict,
                      fmt::format("label {} is already attached to the artifact", label_id));
    return Fail(Relabel(std::move(e), ErrorCode::kPrecondition, ErrorCode::kNotFound,
                        fmt::format("artifact {} or label {} not found", artifact_id, label_id)));
  }
  return Ok();
}

Status LabelStore::Detach(int64_t artifact_id, int64_t label_id) {
  auto n = db_.Exec("DELETE FROM artifact_labels WHERE artifact_id = ? AND label_id = ?",
                    {artifact_id, label_id});
  if (!n) return Fail(n.error());
  if (*n == 0) {
    return Fail(ErrorCode::kNotFound,
                fmt::format("label {} is not attached to the artifact", label_id));
  }
  return Ok();
}

Result<std::vector<Label>> LabelStore::LabelsOf(int64_t artifact_id) {
  static const std::string sql =
      "SELECT l.id, l.name, l.description, l.color, l.scope, l.project_id, l.creation_time, "
      "l.update_time FROM labels l JOIN artifact_labels al ON al.label_id = l.id WHERE "
      "al.artifact_id = ? ORDER BY l.name, l.id";
  auto rows = db_.Query(sql, {artifact_id});
  if (!rows) return Fail(rows.error());
  std::vector<Label> out;
  out.reserve(rows->size());
  for (const auto& r : *rows) out.push_back(ToLabel(r));
  return out;
}

Result<std::map<int64_t, std::vector<std::string>>> LabelStore::LabelNamesInRepository(
    int64_t repository_id) {
  auto rows = db_.Query(
      "SELECT al.artifact_id, l.name FROM artifact_labels al JOIN labels l ON l.id = al.label_id "
      "JOIN artifacts a ON a.id = al.artifact_id WHERE a.repository_id = ? ORDER BY "
      "al.artifact_id, l.name",
      {repository_id});
  if (!rows) return Fail(rows.error());
  std::map<int64_t, std::vector<std::string>> out;
  for (const auto& r : *rows) out[r.Int(0)].push_back(r.Text(1));
  return out;
}

}  // namespace berth::metadata
