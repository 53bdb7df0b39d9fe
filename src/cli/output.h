// What every `berth <noun>` command shares: the server flags, credentials from the
// environment, and table output.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/http_client.h"

namespace berth::cli {

// --url, --username/-u, --password/-p and --json on `cmd`.
void AddServerFlags(CLI::App* cmd, ServerOptions& server, bool& json_output);
// Fills an empty username/password from BERTH_USERNAME / BERTH_PASSWORD.
void CredentialsFromEnvironment(ServerOptions& server);

// A JSON field as table text: strings as they are, other values as JSON, absent as "".
std::string Cell(const nlohmann::json& j, const char* key);
// Left-aligned columns two spaces apart, on standard output.
void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows);

}  // namespace berth::cli
