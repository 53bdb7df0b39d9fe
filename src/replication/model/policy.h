// The replication policy model (Harbor's ReplicationPolicy) and its pure rules:
// validation and destination naming. JSON mapping lives in policy_json.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace berth::replication {

// Harbor's ReplicationFilter. `values` holds one pattern for name/tag/resource and the
// label names for label. `decoration` is "matches" / "excludes" (tag and label only;
// empty means matches).
struct Filter {
  std::string type;  // name | tag | label | resource
  std::vector<std::string> values;
  std::string decoration;
  bool operator==(const Filter&) const = default;
};

struct Trigger {
  std::string type = "manual";  // manual | scheduled | event_based
  std::string cron;             // 6 fields, for scheduled
  bool operator==(const Trigger&) const = default;
};

struct Policy {
  int64_t id = 0;
  std::string name;
  std::string description;
  int64_t src_registry_id = 0;   // 0 = this Berth (a push policy)
  int64_t dest_registry_id = 0;  // 0 = this Berth (a pull policy)
  std::string dest_namespace;
  int dest_namespace_replace_count = -1;  // -1: flatten everything ("legacy")
  Trigger trigger;
  std::vector<Filter> filters;
  bool replicate_deletion = false;
  bool override_tags = false;  // JSON "override"
  bool enabled = true;
  int64_t speed_kbps = 0;  // kilobits per second for the whole policy; <= 0 unlimited
  bool copy_by_chunk = false;
  bool single_active_replication = false;
  std::string creation_time;
  std::string update_time;

  bool is_push() const { return src_registry_id == 0; }
  int64_t remote_registry_id() const { return is_push() ? dest_registry_id : src_registry_id; }
};

// Harbor's rules, as BAD_REQUEST naming the field and what to do: name required (at most
// 256 characters); exactly one of src_registry / dest_registry is a remote endpoint;
// filter types, values and decorations; resource value image|artifact; dest_namespace a
// valid repository path; replace_count >= -1; trigger type; cron parseable by cron.h with
// seconds field "0" and minutes not "*"; single_active_replication not with event_based.
// Coerces speed < 0 to 0. Registry existence is the service's check (NOT_FOUND).
Status ValidatePolicy(Policy& policy);

// Harbor's replaceNamespace: the destination repository for `source` (see research A.9).
// BAD_REQUEST when replace_count is larger than the number of namespace components.
Result<std::string> DestinationRepository(std::string_view source, std::string_view dest_namespace,
                                          int replace_count);

}  // namespace berth::replication
