// Plain records stored by the metadata stores. Times are RFC 3339 UTC strings
// ("2026-11-27T10:00:00.000Z"), as Harbor's API shows them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace berth::metadata {

struct Project {
  int64_t id = 0;
  std::string name;
  bool is_public = false;
  int64_t owner_id = 0;
  int64_t registry_id = 0;  // proxy-cache upstream endpoint; 0 = a normal project
  // Proxy-cache limits towards the upstream: bandwidth in kbit/s and connections per
  // artifact; -1 or 0 = unlimited. Meaningful only when registry_id > 0.
  int64_t proxy_speed_kb = -1;
  int64_t max_upstream_conn = -1;
  std::string creation_time;
  std::string update_time;
};

struct Repository {
  int64_t id = 0;
  int64_t project_id = 0;
  std::string name;  // full name, "library/nginx"
  std::string description;
  int64_t pull_count = 0;
  std::string creation_time;
  std::string update_time;
};

struct Tag {
  int64_t id = 0;
  int64_t repository_id = 0;
  std::string name;
  std::string digest;
  std::string push_time;
};

// A manifest stored in a repository (Harbor calls it an artifact).
struct Artifact {
  int64_t id = 0;
  int64_t repository_id = 0;
  std::string digest;
  std::string media_type;     // manifest media type
  std::string artifact_type;  // artifactType, else the config media type
  int64_t size = 0;           // manifest bytes
  std::string subject;        // subject digest, "" when none
  std::string push_time;
  std::string pull_time;          // last manifest GET, "" when never
  std::vector<std::string> tags;  // filled by the listing calls
};

// A descriptor a manifest refers to: a blob (config, layer) or a child manifest.
struct ManifestReference {
  std::string digest;
  int64_t size = 0;
  bool is_manifest = false;
};

struct User {
  int64_t id = 0;
  std::string username;
  std::string email;
  std::string realname;
  std::string comment;
  std::string password_hash;  // argon2id encoded string
  bool sysadmin = false;
  std::string creation_time;
  std::string update_time;
};

// Harbor's project role ids.
enum class Role : int {
  kProjectAdmin = 1,
  kDeveloper = 2,
  kGuest = 3,
  kMaintainer = 4,
  kLimitedGuest = 5,  // pulls and reads artifacts, but does not see the members
};

struct Member {
  int64_t id = 0;
  int64_t project_id = 0;
  int64_t user_id = 0;
  std::string username;
  Role role = Role::kGuest;
};

struct Upload {
  std::string id;
  std::string repository;
  std::string created;
};

// A page request: 1-based page, page_size items.
struct Page {
  int64_t page = 1;
  int64_t page_size = 10;
};

template <typename T>
struct PageResult {
  std::vector<T> items;
  int64_t total = 0;
};

}  // namespace berth::metadata
