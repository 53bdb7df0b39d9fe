#include "cli/execution_commands.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "cli/http_client.h"
#include "cli/output.h"
#include "cli/progress.h"
#include "cli/replication_commands.h"

namespace berth::cli {
namespace {

using nlohmann::json;

// Every flag of every execution command; unused ones stay unset.
struct Flags : ServerFlags {
  std::string target;  // POLICY or EXECUTION
  std::string task;    // TASK of `logs`
  int64_t page = 1;
  int64_t page_size = 100;
  std::string policy;  // --policy of `executions`
  std::string status;
  bool wait = false;
  double interval = 1.0;
};

// The EXECUTION argument as an id; says so and returns nullopt when it is not one.
std::optional<int64_t> ExecutionId(const Flags& f) {
  auto execution = AsId(f.target);
  if (!execution) std::cerr << "berth: EXECUTION must be an execution id\n";
  return execution;
}

// Every task of the execution (all pages).
std::optional<json> AllTasks(const Flags& f, int64_t execution, int& code) {
  json all = json::array();
  for (int64_t page = 1;; ++page) {
    auto r =
        Send(f.server, "GET",
             fmt::format("/replication/executions/{}/tasks?page={}&page_size=100", execution, page),
             nullptr, code);
    if (!r) return std::nullopt;
    json items = json::parse(r->body, nullptr, false);
    if (!items.is_array()) break;
    for (auto& t : items) all.push_back(std::move(t));
    auto total = AsId(r->Header("X-Total-Count"));
    if (items.size() < 100 || (total && static_cast<int64_t>(all.size()) >= *total)) break;
  }
  return all;
}

bool Finished(const std::string& status) { return !status.empty() && status != "InProgress"; }

// Polls the execution until it ends; the bar goes to stderr (redrawn on a terminal, a
// line every 10 s otherwise). Returns the final execution.
std::optional<json> Wait(const Flags& f, int64_t execution, int& code) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const bool tty = isatty(STDERR_FILENO) != 0;
  ProgressMeter meter;
  double last_print = -10;
  for (;;) {
    auto r =
        Send(f.server, "GET", fmt::format("/replication/executions/{}", execution), nullptr, code);
    if (!r) return std::nullopt;
    json e = json::parse(r->body, nullptr, false);
    auto tasks = AllTasks(f, execution, code);
    if (!tasks) return std::nullopt;
    ProgressSample s;
    s.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    for (const auto& t : *tasks) {
      s.bytes += t.value("bytes", int64_t{0});
      s.artifacts_done += t.value("artifacts_done", int64_t{0});
      s.artifacts_total += t.value("artifacts_total", int64_t{0});
      std::string status = t.value("status", "");
      if (status == "Succeed" || status == "Failed" || status == "Stopped") ++s.tasks_finished;
    }
    s.bytes = std::max(s.bytes, e.value("bytes", int64_t{0}));
    s.tasks_total =
        std::max<int64_t>(e.value("total", int64_t{0}), static_cast<int64_t>(tasks->size()));
    meter.Add(s);
    std::string status = e.value("status", "");
    if (tty) {
      std::cerr << "\r\033[K" << meter.Line(100) << std::flush;
    } else if (s.seconds - last_print >= 10 || Finished(status)) {
      std::cerr << meter.Line(100) << "\n";
      last_print = s.seconds;
    }
    if (Finished(status)) {
      if (tty) std::cerr << "\n";
      return e;
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(f.interval));
  }
}

int Run(const Flags& f) {
  int code = 0;
  auto id = PolicyId(f.server, f.target, code);
  if (!id) return code;
  auto r = Send(f.server, "POST", "/replication/executions", json{{"policy_id", *id}}, code);
  if (!r) return code;
  int64_t execution = AsId(CreatedId(*r)).value_or(0);
  if (!f.wait) {
    if (f.json_output) {
      std::cout << json{{"id", execution}}.dump() << "\n";
    } else {
      std::cout << "started execution " << execution << " of policy " << *id << "\n";
    }
    return 0;
  }
  if (!f.json_output) std::cerr << "execution " << execution << " of policy " << *id << "\n";
  auto e = Wait(f, execution, code);
  if (!e) return code;
  std::string status = e->value("status", "");
  if (f.json_output) {
    std::cout << e->dump(2) << "\n";
  } else {
    std::cout << fmt::format("execution {} {}: {} tasks, {} succeeded, {} failed, {} stopped",
                             execution, status, e->value("total", 0), e->value("succeed", 0),
                             e->value("failed", 0), e->value("stopped", 0));
    std::string text = e->value("status_text", "");
    if (!text.empty()) std::cout << " (" << text << ")";
    std::cout << "\n";
  }
  if (status != "Succeed") {
    if (!f.json_output) {
      std::cerr << fmt::format("berth: see `berth replication logs {}`\n", execution);
    }
    return 1;
  }
  return 0;
}

int Executions(const Flags& f) {
  int code = 0;
  std::string path =
      fmt::format("/replication/executions?page={}&page_size={}", f.page, f.page_size);
  if (!f.policy.empty()) {
    auto id = PolicyId(f.server, f.policy, code);
    if (!id) return code;
    path += fmt::format("&policy_id={}", *id);
  }
  if (!f.status.empty()) path += "&status=" + PercentEncode(f.status);
  auto row = [](const json& e) -> std::vector<std::string> {
    return {Cell(e, "id"),          Cell(e, "policy_id"),  Cell(e, "status"),
            Cell(e, "trigger"),     Cell(e, "start_time"), Cell(e, "end_time"),
            Cell(e, "total"),       Cell(e, "succeed"),    Cell(e, "failed"),
            Cell(e, "in_progress"), Cell(e, "stopped"),    HumanBytes(e.value("bytes", 0.0)),
            Cell(e, "status_text")};
  };
  return PrintList(f, path,
                   {"ID", "POLICY", "STATUS", "TRIGGER", "STARTED", "ENDED", "TASKS", "OK",
                    "FAILED", "RUNNING", "STOPPED", "BYTES", "TEXT"},
                   row, /*page_note=*/false);
}

int Tasks(const Flags& f) {
  int code = 0;
  auto execution = ExecutionId(f);
  if (!execution) return 1;
  auto tasks = AllTasks(f, *execution, code);
  if (!tasks) return code;
  if (f.json_output) {
    std::cout << tasks->dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : *tasks) {
    rows.push_back(
        {Cell(t, "id"), Cell(t, "status"), Cell(t, "operation"), Cell(t, "resource_type"),
         Cell(t, "src_resource"), Cell(t, "dst_resource"),
         fmt::format("{}/{}", t.value("artifacts_done", 0), t.value("artifacts_total", 0)),
         HumanBytes(t.value("bytes", 0.0))});
  }
  PrintTable({"ID", "STATUS", "OPERATION", "TYPE", "SOURCE", "DESTINATION", "ARTIFACTS", "BYTES"},
             rows);
  return 0;
}

int Stop(const Flags& f) {
  int code = 0;
  auto execution = ExecutionId(f);
  if (!execution) return 1;
  auto r =
      Send(f.server, "PUT", fmt::format("/replication/executions/{}", *execution), nullptr, code);
  if (!r) return code;
  if (!f.json_output) std::cout << "stopping execution " << *execution << "\n";
  return 0;
}

int Logs(const Flags& f) {
  int code = 0;
  auto execution = ExecutionId(f);
  if (!execution) return 1;
  std::vector<json> tasks;
  if (!f.task.empty()) {
    auto task = AsId(f.task);
    if (!task) {
      std::cerr << "berth: TASK must be a task id\n";
      return 1;
    }
    tasks.push_back(json{{"id", *task}});
  } else {
    auto all = AllTasks(f, *execution, code);
    if (!all) return code;
    tasks.assign(all->begin(), all->end());
  }
  int result = 0;
  for (const auto& t : tasks) {
    int64_t id = t.value("id", int64_t{0});
    if (f.task.empty()) {
      std::cout << fmt::format("==> task {} ({}): {} -> {} <==\n", id, Cell(t, "status"),
                               Cell(t, "src_resource"), Cell(t, "dst_resource"));
    }
    auto r =
        Send(f.server, "GET",
             fmt::format("/replication/executions/{}/tasks/{}/log", *execution, id), nullptr, code);
    if (!r) {
      result = code;
      continue;
    }
    std::cout << r->body;
    if (!r->body.empty() && r->body.back() != '\n') std::cout << "\n";
  }
  return result;
}

}  // namespace

std::function<int()> AddExecutionCommands(CLI::App& replication) {
  CommandSet<Flags> commands;
  Flags& f = commands.flags();

  auto* run = commands.Add(&replication, "run", "start an execution of a policy", &Run);
  run->add_option("policy", f.target, "policy id or name")->required();
  run->add_flag("--wait,-w", f.wait,
                "follow the execution with a progress bar; exit 1 unless it succeeds");
  run->add_option("--interval", f.interval, "seconds between polls with --wait")
      ->check(CLI::Range(0.1, 60.0));

  auto* executions = commands.Add(&replication, "executions", "list executions", &Executions);
  executions->add_option("--policy", f.policy, "only this policy (id or name)");
  executions->add_option("--status", f.status, "InProgress, Succeed, Failed or Stopped");
  AddPaging(executions, f.page, f.page_size);

  auto* tasks = commands.Add(&replication, "tasks", "list the tasks of an execution", &Tasks);
  tasks->add_option("execution", f.target, "execution id")->required();

  auto* stop = commands.Add(&replication, "stop", "stop a running execution", &Stop);
  stop->add_option("execution", f.target, "execution id")->required();

  auto* logs = commands.Add(&replication, "logs", "print task logs of an execution", &Logs);
  logs->add_option("execution", f.target, "execution id")->required();
  logs->add_option("task", f.task, "only this task");

  return commands.Runner();
}

}  // namespace berth::cli
