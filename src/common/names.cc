#include "common/names.h"

namespace berth {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// One path component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
bool IsValidComponent(std::string_view c) {
  if (c.empty() || !IsLowerAlnum(c.front()) || !IsLowerAlnum(c.back())) return false;
  size_t i = 0;
  while (i < c.size()) {
    if (IsLowerAlnum(c[i])) {
      ++i;
      continue;
    }
    // A separator run: ".", "_", "__" or "-+".
    size_t j = i;
    if (c[i] == '.') {
      j = i + 1;
    } else if (c[i] == '_') {
      j = i + 1;
      if (j < c.size() && c[j] == '_') ++j;
    } else if (c[i] == '-') {
      while (j < c.size() && c[j] == '-') ++j;
    } else {
      return false;
    }
    if (j >= c.size() || !IsLowerAlnum(c[j])) return false;
    i = j;
  }
  return true;
}

}  // namespace

Status ValidateRepositoryName(std::string_view name) {
  auto invalid = [&](std::string why) {
    return Fail(ErrorCode::kNameInvalid,
                "invalid repository name \"" + std::string(name.substr(0, 300)) + "\": " + why);
  };
  if (name.empty()) return invalid("the name is empty");
  if (name.size() > 255) return invalid("it is longer than 255 characters");
  size_t start = 0;
  while (true) {
    size_t slash = name.find('/', start);
    auto comp = name.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (!IsValidComponent(comp)) {
      return invalid(
          "each path component must be lowercase letters and digits, separated by '.', '_', "
          "'__' or '-' (component \"" +
          std::string(comp.substr(0, 100)) + "\")");
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return Ok();
}

bool IsValidTag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128) return false;
  auto word = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  if (!word(tag[0])) return false;
  for (char c : tag.substr(1)) {
    if (!word(c) && c != '.' && c != '-') return false;
  }
  return true;
}

std::string_view ProjectOf(std::string_view repository) {
  auto slash = repository.find('/');
  if (slash == std::string_view::npos) return {};
  return repository.substr(0, slash);
}

Result<Reference> ParseReference(std::string_view text) {
  if (text.find(':') != std::string_view::npos) {
    auto d = Digest::Parse(text);
    if (!d) return Fail(d.error());
    return Reference{d->str(), true};
  }
  if (!IsValidTag(text)) {
    return Fail(ErrorCode::kManifestInvalid,
                "invalid tag \"" + std::string(text.substr(0, 200)) +
                    "\": a tag is 1-128 characters of [A-Za-z0-9_.-] and does not start with "
                    "'.' or '-'");
  }
  return Reference{std::string(text), false};
}

}  // namespace berth
