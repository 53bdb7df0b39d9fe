// Repository names, tags and references, per the OCI distribution grammar.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "common/digest.h"
#include "common/error.h"

namespace berth {

// Repository name: path components [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* joined by "/",
// at most 255 characters. NAME_INVALID with the reason otherwise.
Status ValidateRepositoryName(std::string_view name);

// Tag: [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}.
bool IsValidTag(std::string_view tag);

// The project of a repository: its first path component ("library/nginx" -> "library").
// A name without "/" has no project and is refused by the registry.
std::string_view ProjectOf(std::string_view repository);

// A manifest reference: a tag or a digest.
struct Reference {
  std::string text;
  bool is_digest = false;
};
// Parses a reference; a string containing ':' must be a valid digest.
Result<Reference> ParseReference(std::string_view text);

}  // namespace berth
