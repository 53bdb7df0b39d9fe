#include "auth/auth.h"

namespace berth::auth {

std::string_view ActionName(Action action) {
  switch (action) {
    case Action::kPull:
      return "pull";
    case Action::kPush:
      return "push";
    case Action::kDelete:
      return "delete";
  }
  return "pull";
}

std::optional<Scope> ParseScope(std::string_view text) {
  size_t first = text.find(':');
  size_t last = text.rfind(':');
  if (first == std::string_view::npos || first == last) return std::nullopt;
  Scope scope;
  std::string_view type = text.substr(0, first);
  // "repository(plugin)": the resource class is accepted and dropped.
  if (size_t paren = type.find('('); paren != std::string_view::npos) {
    if (type.back() != ')') return std::nullopt;
    type = type.substr(0, paren);
  }
  scope.type = std::string(type);
  scope.name = std::string(text.substr(first + 1, last - first - 1));
  std::string_view actions = text.substr(last + 1);
  while (!actions.empty()) {
    size_t comma = actions.find(',');
    std::string_view action = actions.substr(0, comma);
    if (!action.empty()) scope.actions.emplace(action);
    if (comma == std::string_view::npos) break;
    actions.remove_prefix(comma + 1);
  }
  if (scope.type.empty() || scope.name.empty() || scope.actions.empty()) return std::nullopt;
  for (char c : text) {
    if (static_cast<unsigned char>(c) <= ' ') return std::nullopt;
  }
  return scope;
}

std::string FormatScope(const Scope& scope) {
  std::string out = scope.type + ":" + scope.name + ":";
  bool first = true;
  for (const auto& action : scope.actions) {
    if (!first) out += ',';
    out += action;
    first = false;
  }
  return out;
}

}  // namespace berth::auth
