#!/usr/bin/env python3
"""Runs the "## Run it" walkthroughs of book chapters (book/AUTHORING.md).

Every ```bash block under "## Run it" (up to the next "##" heading) runs in
order in one bash shell per chapter, from the repository root, with the
repository's build/nodes/dsc/dsc first on PATH, after `dsc lab down --wipe`
(and again after the last block). In a block:

  $ command            a command; a trailing backslash continues it
  # exit: N            (right after the command) the exit status it must have
  expected output      compared with stdout+stderr, trailing spaces trimmed
  ...                  a line that matches any number of lines

Placeholders in expected lines: <id> <n> <ms> <time> <any>.

Usage:
  walkthrough.py CHAPTER.md...        run them; exit 1 if any fails
  walkthrough.py --list DIR           print the chapters under DIR that have "## Run it"
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import markdown_blocks  # noqa: E402

RUN_IT = "Run it"
DEFAULT_TIMEOUT = 60.0
REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

_EXIT = re.compile(r"^# exit: (\d+)\s*$")
# What each placeholder matches (AUTHORING.md, "Run it").
PLACEHOLDERS = {
    "<id>": r"[A-Za-z0-9_-]+",
    "<n>": r"-?[0-9]+",
    "<ms>": r"-?[0-9][0-9.:TZ+-]*",
    "<time>": r"-?[0-9][0-9.:TZ+-]*",
    "<any>": r".*",
}
_PLACEHOLDER = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS))


class WalkthroughError(Exception):
    """The chapter's "Run it" section breaks the walkthrough rules."""


@dataclass
class Step:
    command: str
    expected: list = field(default_factory=list)  # expected output lines
    exit_status: int = 0
    line: int = 0  # 1-based line of the "$ " in the chapter


def parse_chapter(text, name="chapter"):
    """The steps of the chapter's "## Run it" section ([] when it has none)."""
    section = markdown_blocks.section_lines(text, RUN_IT)
    if section is None:
        return []
    first, end = section
    blocks, _ = markdown_blocks.scan(text)
    steps = []
    for block in blocks:
        if not first <= block.start_line < end or block.language != "bash":
            continue
        steps.extend(parse_block(block.lines, block.start_line + 1, name))
    if not steps:
        raise WalkthroughError(f"{name}: '## Run it' has no ```bash block with a '$ ' command")
    return steps


def parse_block(lines, first_line, name="chapter"):
    """Steps of one bash block whose first content line is `first_line`."""
    steps = []
    index = 0
    while index < len(lines):
        line = lines[index]
        number = first_line + index
        if not line.startswith("$ "):
            if line.strip():
                raise WalkthroughError(
                    f"{name}:{number}: output before the first '$ ' command of the block: {line}")
            index += 1
            continue
        command = line[2:]
        index += 1
        while command.endswith("\\") and index < len(lines):
            command += "\n" + lines[index]
            index += 1
        step = Step(command=command, line=number)
        if index < len(lines) and _EXIT.match(lines[index]):
            step.exit_status = int(_EXIT.match(lines[index]).group(1))
            index += 1
        while index < len(lines) and not lines[index].startswith("$ "):
            step.expected.append(lines[index].rstrip())
            index += 1
        step.expected = _trim_blank_tail(step.expected)
        steps.append(step)
    return steps


def _trim_blank_tail(lines):
    lines = list(lines)
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def line_pattern(expected):
    """A regex matching one expected line with its placeholders."""
    parts, position = [], 0
    for match in _PLACEHOLDER.finditer(expected):
        parts.append(re.escape(expected[position:match.start()]))
        parts.append(PLACEHOLDERS[match.group(0)])
        position = match.end()
    parts.append(re.escape(expected[position:]))
    return re.compile("".join(parts) + r"\Z")


def output_matches(expected, actual):
    """True when the actual lines match the expected ones ("..." = any lines)."""
    patterns = [None if e == "..." else line_pattern(e) for e in expected]
    # matches[i][j]: expected[i:] matches actual[j:]
    rows, cols = len(patterns), len(actual)
    matches = [[False] * (cols + 1) for _ in range(rows + 1)]
    matches[rows][cols] = True
    for i in range(rows - 1, -1, -1):
        for j in range(cols, -1, -1):
            if patterns[i] is None:
                matches[i][j] = matches[i + 1][j] or (j < cols and matches[i][j + 1])
            else:
                matches[i][j] = (j < cols and patterns[i].match(actual[j]) is not None
                                 and matches[i + 1][j + 1])
    return matches[0][0]


def first_difference(expected, actual):
    """The 1-based expected line where a simple in-order match first fails."""
    j = 0
    for i, line in enumerate(expected):
        if line == "...":
            return None  # with "..." the first difference is ambiguous
        if j >= len(actual) or not line_pattern(line).match(actual[j]):
            return i + 1
        j += 1
    return len(expected) + 1 if j < len(actual) else None


class Shell:
    """One bash process for a whole chapter: cd and variables persist.

    Each command goes to a file that the shell sources with its output
    (stdout and stderr together) redirected to another file, then writes the
    exit status to a third. Waiting for that file, with a deadline, is how a
    hanging command times out instead of hanging CI.
    """

    def __init__(self, cwd, env):
        self.dir = tempfile.mkdtemp(prefix="dsc-walkthrough-")
        self.count = 0
        # Own session: on a timeout the whole process group goes.
        self.process = subprocess.Popen(
            ["bash", "--noprofile", "--norc"], stdin=subprocess.PIPE, cwd=cwd, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
            start_new_session=True)

    def run(self, command, timeout):
        """(exit status or None on timeout, output lines)."""
        self.count += 1
        base = os.path.join(self.dir, str(self.count))
        with open(base + ".sh", "w") as f:
            f.write(command + "\n")
        script = (f". {base}.sh >{base}.out 2>&1 </dev/null\n"
                  f"echo $? >{base}.status.tmp && mv {base}.status.tmp {base}.status\n")
        try:
            self.process.stdin.write(script)
            self.process.stdin.flush()
        except BrokenPipeError:
            pass
        deadline = time.monotonic() + timeout
        status = None
        while time.monotonic() < deadline:
            if os.path.exists(base + ".status"):
                with open(base + ".status") as f:
                    status = int(f.read().strip() or "1")
                break
            if self.process.poll() is not None:
                break  # the shell itself ended (e.g. the command ran `exit`)
            time.sleep(0.02)
        output = ""
        if os.path.exists(base + ".out"):
            with open(base + ".out", encoding="utf-8", errors="replace") as f:
                output = f.read()
        lines = _trim_blank_tail(line.rstrip() for line in output.split("\n"))
        return status, lines

    @property
    def alive(self):
        return self.process.poll() is None

    def close(self):
        try:
            self.process.stdin.close()
        except OSError:
            pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def walkthrough_env(dsc_dir):
    env = dict(os.environ)
    env["PATH"] = dsc_dir + os.pathsep + env.get("PATH", "")
    env["NO_COLOR"] = "1"  # no colour codes in output we compare
    env["TERM"] = "dumb"
    return env


def lab_down(env, cwd):
    """Runs `dsc lab down --wipe`; returns a problem text or None."""
    try:
        done = subprocess.run(["dsc", "lab", "down", "--wipe"], cwd=cwd, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"dsc lab down --wipe failed: {error}"
    if done.returncode != 0:
        return f"dsc lab down --wipe exited {done.returncode}: {done.stdout.strip()}"
    return None


def indent(lines):
    return "\n".join("    | " + line for line in lines) if lines else "    (nothing)"


def describe_failure(name, step, status, actual, timeout):
    where = f"{name}:{step.line}"
    text = [f"FAIL {where}", "  command:", indent(step.command.split("\n"))]
    if status is None:
        text.insert(1, f"  the command did not finish within {timeout:g} s (timed out)")
    elif status != step.exit_status:
        text.insert(1, f"  exit status {status}, expected {step.exit_status}"
                       + ("" if step.exit_status else " (add '# exit: N' if the failure is meant)"))
    else:
        line = first_difference(step.expected, actual)
        text.insert(1, "  output differs" + (f" (first at expected line {line})" if line else ""))
    text += ["  expected:", indent(step.expected), "  got:", indent(actual)]
    return "\n".join(text)


def run_chapter(path, repo=REPO, dsc_dir=None, timeout=DEFAULT_TIMEOUT, out=sys.stdout):
    """Runs one chapter's walkthrough; True when every step matched."""
    name = os.path.relpath(path, repo) if path.startswith(repo) else path
    with open(path, encoding="utf-8") as f:
        try:
            steps = parse_chapter(f.read(), name)
        except WalkthroughError as error:
            print(f"FAIL {error}", file=out)
            return False
    if not steps:
        print(f"SKIP {name}: no '## Run it' section", file=out)
        return True
    env = walkthrough_env(dsc_dir or os.path.join(repo, "build", "nodes", "dsc"))
    problem = lab_down(env, repo)
    if problem:
        print(f"FAIL {name}: before the walkthrough: {problem}", file=out)
        return False
    shell = Shell(repo, env)
    ok = True
    try:
        for step in steps:
            status, actual = shell.run(step.command, timeout)
            if (status == step.exit_status and output_matches(step.expected, actual)):
                continue
            print(describe_failure(name, step, status, actual, timeout), file=out)
            ok = False
            break  # later steps depend on this one
    finally:
        shell.close()
        problem = lab_down(env, repo)
        if problem:
            print(f"FAIL {name}: after the walkthrough: {problem}", file=out)
            ok = False
    if ok:
        print(f"PASS {name} ({len(steps)} commands)", file=out)
    return ok


def chapters_with_walkthroughs(directory):
    found = []
    for root, dirs, files in os.walk(directory):
        dirs.sort()
        for file_name in sorted(files):
            if file_name.endswith(".md"):
                path = os.path.join(root, file_name)
                with open(path, encoding="utf-8") as f:
                    if markdown_blocks.section_lines(f.read(), RUN_IT) is not None:
                        found.append(path)
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("chapters", nargs="*", help="chapter Markdown files to run")
    parser.add_argument("--list", metavar="DIR", help="list chapters under DIR with '## Run it'")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"seconds one command may take (default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--repo", default=REPO, help="where commands run (default: this repository)")
    parser.add_argument("--dsc-dir", help="directory put first on PATH "
                                          "(default: REPO/build/nodes/dsc)")
    args = parser.parse_args(argv)
    if args.list:
        for path in chapters_with_walkthroughs(args.list):
            print(path)
        return 0
    if not args.chapters:
        parser.error("name at least one chapter (or --list DIR)")
    repo = os.path.abspath(args.repo)
    dsc_dir = os.path.abspath(args.dsc_dir) if args.dsc_dir else None
    if dsc_dir is None and not os.access(os.path.join(repo, "build/nodes/dsc/dsc"), os.X_OK):
        print(f"walkthrough: {repo}/build/nodes/dsc/dsc is missing: build it first "
              "(cmake --build build --target dsc)", file=sys.stderr)
        return 2
    results = [run_chapter(os.path.abspath(c), repo, dsc_dir, args.timeout) for c in args.chapters]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
