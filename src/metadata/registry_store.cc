#include "metadata/registry_store.h"

#include <fmt/format.h>

#include <charconv>
#include <map>

#include "metadata/store_util.h"
#include "metadata/timestamps.h"

namespace berth::metadata {
namespace {

using namespace internal;  // NOLINT(build/namespaces): store helpers

constexpr std::string_view kCols =
    "id, name, url, type, description, credential_type, access_key, access_secret, insecure, "
    "ca_certificate, status, last_error, last_checked, creation_time, update_time";

RegistryRecord ToRecord(const Row& r) {
  return RegistryRecord{.id = r.Int(0),
                        .name = r.Text(1),
                        .url = r.Text(2),
                        .type = r.Text(3),
                        .description = r.Text(4),
                        .credential_type = r.Text(5),
                        .access_key = r.Text(6),
                        .access_secret = r.Text(7),
                        .insecure = r.Bool(8),
                        .ca_certificate = r.Text(9),
                        .status = r.Text(10),
                        .last_error = r.Text(11),
                        .last_checked = r.Text(12),
                        .creation_time = r.Text(13),
                        .update_time = r.Text(14)};
}

// Filterable and sortable keys → column. Secrets and certificates are not filterable.
const std::map<std::string, std::string, std::less<>>& Columns() {
  static const std::map<std::string, std::string, std::less<>> kColumns = {
      {"id", "id"},
      {"name", "name"},
      {"url", "url"},
      {"type", "type"},
      {"description", "description"},
      {"credential_type", "credential_type"},
      {"insecure", "insecure"},
      {"status", "status"},
      {"health", "status"},
      {"creation_time", "creation_time"},
      {"update_time", "update_time"},
  };
  return kColumns;
}

Error Conflict(Error e, std::string_view name) {
  return Relabel(std::move(e), ErrorCode::kConflict, ErrorCode::kConflict,
                 fmt::format("registry {} already exists", name));
}

Result<References> Referencing(Database& db, std::string_view count_sql, std::string_view names_sql,
                               int64_t id) {
  References refs;
  auto n = Count(db, count_sql, {id, id});
  if (!n) return Fail(n.error());
  refs.count = *n;
  if (refs.count == 0) return refs;
  auto rows = db.Query(names_sql, {id, id});
  if (!rows) return Fail(rows.error());
  for (const auto& r : *rows) refs.names.push_back(r.Text(0));
  return refs;
}

}  // namespace

Result<RegistryRecord> RegistryStore::Create(const RegistryRecord& record) {
  std::string now = NowTimestamp();
  static const std::string sql =
      Sql({"INSERT INTO registries (name, url, type, description, credential_type, access_key, "
           "access_secret, insecure, ca_certificate, status, last_error, last_checked, "
           "creation_time, update_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
           "RETURNING ",
           kCols});
  auto row = db_.QueryOne(
      sql, {record.name, record.url, record.type, record.description, record.credential_type,
            record.access_key, record.access_secret, record.insecure, record.ca_certificate,
            record.status, record.last_error, record.last_checked, now, now});
  if (!row) return Fail(Conflict(row.error(), record.name));
  if (!*row) return Fail(ErrorCode::kInternal, "insert returned no row");
  return ToRecord(**row);
}

Result<std::optional<RegistryRecord>> RegistryStore::Get(int64_t id) {
  static const std::string sql = Sql({"SELECT ", kCols, " FROM registries WHERE id = ?"});
  auto row = db_.QueryOne(sql, {id});
  if (!row) return Fail(row.error());
  if (!*row) return std::optional<RegistryRecord>();
  return std::optional(ToRecord(**row));
}

Result<std::optional<RegistryRecord>> RegistryStore::GetByName(std::string_view name) {
  static const std::string sql = Sql({"SELECT ", kCols, " FROM registries WHERE name = ?"});
  auto row = db_.QueryOne(sql, {name});
  if (!row) return Fail(row.error());
  if (!*row) return std::optional<RegistryRecord>();
  return std::optional(ToRecord(**row));
}

Result<PageResult<RegistryRecord>> RegistryStore::List(const std::vector<RegistryFilter>& filters,
                                                       std::string_view sort, const Page& page) {
  Where where;
  for (const auto& f : filters) {
    auto it = Columns().find(f.key);
    if (it == Columns().end() || it->first == "creation_time" || it->first == "update_time") {
      continue;
    }
    const std::string& col = it->second;
    if (col == "id" || col == "insecure") {
      int64_t v = 0;
      if (f.value == "true") {
        v = 1;
      } else if (f.value == "false") {
        v = 0;
      } else {
        auto [p, ec] = std::from_chars(f.value.data(), f.value.data() + f.value.size(), v);
        if (ec != std::errc() || p != f.value.data() + f.value.size()) {
          return Fail(ErrorCode::kBadRequest,
                      fmt::format("invalid value for {}: {}", f.key, f.value));
        }
      }
      where.Equal(col, v);
    } else if (f.fuzzy) {
      where.LikeNoCase(col, f.value);
    } else {
      where.Equal(col, f.value);
    }
  }
  std::string order;
  std::string_view rest = sort;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    std::string_view key = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
    bool desc = key.starts_with('-');
    if (desc) key.remove_prefix(1);
    auto it = Columns().find(key);
    if (it == Columns().end()) continue;
    order += fmt::format("{}{}{}", order.empty() ? "" : ", ", it->second, desc ? " DESC" : "");
  }
  order = order.empty() ? "id" : order + ", id";
  return ListPage<RegistryRecord>(db_, "registries", kCols, where, order, page, ToRecord);
}

Result<std::vector<int64_t>> RegistryStore::Ids() {
  auto rows = db_.Query("SELECT id FROM registries ORDER BY id");
  if (!rows) return Fail(rows.error());
  std::vector<int64_t> ids;
  for (const auto& r : *rows) ids.push_back(r.Int(0));
  return ids;
}

Status RegistryStore::Update(const RegistryRecord& record) {
  auto n = db_.Exec(
      "UPDATE registries SET name = ?, url = ?, type = ?, description = ?, credential_type = ?, "
      "access_key = ?, access_secret = ?, insecure = ?, ca_certificate = ?, status = ?, "
      "last_error = ?, last_checked = ?, update_time = ? WHERE id = ?",
      {record.name, record.url, record.type, record.description, record.credential_type,
       record.access_key, record.access_secret, record.insecure, record.ca_certificate,
       record.status, record.last_error, record.last_checked, NowTimestamp(), record.id});
  if (!n) return Fail(Conflict(n.error(), record.name));
  if (*n == 0) return Fail(ErrorCode::kNotFound, fmt::format("registry {} not found", record.id));
  return Ok();
}

Status RegistryStore::SetHealth(int64_t id, std::string_view status, std::string_view last_error,
                                std::string_view last_checked) {
  auto n =
      db_.Exec("UPDATE registries SET status = ?, last_error = ?, last_checked = ? WHERE id = ?",
               {status, last_error, last_checked, id});
  if (!n) return Fail(n.error());
  if (*n == 0) return Fail(ErrorCode::kNotFound, fmt::format("registry {} not found", id));
  return Ok();
}

Status RegistryStore::Delete(int64_t id) {
  auto n = db_.Exec("DELETE FROM registries WHERE id = ?", {id});
  if (!n) {
    return Fail(Relabel(n.error(), ErrorCode::kPrecondition, ErrorCode::kPrecondition,
                        fmt::format("the registry {} is still referenced, cannot delete it", id)));
  }
  if (*n == 0) return Fail(ErrorCode::kNotFound, fmt::format("registry {} not found", id));
  return Ok();
}

Result<References> RegistryStore::PolicyReferences(int64_t id) {
  return Referencing(db_,
                     "SELECT COUNT(*) FROM replication_policies WHERE src_registry_id = ? OR "
                     "dest_registry_id = ?",
                     "SELECT name FROM replication_policies WHERE src_registry_id = ? OR "
                     "dest_registry_id = ? ORDER BY name LIMIT 10",
                     id);
}

Result<References> RegistryStore::ProxyProjects(int64_t id) {
  return Referencing(db_, "SELECT COUNT(*) FROM projects WHERE registry_id = ? AND ? > 0",
                     "SELECT name FROM projects WHERE registry_id = ? AND ? > 0 ORDER BY name "
                     "LIMIT 10",
                     id);
}

}  // namespace berth::metadata
