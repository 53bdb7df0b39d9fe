#include "metadata/robot_store.h"

#include <fmt/format.h>

#include "metadata/store_util.h"
#include "metadata/timestamps.h"

namespace berth::metadata {
namespace {

using namespace internal;  // NOLINT(build/namespaces): store helpers

constexpr std::string_view kCols =
    "id, name, description, secret_hash, level, project_id, disabled, duration, expires_at, "
    "permissions, creator_id, creation_time, update_time";

Robot ToRobot(const Row& r) {
  return Robot{.id = r.Int(0),
               .name = r.Text(1),
               .description = r.Text(2),
               .secret_hash = r.Text(3),
               .level = r.Text(4),
               .project_id = r.Int(5),
               .disabled = r.Int(6) != 0,
               .duration = r.Int(7),
               .expires_at = r.Int(8),
               .permissions = r.Text(9),
               .creator_id = r.Int(10),
               .creation_time = r.Text(11),
               .update_time = r.Text(12)};
}

Status PutGrants(Database& tx, int64_t robot_id, const std::vector<RobotGrant>& grants) {
  BERTH_TRY(tx.Exec("DELETE FROM robot_grants WHERE robot_id = ?", {robot_id}));
  for (const auto& g : grants) {
    BERTH_TRY(tx.Exec(
        "INSERT OR IGNORE INTO robot_grants (robot_id, project_id, action) VALUES (?, ?, ?)",
        {robot_id, g.project_id, g.action}));
  }
  return Ok();
}

Result<std::optional<Robot>> OneRobot(Database& db, std::string_view where, Value key) {
  auto row = db.QueryOne(Sql({"SELECT ", kCols, " FROM robots WHERE ", where}), {std::move(key)});
  if (!row) return Fail(row.error());
  if (!*row) return std::optional<Robot>();
  return std::optional(ToRobot(**row));
}

}  // namespace

Result<Robot> RobotStore::Create(const Robot& robot, const std::vector<RobotGrant>& grants) {
  std::optional<Robot> created;
  BERTH_TRY(db_.Transaction([&](Database& tx) -> Status {
    std::string now = NowTimestamp();
    static const std::string sql =
        Sql({"INSERT INTO robots (name, description, secret_hash, level, project_id, disabled, "
             "duration, expires_at, permissions, creator_id, creation_time, update_time) "
             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ",
             kCols});
    auto row = tx.QueryOne(sql, {robot.name, robot.description, robot.secret_hash, robot.level,
                                 robot.project_id, robot.disabled ? 1 : 0, robot.duration,
                                 robot.expires_at, robot.permissions, robot.creator_id, now, now});
    if (!row) {
      return Fail(Relabel(row.error(), ErrorCode::kConflict, ErrorCode::kConflict,
                          fmt::format("robot account {} already exists", robot.name)));
    }
    if (!*row) return Fail(ErrorCode::kInternal, "insert returned no row");
    created = ToRobot(**row);
    return PutGrants(tx, created->id, grants);
  }));
  return std::move(*created);
}

Result<std::optional<Robot>> RobotStore::Get(int64_t id) { return OneRobot(db_, "id = ?", id); }

Result<std::optional<Robot>> RobotStore::GetByName(std::string_view name) {
  return OneRobot(db_, "name = ?", std::string(name));
}

Result<PageResult<Robot>> RobotStore::List(const Page& page, std::string_view level,
                                           int64_t project_id, std::string_view name_like) {
  Where where;
  if (!level.empty()) where.Equal("level", level);
  if (project_id != 0) where.Equal("project_id", project_id);
  if (!name_like.empty()) where.Like("name", name_like);
  return ListPage<Robot>(db_, "robots", kCols, where, "id", page, ToRobot);
}

Status RobotStore::Update(const Robot& robot, const std::vector<RobotGrant>& grants) {
  return db_.Transaction([&](Database& tx) -> Status {
    auto n = tx.Exec(
        "UPDATE robots SET description = ?, disabled = ?, duration = ?, expires_at = ?, "
        "permissions = ?, update_time = ? WHERE id = ?",
        {robot.description, robot.disabled ? 1 : 0, robot.duration, robot.expires_at,
         robot.permissions, NowTimestamp(), robot.id});
    if (!n) return Fail(n.error());
    if (*n == 0) return Fail(ErrorCode::kNotFound, fmt::format("robot {} not found", robot.id));
    return PutGrants(tx, robot.id, grants);
  });
}

Status RobotStore::SetSecret(int64_t id, std::string_view secret_hash) {
  auto n = db_.Exec("UPDATE robots SET secret_hash = ?, update_time = ? WHERE id = ?",
                    {std::string(secret_hash), NowTimestamp(), id});
  if (!n) return Fail(n.error());
  if (*n == 0) return Fail(ErrorCode::kNotFound, fmt::format("robot {} not found", id));
  return Ok();
}

Status RobotStore::Delete(int64_t id) {
  return db_.Transaction([&](Database& tx) -> Status {
    BERTH_TRY(tx.Exec("DELETE FROM robot_grants WHERE robot_id = ?", {id}));
    auto n = tx.Exec("DELETE FROM robots WHERE id = ?", {id});
    if (!n) return Fail(n.error());
    if (*n == 0) return Fail(ErrorCode::kNotFound, fmt::format("robot {} not found", id));
    return Ok();
  });
}

Result<std::vector<Robot>> RobotStore::WithGrantsIn(int64_t project_id) {
  static const std::string sql =
      Sql({"SELECT ", kCols,
           " FROM robots WHERE id IN (SELECT robot_id FROM robot_grants WHERE project_id = ?) "
           "ORDER BY id"});
  auto rows = db_.Query(sql, {project_id});
  if (!rows) return Fail(rows.error());
  std::vector<Robot> out;
  for (const auto& r : *rows) out.push_back(ToRobot(r));
  return out;
}

Result<std::vector<RobotGrant>> RobotStore::Grants(int64_t robot_id) {
  auto rows = db_.Query(
      "SELECT project_id, action FROM robot_grants WHERE robot_id = ? ORDER BY project_id, action",
      {robot_id});
  if (!rows) return Fail(rows.error());
  std::vector<RobotGrant> out;
  for (const auto& r : *rows) out.push_back(RobotGrant{r.Int(0), r.Text(1)});
  return out;
}

}  // namespace berth::metadata
