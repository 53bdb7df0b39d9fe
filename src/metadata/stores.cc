#include "metadata/stores.h"

#include "metadata/store_util.h"
#include "metadata/timestamps.h"

namespace berth::metadata {
namespace {

using namespace internal;  // NOLINT(build/namespaces): store helpers

// ---- projects ----

constexpr std::string_view kProjectCols =
    "id, name, is_public, owner_id, registry_id, creation_time, update_time, proxy_speed_kb, "
    "max_upstream_conn";

Project ToProject(const Row& r) {
  return Project{.id = r.Int(0),
                 .name = r.Text(1),
                 .is_public = r.Bool(2),
                 .owner_id = r.Int(3),
                 .registry_id = r.Int(4),
                 .proxy_speed_kb = r.Int(7),
                 .max_upstream_conn = r.Int(8),
                 .creation_time = r.Text(5),
                 .update_time = r.Text(6)};
}

// ---- users ----

constexpr std::string_view kUserCols =
    "id, username, email, realname, comment, password_hash, sysadmin, creation_time, "
    "update_time";

User ToUser(const Row& r) {
  return User{.id = r.Int(0),
              .username = r.Text(1),
              .email = r.Text(2),
              .realname = r.Text(3),
              .comment = r.Text(4),
              .password_hash = r.Text(5),
              .sysadmin = r.Bool(6),
              .creation_time = r.Text(7),
              .update_time = r.Text(8)};
}

}  // namespace

// ===== ProjectStore =====

Result<Project> ProjectStore::Create(const Project& project) {
  std::string now = NowTimestamp();
  static const std::string sql =
      Sql({"INSERT INTO projects (name, is_public, owner_id, registry_id, proxy_speed_kb, "
           "max_upstream_conn, creation_time, update_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
           "RETURNING ",
           kProjectCols});
  auto row =
      db_.QueryOne(sql, {project.name, project.is_public, project.owner_id, project.registry_id,
                         project.proxy_speed_kb, project.max_upstream_conn, now, now});
  if (!row) {
    return Fail(Relabel(row.error(), ErrorCode::kConflict, ErrorCode::kConflict,
                        "project " + project.name + " already exists"));
  }
  return ToProject(**row);
}

Result<std::optional<Project>> ProjectStore::Get(int64_t id) {
  static const std::string sql = Sql({"SELECT ", kProjectCols, " FROM projects WHERE id = ?"});
  auto row = db_.QueryOne(sql, {id});
  if (!row) return Fail(row.error());
  if (!*row) return std::optional<Project>();
  return std::optional(ToProject(**row));
}

Result<std::optional<Project>> ProjectStore::GetByName(std::string_view name) {
  static const std::string sql = Sql({"SELECT ", kProjectCols, " FROM projects WHERE name = ?"});
  auto row = db_.QueryOne(sql, {name});
  if (!row) return Fail(row.error());
  if (!*row) return std::optional<Project>();
  return std::optional(ToProject(**row));
}

Result<PageResult<Project>> ProjectStore::List(const Page& page, std::string_view name_like,
                                               std::optional<bool> is_public) {
  Where where;
  if (!name_like.empty()) where.Like("name", name_like);
  if (is_public) where.Equal("is_public", *is_public);
  return ListPage<Project>(db_, "projects", kProjectCols, where, "creation_time, id", page,
                           ToProject);
}

Status ProjectStore::Update(const Project& project) {
  auto n = db_.Exec(
      "UPDATE projects SET name = ?, is_public = ?, owner_id = ?, registry_id = ?, "
      "proxy_speed_kb = ?, max_upstream_conn = ?, update_time = ? WHERE id = ?",
      {project.name, project.is_public, project.owner_id, project.registry_id,
       project.proxy_speed_kb, project.max_upstream_conn, NowTimestamp(), project.id});
  if (!n) {
    return Fail(Relabel(n.error(), ErrorCode::kConflict, ErrorCode::kConflict,
                        "project " + project.name + " already exists"));
  }
  if (*n == 0) return Fail(ErrorCode::kNotFound, "project not found");
  return Ok();
}

Status ProjectStore::Delete(int64_t id) {
  return db_.Transaction([&](Database& tx) -> Status {
    auto repos = Count(tx, "SELECT COUNT(*) FROM repositories WHERE project_id = ?", {id});
    if (!repos) return Fail(repos.error());
    if (*repos > 0) {
      return Fail(ErrorCode::kPrecondition,
                  "the project contains repositories; delete them "
                  "first");
    }
    auto n = tx.Exec("DELETE FROM projects WHERE id = ?", {id});
    if (!n) return Fail(n.error());
    if (*n == 0) return Fail(ErrorCode::kNotFound, "project not found");
    // Its robots go with it, and no other robot keeps a right in a later project that
    // happens to get the same id.
    BERTH_TRY(tx.Exec("DELETE FROM robots WHERE level = 'project' AND project_id = ?", {id}));
    BERTH_TRY(tx.Exec("DELETE FROM robot_grants WHERE project_id = ?", {id}));
    return Ok();
  });
}

Result<int64_t> ProjectStore::RepositoryCount(int64_t id) {
  return Count(db_, "SELECT COUNT(*) FROM repositories WHERE project_id = ?", {id});
}

// ===== UserStore =====

Result<User> UserStore::Create(const User& user) {
  std::string now = NowTimestamp();
  static const std::string sql =
      Sql({"INSERT INTO users (username, email, realname, comment, password_hash, sysadmin, "
           "creation_time, update_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING ",
           kUserCols});
  auto row = db_.QueryOne(sql, {user.username, user.email, user.realname, user.comment,
                                user.password_hash, user.sysadmin, now, now});
  if (!row) {
    return Fail(Relabel(row.error(), ErrorCode::kConflict, ErrorCode::kConflict,
                        "user " + user.username + " already exists"));
  }
  return ToUser(**row);
}

Result<std::optional<User>> UserStore::Get(int64_t id) {
  static const std::string sql = Sql({"SELECT ", kUserCols, " FROM users WHERE id = ?"});
  auto row = db_.QueryOne(sql, {id});
  if (!row) return Fail(row.error());
  if (!*row) return std::optional<User>();
  return std::optional(ToUser(**row));
}

Result<std::optional<User>> UserStore::GetByName(std::string_view username) {
  static const std::string sql = Sql({"SELECT ", kUserCols, " FROM users WHERE username = ?"});
  auto row = db_.QueryOne(sql, {username});
  if (!row) return Fail(row.error());
  if (!*row) return std::optional<User>();
  return std::optional(ToUser(**row));
}

Result<bool> UserStore::EmailInUse(std::string_view email) {
  auto row = db_.QueryOne("SELECT 1 FROM users WHERE lower(email) = lower(?) LIMIT 1", {email});
  if (!row) return Fail(row.error());
  return row->has_value();
}

Result<PageResult<User>> UserStore::List(const Page& page, std::string_view username_like) {
  Where where;
  if (!username_like.empty()) where.Like("username", username_like);
  return ListPage<User>(db_, "users", kUserCols, where, "id", page, ToUser);
}

Status UserStore::Update(const User& user) {
  auto n = db_.Exec(
      "UPDATE users SET username = ?, email = ?, realname = ?, comment = ?, password_hash = ?, "
      "sysadmin = ?, update_time = ? WHERE id = ?",
      {user.username, user.email, user.realname, user.comment, user.password_hash, user.sysadmin,
       NowTimestamp(), user.id});
  if (!n) {
    return Fail(Relabel(n.error(), ErrorCode::kConflict, ErrorCode::kConflict,
                        "user " + user.username + " already exists"));
  }
  if (*n == 0) return Fail(ErrorCode::kNotFound, "user not found");
  return Ok();
}

Status UserStore::Delete(int64_t id) {
  auto n = db_.Exec("DELETE FROM users WHERE id = ?", {id});
  if (!n) return Fail(n.error());
  if (*n == 0) return Fail(ErrorCode::kNotFound, "user not found");
  return Ok();
}

Status UserStore::SetMember(int64_t project_id, int64_t user_id, Role role) {
  auto n = db_.Exec(
      "INSERT INTO project_members (project_id, user_id, role) VALUES (?, ?, ?) "
      "ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role",
      {project_id, user_id, static_cast<int>(role)});
  if (!n) {
    return Fail(Relabel(n.error(), ErrorCode::kPrecondition, ErrorCode::kNotFound,
                        "project or user not found"));
  }
  return Ok();
}

Result<std::optional<Role>> UserStore::MemberRole(int64_t project_id, int64_t user_id) {
  auto row = db_.QueryOne("SELECT role FROM project_members WHERE project_id = ? AND user_id = ?",
                          {project_id, user_id});
  if (!row) return Fail(row.error());
  if (!*row) return std::optional<Role>();
  return std::optional(static_cast<Role>((*row)->Int(0)));
}

Result<std::vector<Member>> UserStore::ListMembers(int64_t project_id) {
  auto rows = db_.Query(
      "SELECT m.id, m.project_id, m.user_id, u.username, m.role FROM project_members m "
      "JOIN users u ON u.id = m.user_id WHERE m.project_id = ? ORDER BY u.username",
      {project_id});
  if (!rows) return Fail(rows.error());
  std::vector<Member> out;
  for (const auto& r : *rows) {
    out.push_back(Member{.id = r.Int(0),
                         .project_id = r.Int(1),
                         .user_id = r.Int(2),
                         .username = r.Text(3),
                         .role = static_cast<Role>(r.Int(4))});
  }
  return out;
}

Status UserStore::RemoveMember(int64_t project_id, int64_t user_id) {
  auto n = db_.Exec("DELETE FROM project_members WHERE project_id = ? AND user_id = ?",
                    {project_id, user_id});
  if (!n) return Fail(n.error());
  if (*n == 0) return Fail(ErrorCode::kNotFound, "member not found");
  return Ok();
}

// ===== UploadStore =====

Status UploadStore::Create(const Upload& upload) {
  auto n = db_.Exec(
      "INSERT INTO uploads (id, repository, created) VALUES (?, ?, ?)",
      {upload.id, upload.repository, upload.created.empty() ? NowTimestamp() : upload.created});
  if (!n) return Fail(n.error());
  return Ok();
}

Result<std::optional<Upload>> UploadStore::Get(std::string_view id) {
  auto row = db_.QueryOne("SELECT id, repository, created FROM uploads WHERE id = ?", {id});
  if (!row) return Fail(row.error());
  if (!*row) return std::optional<Upload>();
  const Row& r = **row;
  return std::optional(Upload{.id = r.Text(0), .repository = r.Text(1), .created = r.Text(2)});
}

Status UploadStore::Delete(std::string_view id) {
  auto n = db_.Exec("DELETE FROM uploads WHERE id = ?", {id});
  if (!n) return Fail(n.error());
  return Ok();
}

}  // namespace berth::metadata
