// RegistryStore: the `registries` table (Harbor's replication endpoints) and the
// reference counts that guard their deletion.
//
// The store keeps what it is given: `access_secret` must already be sealed by the caller
// (endpoints::SecretBox); the store never sees plain secrets.
//
// Errors: CONFLICT `registry <name> already exists` on a duplicate name, NOT_FOUND
// `registry <id> not found` when an update or delete hits no row, kInternal for database
// failures. Thread safety: every method may be called from any thread.
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

struct RegistryRecord {
  int64_t id = 0;
  std::string name;
  std::string url;
  std::string type;
  std::string description;
  std::string credential_type;
  std::string access_key;
  std::string access_secret;  // sealed
  bool insecure = false;
  std::string ca_certificate;
  std::string status;        // healthy | unhealthy | "" (never checked)
  std::string last_error;    // why the last check failed; "" when healthy
  std::string last_checked;  // when status or last_error last changed
  std::string creation_time;
  std::string update_time;
};

// One filter term of a registry listing. Keys: id, name, url, type, description,
// credential_type, insecure, status (alias health). Unknown keys are ignored, as Harbor
// does. `fuzzy` is a case-insensitive substring match.
struct RegistryFilter {
  std::string key;
  std::string value;
  bool fuzzy = false;
};

// Who still refers to an endpoint: a count and up to 10 names.
struct References {
  int64_t count = 0;
  std::vector<std::string> names;
};

class RegistryStore {
 public:
  explicit RegistryStore(Database& db) : db_(db) {}

  // Inserts `record` (id, times ignored) and returns the stored row.
  Result<RegistryRecord> Create(const RegistryRecord& record);
  Result<std::optional<RegistryRecord>> Get(int64_t id);
  Result<std::optional<RegistryRecord>> GetByName(std::string_view name);
  // Filtered listing. `sort` is Harbor's "field,-field" (keys as for filters plus
  // creation_time and update_time; unknown keys ignored); default order is by id.
  Result<PageResult<RegistryRecord>> List(const std::vector<RegistryFilter>& filters,
                                          std::string_view sort, const Page& page);
  // Every id, ascending (for the health monitor).
  Result<std::vector<int64_t>> Ids();
  // Writes every column of `record` (by id) and sets update_time to now.
  Status Update(const RegistryRecord& record);
  // Writes only the health columns; update_time is kept.
  Status SetHealth(int64_t id, std::string_view status, std::string_view last_error,
                   std::string_view last_checked);
  Status Delete(int64_t id);

  // Replication policies whose source or destination is `id`.
  Result<References> PolicyReferences(int64_t id);
  // Proxy-cache projects whose upstream is `id`.
  Result<References> ProxyProjects(int64_t id);

 private:
  Database& db_;
};

}  // namespace berth::metadata
