// `berth replication ...`: replication rules and their executions over the REST API.
//
//   berth replication policy create|list|get|update|delete
//   berth replication run POLICY [--wait]     (POLICY = id or name)
//   berth replication executions [--policy POLICY]
//   berth replication tasks EXECUTION
//   berth replication stop EXECUTION
//   berth replication logs EXECUTION [TASK]
//
// Like `berth registry`: --url (default http://127.0.0.1:5000), --username/--password or
// BERTH_USERNAME/BERTH_PASSWORD, a table (or the server's JSON with --json), never the
// database. `run --wait` polls the execution, draws a progress bar on stderr and exits
// non-zero when the execution ends Failed or Stopped.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "cli/http_client.h"

namespace berth::cli {

// Adds the `replication` subcommand tree to `app`. The returned function, called after
// parsing, runs the chosen command and returns its exit code (0 ok, 1 the server refused
// or the execution did not succeed, 2 Berth could not be reached), or -1 when no
// replication command was given.
std::function<int()> AddReplicationCommands(CLI::App& app);

// The id of POLICY (an id or a policy name); prints why and sets `code` when there is
// none. Shared by the policy and the execution commands.
std::optional<int64_t> PolicyId(const ServerOptions& server, std::string_view policy, int& code);

}  // namespace berth::cli
