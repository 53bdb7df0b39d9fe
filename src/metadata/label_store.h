// LabelStore: Harbor's labels (global scope "g", or project scope "p" with a project id)
// and their attachment to artifacts.
// Thread safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "metadata/database.h"
#include "metadata/records.h"

namespace berth::metadata {

struct Label {
  int64_t id = 0;
  std::string name;
  std::string description;
  std::string color;        // "#RRGGBB" or ""
  std::string scope = "g";  // g | p
  int64_t project_id = 0;   // for scope p
  std::string creation_time;
  std::string update_time;
};

class LabelStore {
 public:
  explicit LabelStore(Database& db) : db_(db) {}
  // CONFLICT `label <name> already exists` for the same name in the same scope/project.
  Result<Label> Create(const Label& label);
  Result<std::optional<Label>> Get(int64_t id);
  // Filtered by scope ("" = any), project (0 = any), exact name or name substring.
  Result<PageResult<Label>> List(const Page& page, std::string_view scope, int64_t project_id,
                                 std::string_view name_exact = {}, std::string_view name_like = {});
  Status Update(const Label& label);  // NOT_FOUND, CONFLICT
  Status Delete(int64_t id);          // detaches it from every artifact; NOT_FOUND

  // CONFLICT when already attached.
  Status Attach(int64_t artifact_id, int64_t label_id);
  // NOT_FOUND when not attached.
  Status Detach(int64_t artifact_id, int64_t label_id);
  Result<std::vector<Label>> LabelsOf(int64_t artifact_id);
  // The label names attached to each artifact of a repository, by artifact id (names in
  // lexical order; artifacts without labels are absent). One query, for label filters.
  Result<std::map<int64_t, std::vector<std::string>>> LabelNamesInRepository(int64_t repository_id);

 private:
  Database& db_;
};

}  // namespace berth::metadata
