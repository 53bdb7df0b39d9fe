// RobotStore: Harbor's robot accounts and the registry actions each may take.
// Thread safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "metadata/database.h"
#include "metadata/records.h"

namespace berth::metadata {

struct Robot {
  int64_t id = 0;
  std::string name;  // the full name: robot$<name>, or robot$<project>+<name>
  std::string description;
  std::string secret_hash;  // argon2id encoded string
  std::string level;        // "system" | "project"
  int64_t project_id = 0;   // a project robot's project; 0 for system robots
  bool disabled = false;
  int64_t duration = -1;           // days; -1 never expires
  int64_t expires_at = -1;         // seconds since the epoch; -1 never
  std::string permissions = "[]";  // Harbor's RobotPermission list (JSON), as given
  int64_t creator_id = 0;
  std::string creation_time;
  std::string update_time;
};

// One registry action ("pull", "push", "delete") a robot may take in a project (0: in
// every project).
struct RobotGrant {
  int64_t project_id = 0;
  std::string action;
  bool operator==(const RobotGrant&) const = default;
};

class RobotStore {
 public:
  explicit RobotStore(Database& db) : db_(db) {}
  // CONFLICT `robot account <name> already exists`.
  Result<Robot> Create(const Robot& robot, const std::vector<RobotGrant>& grants);
  Result<std::optional<Robot>> Get(int64_t id);
  Result<std::optional<Robot>> GetByName(std::string_view name);
  // Oldest first; `level` "" = any, `project_id` 0 = any, `name_like` a substring.
  Result<PageResult<Robot>> List(const Page& page, std::string_view level, int64_t project_id,
                                 std::string_view name_like = {});
  // Description, disabled, duration, expires_at, permissions and the grants (replaced).
  // NOT_FOUND.
  Status Update(const Robot& robot, const std::vector<RobotGrant>& grants);
  Status SetSecret(int64_t id, std::string_view secret_hash);  // NOT_FOUND
  Status Delete(int64_t id);                                   // NOT_FOUND
  Result<std::vector<RobotGrant>> Grants(int64_t robot_id);
  // The robots holding a grant in project `project_id` (not those of every project).
  Result<std::vector<Robot>> WithGrantsIn(int64_t project_id);

 private:
  Database& db_;
};

}  // namespace berth::metadata
