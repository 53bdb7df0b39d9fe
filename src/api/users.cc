// /users and /users/current.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "api/api_service.h"
#include "api/json_io.h"
#include "auth/password.h"

namespace berth::api {
namespace {

constexpr int64_t kBatch = 100;
Result<std::string> OptionalString(const nlohmann::json& body, std::string_view key,
                                   size_t max_len) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::string();
  if (!it->is_string())
    return Fail(ErrorCode::kBadRequest, fmt::format("{} must be a string", key));
  std::string value = it->get<std::string>();
  if (value.size() > max_len) {
    return Fail(ErrorCode::kBadRequest,
                fmt::format("{} must be at most {} characters long", key, max_len));
  }
  return value;
}

Result<int64_t> UserIdParam(std::string_view text) { return PathId(text, "user_id", 1); }

}  // namespace

nlohmann::json ApiService::UserJson(const metadata::User& user) {
  return {{"user_id", user.id},
          {"username", user.username},
          {"email", user.email},
          {"realname", user.realname},
          {"comment", user.comment},
          {"sysadmin_flag", user.sysadmin},
          {"admin_role_in_auth", false},
          {"creation_time", user.creation_time},
          {"update_time", user.update_time}};
}

Result<http::Response> ApiService::CurrentUser(Call& call) {
  BERTH_TRY(RequireLogin(call));
  if (call.identity.robot) {
    return Fail(ErrorCode::kForbidden,
                fmt::format("{} is a robot account, not a user: see GET /api/v2.0/robots",
                            call.identity.username));
  }
  auto user = users_.Get(call.identity.user_id);
  if (!user) return Fail(user.error());
  if (!*user) return Fail(ErrorCode::kNotFound, "the current user no longer exists");
  return ToJsonResponse(200, UserJson(**user));
}

namespace {

// Every user whose username `name` matches, in the store's order.
Result<std::vector<metadata::User>> UsersMatching(metadata::UserStore& users,
                                                  const NameFilter& name) {
  std::vector<metadata::User> matching;
  for (int64_t p = 1;; ++p) {
    auto batch = users.List(metadata::Page{p, kBatch});
    if (!batch) return Fail(batch.error());
    bool last = static_cast<int64_t>(batch->items.size()) < kBatch || p * kBatch >= batch->total;
    for (auto& u : batch->items) {
      if (name.Matches(u.username)) matching.push_back(std::move(u));
    }
    if (last) return matching;
  }
}

}  // namespace

Result<http::Response> ApiService::ListUsers(Call& call) {
  BERTH_TRY(RequireSysadmin(call));
  auto page = ParsePage(call.request.query);
  if (!page) return Fail(page.error());
  auto name = ParseNameFilter(call.request.query, "username");
  if (!name) return Fail(name.error());
  auto email = ParseFilter(call.request.query, {"email"});  // Harbor filters on it too
  if (!email) return Fail(email.error());
  auto matching = UsersMatching(users_, *name);
  if (!matching) return Fail(matching.error());
  std::erase_if(*matching, [&](const metadata::User& u) { return !email->Matches(u.email); });
  int64_t total = static_cast<int64_t>(matching->size());
  nlohmann::json items = nlohmann::json::array();
  for (const auto& u : Slice(std::move(*matching), *page)) items.push_back(UserJson(u));
  auto response = ToJsonResponse(200, items);
  SetPagingHeaders(response, call.path, call.request.query, *page, total);
  return response;
}

Result<http::Response> ApiService::SearchUsers(Call& call) {
  // As Harbor: any signed-in user may look up user names (to add project members).
  BERTH_TRY(RequireLogin(call));
  auto page = ParsePage(call.request.query);
  if (!page) return Fail(page.error());
  auto username = call.request.Query("username");
  if (!username || username->empty()) {
    return Fail(ErrorCode::kUnprocessable, "username in query is required, e.g. ?username=ali");
  }
  auto matching = UsersMatching(users_, NameFilter{std::string(*username), /*fuzzy=*/true});
  if (!matching) return Fail(matching.error());
  int64_t total = static_cast<int64_t>(matching->size());
  nlohmann::json items = nlohmann::json::array();
  for (const auto& u : Slice(std::move(*matching), *page)) {
    items.push_back({{"user_id", u.id}, {"username", u.username}});
  }
  auto response = ToJsonResponse(200, items);
  SetPagingHeaders(response, call.path, call.request.query, *page, total);
  return response;
}

Result<http::Response> ApiService::CreateUser(Call& call) {
  BERTH_TRY(RequireSysadmin(call));
  auto body = ParseJsonObject(call.body);
  if (!body) return Fail(body.error());
  auto username = OptionalString(*body, "username", 255);
  if (!username) return Fail(username.error());
  if (username->empty()) return Fail(ErrorCode::kBadRequest, "username is required");
  if (username->find_first_of(",\"~#%$:/ \t") != std::string::npos) {
    return Fail(ErrorCode::kBadRequest,
                "username must not contain spaces or any of , \" ~ # % $ : /");
  }
  // Harbor's profile rules: an email and a real name are required.
  auto email = OptionalString(*body, "email", 255);
  if (!email) return Fail(email.error());
  if (email->empty()) {
    return Fail(ErrorCode::kBadRequest, "email is required, e.g. \"jane@example.com\"");
  }
  if (email->find('@') == std::string::npos || email->front() == '@' || email->back() == '@') {
    return Fail(ErrorCode::kBadRequest,
                fmt::format("email \"{}\" is not valid: give an address such as "
                            "\"jane@example.com\"",
                            *email));
  }
  auto realname = OptionalString(*body, "realname", 255);
  if (!realname) return Fail(realname.error());
  if (realname->empty()) {
    return Fail(ErrorCode::kBadRequest, "realname is required, e.g. \"Jane Doe\"");
  }
  if (realname->find_first_of(",~#$%") != std::string::npos) {
    return Fail(ErrorCode::kBadRequest, "realname must not contain any of , ~ # $ %");
  }
  auto comment = OptionalString(*body, "comment", 30);
  if (!comment) return Fail(comment.error());
  auto password = OptionalString(*body, "password", 1024);
  if (!password) return Fail(password.error());
  if (!auth::MeetsPasswordPolicy(*password))
    return Fail(ErrorCode::kBadRequest, std::string(auth::kPasswordPolicy));

  auto existing = users_.GetByName(*username);
  if (!existing) return Fail(existing.error());
  if (*existing) {
    return Fail(ErrorCode::kConflict, fmt::format("username {} is already used", *username));
  }
  auto email_used = users_.EmailInUse(*email);
  if (!email_used) return Fail(email_used.error());
  if (*email_used) {
    return Fail(ErrorCode::kConflict,
                fmt::format("email {} is already used by another user", *email));
  }
  metadata::User user;
  user.username = *username;
  user.email = *email;
  user.realname = *realname;
  user.comment = *comment;
  user.password_hash = auth::HashPassword(*password);
  user.creation_time = user.update_time = NowRfc3339();
  auto created = users_.Create(user);
  if (!created) {
    if (created.error().code == ErrorCode::kConflict) {
      return Fail(ErrorCode::kConflict, fmt::format("username {} is already used", *username));
    }
    return Fail(created.error());
  }
  auto response = http::EmptyResponse(201);
  response.headers.Set("Location", fmt::format("/api/v2.0/users/{}", created->id));
  return response;
}

Result<http::Response> ApiService::GetUser(Call& call) {
  BERTH_TRY(RequireLogin(call));
  auto id = UserIdParam(call.Param("user_id"));
  if (!id) return Fail(id.error());
  if (!call.identity.sysadmin && call.identity.user_id != *id) {
    return Fail(ErrorCode::kForbidden, "only system administrators may view other users");
  }
  auto user = users_.Get(*id);
  if (!user) return Fail(user.error());
  if (!*user) return Fail(ErrorCode::kNotFound, fmt::format("user {} not found", *id));
  return ToJsonResponse(200, UserJson(**user));
}

Result<http::Response> ApiService::DeleteUser(Call& call) {
  BERTH_TRY(RequireSysadmin(call));
  auto id = UserIdParam(call.Param("user_id"));
  if (!id) return Fail(id.error());
  if (*id == call.identity.user_id) {
    return Fail(ErrorCode::kForbidden, "you cannot delete your own account");
  }
  auto user = users_.Get(*id);
  if (!user) return Fail(user.error());
  if (!*user) return Fail(ErrorCode::kNotFound, fmt::format("user {} not found", *id));
  if ((*user)->username == auth::AuthService::kAdminUsername) {
    // As Harbor keeps user 1: the one account that always administers this registry.
    return Fail(ErrorCode::kForbidden,
                fmt::format("user {} ({}) is the built-in administrator and cannot be deleted", *id,
                            (*user)->username));
  }
  BERTH_TRY(users_.Delete(*id));
  auth_.ForgetCachedCredentials();
  return http::EmptyResponse(200);
}

Result<http::Response> ApiService::SetSysadmin(Call& call) {
  BERTH_TRY(RequireSysadmin(call));
  auto id = UserIdParam(call.Param("user_id"));
  if (!id) return Fail(id.error());
  auto body = ParseJsonObject(call.body);
  if (!body) return Fail(body.error());
  auto flag = body->find("sysadmin_flag");
  if (flag == body->end() || !flag->is_boolean()) {
    return Fail(ErrorCode::kBadRequest, "sysadmin_flag (boolean) is required");
  }
  auto user = users_.Get(*id);
  if (!user) return Fail(user.error());
  if (!*user) return Fail(ErrorCode::kNotFound, fmt::format("user {} not found", *id));
  if (!flag->get<bool>() && (*user)->username == auth::AuthService::kAdminUsername) {
    // Otherwise the last administrator could lock everyone out of user management.
    return Fail(ErrorCode::kForbidden,
                fmt::format("user {} ({}) is the built-in administrator and stays one", *id,
                            (*user)->username));
  }
  (*user)->sysadmin = flag->get<bool>();
  (*user)->update_time = NowRfc3339();
  BERTH_TRY(users_.Update(**user));
  auth_.ForgetCachedCredentials();
  return http::EmptyResponse(200);
}

Result<http::Response> ApiService::ChangePassword(Call& call) {
  BERTH_TRY(RequireLogin(call));
  auto id = UserIdParam(call.Param("user_id"));
  if (!id) return Fail(id.error());
  bool self = call.identity.user_id == *id;
  if (!self && !call.identity.sysadmin) {
    return Fail(ErrorCode::kForbidden, "only system administrators may change other passwords");
  }
  auto body = ParseJsonObject(call.body);
  if (!body) return Fail(body.error());
  auto old_password = OptionalString(*body, "old_password", 1024);
  if (!old_password) return Fail(old_password.error());
  auto new_password = OptionalString(*body, "new_password", 1024);
  if (!new_password) return Fail(new_password.error());
  if (!auth::MeetsPasswordPolicy(*new_password)) {
    return Fail(ErrorCode::kBadRequest, std::string(auth::kPasswordPolicy));
  }
  auto user = users_.Get(*id);
  if (!user) return Fail(user.error());
  if (!*user) return Fail(ErrorCode::kNotFound, fmt::format("user {} not found", *id));
  // Administrators reset other users' passwords without the old one.
  if (self && !auth::VerifyPassword((*user)->password_hash, *old_password)) {
    return Fail(ErrorCode::kForbidden, "the old password is incorrect");
  }
  if (auth::VerifyPassword((*user)->password_hash, *new_password)) {
    return Fail(ErrorCode::kBadRequest, "the new password must differ from the old one");
  }
  (*user)->password_hash = auth::HashPassword(*new_password);
  (*user)->update_time = NowRfc3339();
  BERTH_TRY(users_.Update(**user));
  auth_.ForgetCachedCredentials();
  return http::EmptyResponse(200);
}

}  // namespace berth::api
