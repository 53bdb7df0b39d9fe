// Replication filters (pure). Filters combine with AND.
//  * name: doublestar glob on the repository path: `*` and `?` stay within one path
//    segment, `**` crosses '/', `[abc]`/`[a-z]`/`[!a]` classes, `{a,b}` alternatives;
//    matched against the full repository path ("library/**", "**/nginx").
//  * tag: the glob against each tag; `matches` keeps the matching tags, `excludes` keeps
//    the others. An artifact whose tags all drop out is dropped. An untagged artifact is
//    matched as the empty tag (Harbor): `matches` "**", "*" or "" keeps it, "v*" drops it;
//    `excludes` keeps it unless the pattern matches the empty tag ("*", "**").
//    An empty tag pattern keeps everything.
//  * label: `matches` keeps artifacts carrying every listed label; `excludes` drops
//    artifacts carrying every listed label.
//  * resource: "image" / "artifact" — both select every artifact (Berth does not tell
//    them apart), as in Harbor today.
#pragma once

#include <string_view>
#include <vector>

#include "replication/model/artifact.h"
#include "replication/model/policy.h"

namespace berth::replication {

// An empty pattern matches everything (Harbor skips filters without a value).
bool GlobMatch(std::string_view pattern, std::string_view text);
// BAD_REQUEST with the reason when the pattern is malformed (unclosed '[' or '{').
Status ValidateGlob(std::string_view pattern);

// The name filters' verdict on a repository.
bool RepositorySelected(const std::vector<Filter>& filters, std::string_view repository);
// The artifacts (with their tags narrowed) that the tag, label and resource filters keep.
std::vector<ArtifactRef> SelectArtifacts(const std::vector<Filter>& filters,
                                         std::vector<ArtifactRef> artifacts);

}  // namespace berth::replication
