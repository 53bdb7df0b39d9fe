// `berth project ...`: create (optionally as a proxy cache of a replication endpoint),
// list and delete projects. They talk HTTP to a running Berth (--url, default
// http://127.0.0.1:5000) with --username/--password or BERTH_USERNAME/BERTH_PASSWORD,
// print a table (or the server's JSON with --json) and never open the database.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace berth::cli {

// Adds the `project` subcommand tree to `app`. The returned function, called after
// parsing, runs the chosen command and returns its exit code (0 ok, 1 the server
// refused, 2 Berth could not be reached), or -1 when no project command was given.
std::function<int()> AddProjectCommands(CLI::App& app);

}  // namespace berth::cli
