#include "cli/output.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>

namespace berth::cli {

void AddServerFlags(CLI::App* cmd, ServerOptions& server, bool& json_output) {
  cmd->add_option("--url", server.url, "Berth base URL")->capture_default_str();
  cmd->add_option("--username,-u", server.username, "user (or BERTH_USERNAME)");
  cmd->add_option("--password,-p", server.password, "password (or BERTH_PASSWORD)");
  cmd->add_flag("--json", json_output, "print the server's JSON");
}

void CredentialsFromEnvironment(ServerOptions& server) {
  if (server.username.empty()) {
    if (const char* u = std::getenv("BERTH_USERNAME")) server.username = u;
  }
  if (server.password.empty()) {
    if (const char* p = std::getenv("BERTH_PASSWORD")) server.password = p;
  }
}

std::string Cell(const nlohmann::json& j, const char* key) {
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

}  // namespace berth::cli
