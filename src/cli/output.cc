#include "cli/output.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <iostream>

namespace berth::cli {

using nlohmann::json;

void AddServerFlags(CLI::App* cmd, ServerOptions& server, bool& json_output) {
  cmd->add_option("--url", server.url, "Berth base URL")->capture_default_str();
  cmd->add_option("--username,-u", server.username, "user (or BERTH_USERNAME)");
  cmd->add_option("--password,-p", server.password, "password (or BERTH_PASSWORD)");
  cmd->add_flag("--json", json_output, "print the server's JSON");
}

void AddPaging(CLI::App* cmd, int64_t& page, int64_t& page_size) {
  cmd->add_option("--page", page, "page number")->check(CLI::PositiveNumber);
  cmd->add_option("--page-size", page_size, "items per page (<= 100)")->check(CLI::Range(1, 100));
}

void CredentialsFromEnvironment(ServerOptions& server) {
  if (server.username.empty()) {
    if (const char* u = std::getenv("BERTH_USERNAME")) server.username = u;
  }
  if (server.password.empty()) {
    if (const char* p = std::getenv("BERTH_PASSWORD")) server.password = p;
  }
}

std::optional<ApiResponse> Send(const ServerOptions& server, std::string_view method,
                                std::string_view path, const json& body, int& code) {
  auto r = CallApi(server, method, path, body.is_null() ? "" : body.dump());
  if (!r) {
    std::cerr << "berth: " << r.error().message << "\n";
    code = 2;
    return std::nullopt;
  }
  if (r->status >= 400) {
    std::cerr << "berth: " << ErrorMessage(*r) << "\n";
    code = 1;
    return std::nullopt;
  }
  code = 0;
  return std::move(*r);
}

std::optional<int64_t> AsId(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::optional<int64_t> IdByName(const ServerOptions& server, std::string_view path,
                                std::string_view what, std::string_view text, int& code) {
  if (auto id = AsId(text)) return id;
  auto r =
      Send(server, "GET", fmt::format("{}?q={}", path, PercentEncode(fmt::format("name={}", text))),
           nullptr, code);
  if (!r) return std::nullopt;
  for (const auto& item : json::parse(r->body, nullptr, false)) {
    if (item.is_object() && item.value("name", "") == text) return item.value("id", int64_t{0});
  }
  std::cerr << "berth: no " << what << " named " << text << "\n";
  code = 1;
  return std::nullopt;
}

std::string CreatedId(const ApiResponse& response) {
  std::string location = response.Header("Location");
  return location.substr(location.rfind('/') + 1);
}

void PrintJson(const std::string& body) {
  auto j = json::parse(body, nullptr, false);
  std::cout << (j.is_discarded() ? body : j.dump(2)) << "\n";
}

std::string Cell(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return "";
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size());
  for (size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
    }
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < cells.size(); ++i) {
      out += cells[i];
      if (i + 1 < cells.size()) out += std::string(width[i] - cells[i].size() + 2, ' ');
    }
    std::cout << out << "\n";
  };
  line(header);
  for (const auto& row : rows) line(row);
}

void PrintPageNote(const ApiResponse& response, size_t rows) {
  std::string total = response.Header("X-Total-Count");
  if (!total.empty() && total != std::to_string(rows)) {
    std::cout << "(" << rows << " of " << total << "; use --page)\n";
  }
}

int PrintList(const ServerFlags& f, const std::string& path, const std::vector<std::string>& header,
              const RowOf& row, bool page_note) {
  int code = 0;
  auto r = Send(f.server, "GET", path, nullptr, code);
  if (!r) return code;
  if (f.json_output) {
    PrintJson(r->body);
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& item : json::parse(r->body, nullptr, false)) rows.push_back(row(item));
  PrintTable(header, rows);
  if (page_note) PrintPageNote(*r, rows.size());
  return 0;
}

}  // namespace berth::cli
