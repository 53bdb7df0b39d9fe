// What every `berth <noun>` command shares: the server flags, credentials from the
// environment, API calls, and table output.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/http_client.h"
#include "common/percent_encoding.h"

namespace berth::cli {

// The flags every command has; each noun's Flags extends them.
struct ServerFlags {
  ServerOptions server;
  bool json_output = false;  // --json
};

// --url, --username/-u, --password/-p and --json on `cmd`.
void AddServerFlags(CLI::App* cmd, ServerOptions& server, bool& json_output);
// --page and --page-size (1..100) on `cmd`.
void AddPaging(CLI::App* cmd, int64_t& page, int64_t& page_size);
// Fills an empty username/password from BERTH_USERNAME / BERTH_PASSWORD.
void CredentialsFromEnvironment(ServerOptions& server);

// Runs one API call with a JSON `body` (none when null). On failure prints the error on
// standard error and sets `code` to 2 (Berth unreachable) or 1 (the server refused);
// otherwise sets it to 0.
std::optional<ApiResponse> Send(const ServerOptions& server, std::string_view method,
                                std::string_view path, const nlohmann::json& body, int& code);
// A decimal id of at most 18 digits; nullopt for anything else.
std::optional<int64_t> AsId(std::string_view text);
// The id `text` stands for: itself when it is a number, else the id of the item named
// `text` exactly in the Harbor list at `path` (looked up with q=name=...). Prints
// "no <what> named <text>" and sets `code` to 1 when there is none.
std::optional<int64_t> IdByName(const ServerOptions& server, std::string_view path,
                                std::string_view what, std::string_view text, int& code);
// The last segment of the response's Location header: the id a POST created.
std::string CreatedId(const ApiResponse& response);

// The server's JSON, indented (the body as it is when it is not JSON).
void PrintJson(const std::string& body);
// A JSON field as table text: strings as they are, other values as JSON, absent as "".
std::string Cell(const nlohmann::json& j, const char* key);
// Left-aligned columns two spaces apart, on standard output.
void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows);
// After a page of `rows` rows: "(rows of total; use --page)" when X-Total-Count says
// there are more.
void PrintPageNote(const ApiResponse& response, size_t rows);

// One row of a list table from one item of the server's JSON array.
using RowOf = std::function<std::vector<std::string>(const nlohmann::json&)>;
// GETs the list at `path` and prints it: the server's JSON with `f.json_output`, else a
// table of `row(item)` per item, followed by PrintPageNote when `page_note`. Returns the
// exit code (see Send).
int PrintList(const ServerFlags& f, const std::string& path, const std::vector<std::string>& header,
              const RowOf& row, bool page_note = true);

// The commands of one noun sharing one `Flags` (a ServerFlags): Add
// creates a subcommand with the server flags, Runner picks the parsed one.
template <typename Flags>
class CommandSet {
 public:
  using Command = int (*)(const Flags&);

  Flags& flags() { return *flags_; }

  CLI::App* Add(CLI::App* parent, const std::string& name, const std::string& description,
                Command run) {
    auto* cmd = parent->add_subcommand(name, description);
    AddServerFlags(cmd, flags_->server, flags_->json_output);
    commands_.emplace_back(cmd, run);
    return cmd;
  }

  // Called after parsing: reads the credentials from the environment, applies `prepare`
  // and runs the chosen command; -1 when none of these commands was given.
  std::function<int()> Runner(void (*prepare)(Flags&) = nullptr) const {
    return [flags = flags_, commands = commands_, prepare]() -> int {
      for (const auto& [cmd, run] : commands) {
        if (cmd->parsed()) {
          CredentialsFromEnvironment(flags->server);
          if (prepare != nullptr) prepare(*flags);
          return run(*flags);
        }
      }
      return -1;
    };
  }

 private:
  std::shared_ptr<Flags> flags_ = std::make_shared<Flags>();
  std::vector<std::pair<CLI::App*, Command>> commands_;
};

}  // namespace berth::cli
