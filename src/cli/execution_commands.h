// `berth replication run|executions|tasks|stop|logs`: the executions of replication
// policies, their tasks and task logs (see replication_commands.h for the whole tree).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace berth::cli {

// Adds run, executions, tasks, stop and logs under the `replication` subcommand. The
// returned function, called after parsing, runs the chosen command and returns its exit
// code, or -1 when none of these commands was given.
std::function<int()> AddExecutionCommands(CLI::App& replication);

}  // namespace berth::cli
