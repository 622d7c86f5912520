// Lab nodes as operating-system processes: start one detached, find out
// whether it still runs, signal it, wait for it to go.
//
// A node is started in its own session (setsid), as a grandchild that is
// re-parented to init, so it outlives `dsc lab up`, never turns into a
// zombie of `dsc lab run`, and a Ctrl-C in the learner's terminal reaches
// only `dsc`, which then stops the nodes itself.
//
// A pid file can lie: the node may have died (kill -9, a crash, a reboot)
// and its pid been reused by an unrelated process. So every node is
// started with the environment entry NodeMarker(files) (DSC_LAB_NODE=
// its absolute node directory), and a pid counts as our node only while
// /proc/PID/environ still carries that entry and the process is not a
// zombie (FindNodeProcess). The marker works the same for servers and for
// client nodes, which have no data directory on their command line.
//
// Thread-safety: plain functions; the lab calls them from one thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "nodes/dsc/lab_layout.h"

namespace dsc::lab {

// "DSC_LAB_NODE=/abs/path/.lab/<system>/<node>": the environment entry
// that names a process as the lab node whose files these are.
std::string NodeMarker(const NodeFiles& files);

// Starts `argv` (argv[0] is a path) detached, with stdin from /dev/null,
// stdout/stderr appended to `log_file`, and this process's environment
// plus `extra_env` ("K=V" entries). Returns the node's pid, or an error if
// fork or exec failed (exec errors are reported here, not in the log).
Result<pid_t> SpawnDetached(const std::vector<std::string>& argv, const std::string& log_file,
                            const std::vector<std::string>& extra_env = {});

// The pid in `files.pid_file` if that process is alive and is this node
// (its environment carries NodeMarker(files), see above); nullopt
// otherwise, including when there is no pid file.
std::optional<pid_t> FindNodeProcess(const NodeFiles& files);

// The pid recorded in the pid file, alive or not; nullopt if none.
std::optional<pid_t> ReadPidFile(const std::string& pid_file);
Status WritePidFile(const std::string& pid_file, pid_t pid);
void RemovePidFile(const std::string& pid_file);

// Sends `signal` to the node's whole process group (the node and anything
// it started).
void SignalNode(pid_t pid, int signal);

// Polls until the process has exited (or is a zombie nobody reaps) or the
// timeout passes. Returns true if it is gone.
bool WaitForExit(pid_t pid, std::chrono::milliseconds timeout);

// The last `lines` lines of a text file ("" if unreadable): shown when a
// node fails to start, so the learner sees why without opening node.log.
std::string TailOfFile(const std::string& path, int lines);

}  // namespace dsc::lab
