// ArtifactRef: one artifact as replication plans it (listing, filters, transfer).
#pragma once

#include <string>
#include <vector>

namespace berth::replication {

// One artifact (manifest) found in a repository, with every tag that points at it.
struct ArtifactRef {
  std::string digest;
  std::string media_type;
  std::vector<std::string> tags;    // sorted; empty for an untagged artifact
  std::vector<std::string> labels;  // label names; filled only when the end has labels
};

}  // namespace berth::replication
