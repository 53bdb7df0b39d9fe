// Harbor's JSON shapes for replication policies, executions and tasks. Shared by the API
// (wire format) and the store (the policy document is kept as this JSON).
#pragma once

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "metadata/replication_store.h"
#include "replication/model/policy.h"

namespace berth::replication {

// The policy in Harbor's shape without the registry objects: `src_registry` /
// `dest_registry` are {"id": N} (the API fills the full objects); `deletion` and
// `replicate_deletion` both carry replicate_deletion; `override`, `speed`,
// `copy_by_chunk`, `single_active_replication`, `dest_namespace_replace_count`.
nlohmann::json PolicyToJson(const Policy& policy);

// Parses a create/update body (a full replacement, as Harbor's PUT). Registry ids come
// from src_registry.id / dest_registry.id (absent or null = 0). `replicate_deletion`
// wins over the deprecated `deletion` when both are present. Wrong JSON types →
// BAD_REQUEST naming the field. Absent or null fields keep Policy's defaults (`enabled`
// true, replace count -1, manual trigger). Does not validate (see ValidatePolicy).
Result<Policy> PolicyFromJson(const nlohmann::json& body);

// ReplicationExecution and ReplicationTask as Harbor shows them.
nlohmann::json ExecutionToJson(const metadata::ReplicationExecution& execution);
nlohmann::json TaskToJson(const metadata::ReplicationTask& task);

}  // namespace berth::replication
