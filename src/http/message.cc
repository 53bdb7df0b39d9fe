#include "http/message.h"

#include <strings.h>

#include <nlohmann/json.hpp>

namespace berth::http {
namespace {

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::optional<std::string_view> Headers::Get(std::string_view name) const {
  for (const auto& [k, v] : items_) {
    if (IEquals(k, name)) return std::string_view(v);
  }
  return std::nullopt;
}

void Headers::Set(std::string_view name, std::string value) {
  std::erase_if(items_, [&](const auto& kv) { return IEquals(kv.first, name); });
  items_.emplace_back(std::string(name), std::move(value));
}

void Headers::Add(std::string_view name, std::string value) {
  items_.emplace_back(std::string(name), std::move(value));
}

std::optional<std::string_view> Request::Query(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return std::string_view(v);
  }
  return std::nullopt;
}

std::string Request::BaseUrl() const {
  std::string scheme = "http";
  if (auto proto = headers.Get("X-Forwarded-Proto")) scheme = std::string(*proto);
  std::string host(headers.Get("Host").value_or("localhost"));
  return scheme + "://" + host;
}

Task<Result<std::string>> ReadAll(BodyReader& body, size_t limit, Error too_large) {
  std::string out;
  if (auto len = body.declared_length()) {
    if (*len > limit) co_return std::unexpected(std::move(too_large));
    out.reserve(*len);
  }
  char buf[64 * 1024];
  while (true) {
    auto n = co_await body.ReadSome(std::span<char>(buf, sizeof buf));
    if (!n) co_return std::unexpected(n.error());
    if (*n == 0) break;
    if (out.size() + *n > limit) co_return std::unexpected(std::move(too_large));
    out.append(buf, *n);
  }
  co_return out;
}

Response ErrorResponse(const Error& error) {
  // A 5xx never carries its internal message to the client (the caller logs it), except
  // kUnavailable, whose message says which remote failed and how, for the user.
  const bool internal = error.http_status() >= 500 && error.code != ErrorCode::kUnavailable;
  nlohmann::json entry = {
      {"code", error.wire()},
      {"message", internal ? std::string(Describe(error.code).message) : error.message}};
  if (!error.detail.empty() && !internal) entry["detail"] = error.detail;
  Response r;
  r.status = error.http_status();
  r.headers.Set("Content-Type", "application/json; charset=utf-8");
  r.body = nlohmann::json{{"errors", nlohmann::json::array({entry})}}.dump();
  return r;
}

Response JsonResponse(int status, std::string json_text) {
  Response r;
  r.status = status;
  r.headers.Set("Content-Type", "application/json; charset=utf-8");
  r.body = std::move(json_text);
  return r;
}

Response EmptyResponse(int status) {
  Response r;
  r.status = status;
  return r;
}

}  // namespace berth::http
