"""Process-level test helpers: real dsc nodes, real client processes.

A test script built on this module starts nodes from the built `dsc` binary
on free ports with scratch data directories, runs programs (the client
examples, or anything else) as real processes with a timeout, and checks the
outcome through the nodes' HTTP API. Python 3 standard library only, so it
runs on a machine where nothing else was installed.

A test script defines one function per test case and hands them to main():

    import harness

    def test_health(ctx):
        with ctx.node("queue") as node:
            harness.check(harness.get_json(node.url + "/health")["status"] == "ok",
                          "the node answers /health")

    harness.main({"health": test_health})

and CMake registers one ctest test per case (see CMakeLists.txt here):

    python3 test_script.py --dsc PATH/TO/dsc --repo SOURCE_DIR CASE

Exit status: 0 passed, 1 failed (the reason and the logs are printed), 77
skipped (harness.skip: set as the ctest test's SKIP_RETURN_CODE).
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

SKIP_RETURN_CODE = 77


class TestFailure(AssertionError):
    """A check failed; main() prints the message and exits 1."""


class Skipped(Exception):
    """The test cannot run here; main() prints the reason and exits 77."""


def check(condition, message):
    """Fails the test with `message` unless `condition` holds."""
    if not condition:
        raise TestFailure(message)


def check_equal(actual, expected, what):
    if actual != expected:
        raise TestFailure(f"{what}: expected {expected!r}, got {actual!r}")


def skip(reason):
    raise Skipped(reason)


def free_port():
    """A TCP port on 127.0.0.1 that nobody listens on right now. Another
    process may still take it before we do: Node.start retries on that."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- HTTP -----------------------------------------------------------------

def http(method, url, body=None, timeout=10):
    """One request; returns (status, JSON body or None, or the text if not
    JSON). Error statuses are returned, not raised; no answer raises OSError."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    if not raw:
        return status, None
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


def get_json(url, timeout=10):
    """GET that must answer 200 with JSON."""
    status, body = http("GET", url, timeout=timeout)
    check(status == 200, f"GET {url} answered {status}: {body}")
    return body


def post_json(url, body, timeout=10):
    """POST with a JSON body; returns (status, reply)."""
    return http("POST", url, body, timeout=timeout)


def poll_until(condition, timeout, what, interval=0.05):
    """Calls condition() until it returns something true; returns that.
    Fails the test after `timeout` seconds, naming `what` was awaited."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TestFailure(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


# --- Processes --------------------------------------------------------------

class Result:
    """A finished process: exit code and everything it printed."""

    def __init__(self, command, returncode, stdout, stderr):
        self.command, self.returncode = command, returncode
        self.stdout, self.stderr = stdout, stderr

    def describe(self):
        return (f"$ {' '.join(self.command)}\nexit {self.returncode}\n"
                f"--- stdout ---\n{self.stdout}--- stderr ---\n{self.stderr}")

    def expect_exit(self, code):
        """Fails, showing the whole output, unless the process exited `code`."""
        check(self.returncode == code,
              f"expected exit {code}, got {self.returncode}\n{self.describe()}")
        return self


class Process:
    """A program running in the background, its output kept in files.
    It runs in its own process group, so stopping it stops its children."""

    def __init__(self, command, workdir, name, cwd=None, env=None):
        self.command, self.name = [str(part) for part in command], name
        self.stdout_path = os.path.join(workdir, f"{name}.stdout")
        self.stderr_path = os.path.join(workdir, f"{name}.stderr")
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.popen = subprocess.Popen(self.command, stdout=out, stderr=err,
                                          stdin=subprocess.DEVNULL, cwd=cwd, env=env,
                                          start_new_session=True)

    def running(self):
        return self.popen.poll() is None

    def output(self):
        with open(self.stdout_path, errors="replace") as out, \
                open(self.stderr_path, errors="replace") as err:
            return out.read(), err.read()

    def wait(self, timeout):
        """Waits for the exit; kills it and fails the test after `timeout` s."""
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.popen.wait()
            stdout, stderr = self.output()
            raise TestFailure(f"{self.name} did not finish within {timeout} s\n"
                              + Result(self.command, "killed", stdout, stderr).describe())
        return Result(self.command, self.popen.returncode, *self.output())

    def signal(self, signum):
        if self.running():
            try:
                os.killpg(self.popen.pid, signum)
            except ProcessLookupError:
                pass

    def stop(self, timeout=10):
        """SIGTERM, then SIGKILL if it has not exited within `timeout` s."""
        self.signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.popen.wait()


class Node(Process):
    """A dsc node: `dsc SYSTEM serve --listen 127.0.0.1:PORT --data DIR ARGS...`,
    started and ready (GET /health answers 200) when the constructor returns.
    Use it in a `with` block, or call stop()."""

    def __init__(self, dsc, system, workdir, name, port=None, args=(), ready_timeout=30):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = os.path.join(workdir, f"{name}-data")
        command = [dsc, system, "serve", "--listen", f"127.0.0.1:{self.port}",
                   "--data", self.data_dir, *args]
        super().__init__(command, workdir, name)
        self._wait_ready(ready_timeout)

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                stdout, stderr = self.output()
                raise TestFailure(f"node {self.name} exited before it was ready\n"
                                  + Result(self.command, self.popen.returncode,
                                           stdout, stderr).describe())
            try:
                if http("GET", self.url + "/health", timeout=2)[0] == 200:
                    return
            except OSError:
                pass  # not listening yet
            time.sleep(0.05)
        self.stop()
        raise TestFailure(f"node {self.name} not ready on {self.url} within {timeout} s\n"
                          + Result(self.command, "stopped", *self.output()).describe())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class Context:
    """What a test case gets: the dsc binary, the source tree, a scratch
    directory, and helpers that clean up after themselves."""

    def __init__(self, dsc, repo, workdir):
        self.dsc, self.repo, self.workdir = dsc, repo, workdir
        self.processes = []
        self._names = {}

    def _unique(self, name):
        self._names[name] = self._names.get(name, 0) + 1
        return name if self._names[name] == 1 else f"{name}-{self._names[name]}"

    def node(self, system, name=None, port=None, args=()):
        """Starts `dsc SYSTEM serve` on a free port (or `port`). A port that
        turned out busy (the node exits at once) is replaced, twice at most."""
        for attempt in range(3):
            try:
                node = Node(self.dsc, system, self.workdir, self._unique(name or system),
                            port, args)
                self.processes.append(node)
                return node
            except TestFailure:
                if port is not None or attempt == 2:
                    raise

    def client_command(self, language, script):
        """The command line that runs clients/<language>'s `script` (a name
        without extension, like "queue_producer"): Python from the clients'
        venv, or Node on the built TypeScript. Skips the test when the
        client is not set up, and fails it when the build is stale."""
        if language == "python":
            folder = os.path.join(self.repo, "clients", "python")
            python = os.path.join(folder, ".venv", "bin", "python")
            if not os.access(python, os.X_OK):
                skip(f"{python} is missing: run clients/setup.sh (make deps does)")
            return [python, os.path.join(folder, f"{script}.py")]
        folder = os.path.join(self.repo, "clients", "ts")
        dist = os.path.join(folder, "dist")
        built = os.path.join(dist, ".built")
        if not os.path.exists(built):
            skip(f"{dist} is not built: run clients/setup.sh (make deps does)")
        newest_source = max(os.path.getmtime(os.path.join(folder, "src", name))
                            for name in os.listdir(os.path.join(folder, "src")))
        check(newest_source <= os.path.getmtime(built),
              f"{dist} is older than clients/ts/src: run clients/setup.sh to rebuild it")
        return ["node", os.path.join(dist, f"{script}.js")]

    def start(self, command, name, cwd=None, env=None):
        """Starts a program in the background (see Process)."""
        process = Process(command, self.workdir, self._unique(name), cwd, env)
        self.processes.append(process)
        return process

    def run(self, command, name, timeout=60, cwd=None, env=None):
        """Runs a program to its end; returns its Result (any exit code)."""
        return self.start(command, name, cwd, env).wait(timeout)

    def cleanup(self):
        for process in self.processes:
            process.stop()


def main(cases):
    """Runs the test case named on the command line (see the module doc)."""
    parser = argparse.ArgumentParser(description="Run one process-level test case.")
    parser.add_argument("--dsc", required=True, help="the built dsc binary")
    parser.add_argument("--repo", required=True, help="the source tree")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    parser.add_argument("case", choices=sorted(cases))
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix=f"dsc-{args.case}-")
    ctx = Context(os.path.abspath(args.dsc), os.path.abspath(args.repo), workdir)
    outcome = 1
    try:
        cases[args.case](ctx)
        print(f"PASS {args.case}")
        outcome = 0
    except Skipped as reason:
        print(f"SKIP {args.case}: {reason}")
        outcome = SKIP_RETURN_CODE
    except TestFailure as failure:
        print(f"FAIL {args.case}: {failure}")
    except Exception:  # a bug in the test itself, or an unexpected error
        print(f"FAIL {args.case}: unexpected error\n{traceback.format_exc()}")
    finally:
        ctx.cleanup()
        if outcome == 1 or args.keep:
            print(f"scratch directory (logs, data): {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    sys.stdout.flush()
    sys.exit(outcome)
