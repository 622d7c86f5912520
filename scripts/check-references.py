#!/usr/bin/env python3
"""Checks that the repository's pointers to its own files are true.

  scripts/check-references.py [ROOT]     (ROOT: default, this repository)

Reads every tracked file (git ls-files) and reports, one line each as
FILE:LINE: PROBLEM, and exits 1 when there is any:

  * a mention of the design directory that used to sit beside the
    repository, or of an absolute path of the machine it was written on
    (a clone has neither: the design lives in docs/);
  * a path of this repository that does not exist, where it is named
    - in Markdown, inside `backticks` or an HTML comment (fenced code
      blocks are commands and output, not references, and are skipped);
    - in code, inside a comment or a Python docstring.
    A word counts as a path when it has a '/' and either ends in a known
    extension (.h .cc .md .sh .py ...) or starts with a top-level
    directory of the repository. It exists when it names a file or a
    directory relative to the root, or to the citing file's directory
    or any directory above it. Next to a wildcard or placeholder (*, <,
    {, $) only its directory part is checked.

A file of another project is written OWNER/REPO:PATH (as in
`google/leveldb:db/log_reader.cc`); the checker leaves those alone.
Python 3 standard library only.
"""

import os
import re
import subprocess
import sys

# Spelled in two parts so that this file does not report itself.
FORBIDDEN = ("../" + "shared", "/" + "work/")

KNOWN_EXTENSIONS = (".h", ".cc", ".md", ".sh", ".py", ".yml", ".yaml", ".txt",
                    ".cmake", ".json", ".toml", ".ts", ".mjs")

# Generated paths: they exist only after a build, a lab run or a client
# setup, never in a clean clone, so they are never checked.
GENERATED_PREFIXES = (
    "build/",            # cmake's build directory (also build-asan/, build-fuzz/)
    "build-",
    ".lab/",             # dsc lab's data, logs and pid files
    "book/build/",       # mdBook's output
    "book/tests/node_modules/",
    "clients/ts/dist/",  # the TypeScript clients' build (clients/setup.sh)
    "clients/ts/node_modules/",
    "clients/python/.venv/",
)

# Tracked files that are not ours to check: vendored or generated content,
# binary fuzz inputs, and the book checker's fixtures, which cite missing
# files on purpose.
SKIPPED_FILES = (
    "book/mermaid.min.js",
    "fuzz/corpus/",
    "book/tools/tests/fixtures/",
    "package-lock.json",
)

# Files outside this repository that comments and docs cite by their path
# in another project (a system header, LevelDB, LogCabin, beanstalkd).
OTHER_PROJECTS = (
    "linux/magic.h",
    "doc/log_format.md",
    "db/log_reader.cc",
    "db/log_test.cc",
    "db/db_impl.cc",
    "db/fault_injection_test.cc",
    "Server/RaftConsensus.h",
    "Storage/SegmentedLog.cc",
    "doc/protocol.txt",
)

# Upper-case words that stand for a name in a pattern (compose/SYSTEM.yml):
# only the directory before them is checked. Any upper-case component
# without an extension is one too (DIR/wal).
PLACEHOLDERS = ("NAME", "SYSTEM", "NODE", "ID", "DIR", "FILE", "PATH", "KEY")

# TEMPORARY. Problems in files that other changes in progress are
# rewriting, so they were left alone here: (file, the text it cites). Each
# entry goes when that change lands; the checker says when one is no longer
# needed, so this list cannot silently outlive them.
PENDING_OTHER_CHANGES = (
)

# A path-like word: letters, digits, _ . - joined by '/'. It may not
# continue a longer word, a URL (://), an OWNER/REPO:PATH, an absolute
# path or a placeholder.
PATH_WORD = re.compile(r"(?<![\w./$~:@*<>}\\-])[\w.-]+(?:/[\w.-]+)*/?")
GLOB_NEXT = "*<{$[…"

C_LIKE = (".h", ".cc", ".ts", ".mjs", ".js")
HASH_COMMENTS = (".py", ".sh", ".cmake", ".txt", ".yml", ".yaml", ".toml", ".in",
                 ".gitignore", ".dockerignore", ".clang-format", ".clang-tidy")
HASH_NAMES = ("Makefile", "Dockerfile", "CMakeLists.txt", "run")


def tracked_files(root):
    out = subprocess.run(["git", "-C", root, "ls-files", "-z"], check=True,
                         capture_output=True).stdout
    return [p for p in out.decode().split("\0") if p]


def skipped(path):
    return any(path == s or path.startswith(s) or path.endswith("/" + s) for s in SKIPPED_FILES)


def read_text(root, path):
    try:
        with open(os.path.join(root, path), "rb") as f:
            data = f.read()
    except OSError:  # tracked but deleted in the working tree
        return None
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def backtick_spans(line):
    return re.findall(r"`([^`]+)`", line)


def markdown_regions(text):
    """(line number, text) of what a Markdown file cites: inline code and HTML comments."""
    in_fence = False
    in_comment = False
    for number, line in enumerate(text.splitlines(), 1):
        if re.match(r"\s*(```|~~~)", line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        rest = line
        while rest:
            if in_comment:
                end = rest.find("-->")
                yield number, rest if end < 0 else rest[:end]
                if end < 0:
                    break
                in_comment = False
                rest = rest[end + 3:]
            else:
                start = rest.find("<!--")
                before = rest if start < 0 else rest[:start]
                for span in backtick_spans(before):
                    yield number, span
                if start < 0:
                    break
                in_comment = True
                rest = rest[start + 4:]


def c_like_comments(text):
    in_block = False
    for number, line in enumerate(text.splitlines(), 1):
        if in_block:
            end = line.find("*/")
            yield number, line if end < 0 else line[:end]
            if end >= 0:
                in_block = False
            continue
        # A // inside a string ("http://...") yields a harmless tail: URLs
        # are not path words.
        slash = line.find("//")
        block = line.find("/*")
        if slash >= 0 and (block < 0 or slash < block):
            yield number, line[slash + 2:]
        elif block >= 0:
            end = line.find("*/", block + 2)
            yield number, line[block + 2:] if end < 0 else line[block + 2:end]
            in_block = end < 0


def hash_comments(text, python):
    in_doc = None
    for number, line in enumerate(text.splitlines(), 1):
        if python:
            if in_doc:
                end = line.find(in_doc)
                yield number, line if end < 0 else line[:end]
                if end >= 0:
                    in_doc = None
                continue
            stripped = line.lstrip()
            for quote in ('"""', "'''"):
                if stripped.startswith(quote) or stripped.startswith("r" + quote):
                    body = stripped[stripped.find(quote) + 3:]
                    end = body.find(quote)
                    yield number, body if end < 0 else body[:end]
                    if end < 0:
                        in_doc = quote
                    break
            else:
                match = re.search(r"(?:^|\s)#(.*)", line)
                if match:
                    yield number, match.group(1)
            continue
        # A # that starts the line or follows a space; not $# or ${#x}.
        match = re.search(r"(?:^|\s)#(?![{])(.*)", line)
        if match:
            yield number, match.group(1)


def cited_regions(path, text):
    name = os.path.basename(path)
    if path.endswith(".md"):
        return markdown_regions(text)
    if path.endswith(C_LIKE):
        return c_like_comments(text)
    if path.endswith(".py"):
        return hash_comments(text, python=True)
    if path.endswith(HASH_COMMENTS) or name in HASH_NAMES or "." not in name:
        return hash_comments(text, python=False)
    return iter(())


def is_placeholder(component):
    stem = component.split(".")[0]
    if "." in component:
        return stem in PLACEHOLDERS
    return re.fullmatch(r"[A-Z][A-Z0-9_]*", component) is not None


def path_words(region, top_dirs):
    """The words of region that name a repository path.

    Yields (word, target, relative_up, dir_only): target is the word without
    its leading ./ and ../, relative_up whether it had ../ (relative to a
    file other than the citing one, as in a chapter's include), dir_only
    whether only its directory part can be checked.
    """
    for match in PATH_WORD.finditer(region):
        word = match.group(0).rstrip(".")
        if region[match.end():match.end() + 3] == "://":
            continue
        target = word
        while target.startswith("./"):
            target = target[2:]
        relative_up = target.startswith("../")
        while target.startswith("../"):
            target = target[3:]
        components = [c for c in target.split("/") if c]
        if len(components) < 2 and not (len(components) == 1 and target.endswith("/")):
            continue
        if "/" not in target or components[-1].isdigit():  # a ratio: base/2
            continue
        if not (target.endswith(KNOWN_EXTENSIONS) or components[0] in top_dirs):
            continue
        after = region[match.end():match.end() + 1]
        dir_only = bool(after) and after in GLOB_NEXT
        for i, component in enumerate(components):
            if is_placeholder(component):
                components = components[:i]
                dir_only = False
                break
        if not components:
            continue
        target = "/".join(components) + ("/" if target.endswith("/") else "")
        yield word, target, relative_up, dir_only


def exists(root, citing, target, relative_up, dir_only, tracked):
    if dir_only and not target.endswith("/"):
        target = target[:target.rfind("/") + 1]
    target = target.strip("/")
    if not target or target in OTHER_PROJECTS:
        return True
    if any((target + "/").startswith(p) for p in GENERATED_PREFIXES):
        return True
    if relative_up:
        # Relative to some file we cannot know (a chapter, for a template):
        # any tracked path that ends with it will do.
        return any(t == target or t.endswith("/" + target) for t in tracked)
    directory = os.path.dirname(citing)
    bases = [""]
    while directory:
        bases.append(directory)
        directory = os.path.dirname(directory)
    return any(os.path.exists(os.path.join(root, base, target)) for base in bases)


def check(root):
    """Every problem in the tracked files under root, as "FILE:LINE: TEXT"."""
    files = tracked_files(root)
    top_dirs = {f.split("/")[0] for f in files if "/" in f}
    tracked = set(files)
    for f in files:  # and every directory that holds a tracked file
        while "/" in f:
            f = f.rsplit("/", 1)[0]
            tracked.add(f)
    problems = []
    pending_used = set()
    for path in files:
        if skipped(path):
            continue
        text = read_text(root, path)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            for needle in FORBIDDEN:
                if needle in line:
                    problems.append((path, number, needle,
                                     f"names '{needle}', which a clone does not have (use docs/)"))
        seen = set()
        for number, region in cited_regions(path, text):
            for word, target, relative_up, dir_only in path_words(region, top_dirs):
                if (number, word) in seen:
                    continue
                seen.add((number, word))
                if not exists(root, path, target, relative_up, dir_only, tracked):
                    problems.append((path, number, word, f"names `{word}`, which does not exist"))
    reported = []
    for path, number, cited, message in problems:
        if (path, cited) in PENDING_OTHER_CHANGES:
            pending_used.add((path, cited))
            continue
        reported.append(f"{path}:{number}: {message}")
    for entry in PENDING_OTHER_CHANGES:
        if entry not in pending_used:
            reported.append(f"scripts/check-references.py: PENDING_OTHER_CHANGES entry {entry!r} "
                            "is no longer needed: remove it")
    return reported


def main(argv):
    root = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                      "..")
    problems = check(os.path.abspath(root))
    for problem in problems:
        print(problem)
    if problems:
        print(f"check-references: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print("check-references: every reference is true")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
