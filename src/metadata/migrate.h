// Schema migrations: numbered SQL scripts (migrations/NNNN_name.sql) embedded into the
// binary at build time, applied once each, in order.
//
// Each migration runs in its own transaction together with its row in
// `schema_migrations (version, name, applied_at)`, so a failure leaves the schema at
// the previous version and a rerun continues from there. Safe to run from several
// processes at once: a migration already recorded is skipped inside the transaction.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "common/error.h"
#include "metadata/database.h"

namespace berth::metadata {

struct Migration {
  int64_t version = 0;  // NNNN from the file name
  std::string_view name;
  std::string_view sql;
};

// The migrations built into this binary, ascending by version.
std::span<const Migration> EmbeddedMigrations();

// Applies the pending ones of `migrations` (ascending by version); returns how many were
// applied. kInternal naming the migration when one fails.
Result<int> Migrate(Database& db, std::span<const Migration> migrations);
inline Result<int> Migrate(Database& db) { return Migrate(db, EmbeddedMigrations()); }

// The highest applied version, 0 for an empty database.
Result<int64_t> SchemaVersion(Database& db);

}  // namespace berth::metadata
