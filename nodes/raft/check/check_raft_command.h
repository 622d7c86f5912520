// The `dsc check raft` subcommand, for `dsc check` in nodes/dsc/main.cc:
//
//   CLI::App* check = app.add_subcommand("check", "...");
//   dsc::raft::check::AddCheckRaftCommand(*check, &action);
//
// It declares the flags of CheckRaftOptions (check_raft.h), each with its
// --help line and default. With `action`, a successful parse stores the
// command there (main runs it and exits with its code, as for every other
// subcommand); without it, the parse callback runs the check and ends the
// process with its exit code.
//
// Thread-safety: like CLI11; call while building the command line.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace dsc::raft::check {

void AddCheckRaftCommand(CLI::App& check, std::function<int()>* action = nullptr);

}  // namespace dsc::raft::check
