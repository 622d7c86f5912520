"""Unit tests of scripts/check-references.py on tiny git trees made in a temp directory.

  python3 -m unittest discover -s scripts/tests
"""

import importlib.util
import os
import subprocess
import sys
import tempfile
import unittest

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "check-references.py")
_spec = importlib.util.spec_from_file_location("check_references", SCRIPT)
check_references = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_references)

# Spelled in parts so that this file does not trip the checker itself.
OLD_DESIGN_DIR = "../" + "shared"
MACHINE_PATH = "/" + "work/"


class Tree:
    """A git repository in a temp directory with the given files, all tracked."""

    def __init__(self, files):
        self._dir = tempfile.TemporaryDirectory()
        self.root = self._dir.name
        for path, text in files.items():
            full = os.path.join(self.root, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w", encoding="utf-8") as f:
                f.write(text)
        subprocess.run(["git", "init", "-q", self.root], check=True)
        subprocess.run(["git", "-C", self.root, "add", "-A"], check=True)

    def problems(self):
        return check_references.check(self.root)

    def close(self):
        self._dir.cleanup()


# A small repository whose every reference is true.
GOOD = {
    "README.md": "# x\n\nThe log is in `wal/log.h`; design in `docs/DESIGN.md`.\n"
                 "Build output lands in `build/nodes/dsc/dsc` and `.lab/queue/`.\n"
                 "```sh\ncat no/such/file.h   # commands in a fence are not references\n```\n",
    "docs/DESIGN.md": "See `wal/` and `compose/SYSTEM.yml` and `wal/*.cc`;"
                      " LevelDB's `doc/log_format.md`.\n",
    "wal/log.h": "// The format is in wal/format.h; tests in log_test.cc.\n"
                 "#include <linux/magic.h>  // values from <linux/magic.h>\n"
                 "int half = base/2;  // base/2 is a ratio\n",
    "wal/format.h": "/* see docs/DESIGN.md */\n",
    "compose/queue.yml": "# the image is built from compose/Dockerfile\n",
    "compose/Dockerfile": "# built by compose/queue.yml\nFROM debian\n",
    "scripts/tool.py": '"""Reads wal/format.h."""\nURL = "http://127.0.0.1:7000/tasks"\n',
    "book/src/part/chapter.md": "{{#include ../../../wal/log.h}}\n\n`../../../wal/format.h`\n",
}


class CheckReferencesTest(unittest.TestCase):
    def check_tree(self, files):
        tree = Tree(files)
        self.addCleanup(tree.close)
        return tree.problems()

    def test_Check_GoodTreeHasNoProblems(self):
        self.assertEqual(self.check_tree(GOOD), [])

    def test_Check_OldDesignDirectoryIsReported(self):
        files = dict(GOOD)
        files["README.md"] = GOOD["README.md"] + f"\nHouse rules: `{OLD_DESIGN_DIR}/STYLE.md`.\n"
        problems = self.check_tree(files)
        self.assertTrue(any(p.startswith("README.md:9:") and OLD_DESIGN_DIR in p
                            for p in problems), problems)

    def test_Check_MachinePathIsReportedAnywhere(self):
        files = dict(GOOD)
        files["scripts/run.sh"] = f'#!/bin/sh\ncd {MACHINE_PATH}main\n'
        problems = self.check_tree(files)
        self.assertEqual([p for p in problems if p.startswith("scripts/run.sh:")],
                         [f"scripts/run.sh:2: names '{MACHINE_PATH}', which a clone does not "
                          "have (use docs/)"])

    def test_Check_MissingPathInMarkdownIsReported(self):
        files = dict(GOOD)
        files["docs/DESIGN.md"] = GOOD["docs/DESIGN.md"] + "The reader is `wal/log_reader.h`.\n"
        self.assertEqual(self.check_tree(files),
                         ["docs/DESIGN.md:2: names `wal/log_reader.h`, which does not exist"])

    def test_Check_MissingPathInCommentIsReported(self):
        files = dict(GOOD)
        files["wal/log.h"] = GOOD["wal/log.h"] + "// as foo/bar.h does\nint x;\n"
        self.assertEqual(self.check_tree(files),
                         ["wal/log.h:4: names `foo/bar.h`, which does not exist"])

    def test_Check_PathsInCodeOutsideCommentsAreNotReferences(self):
        files = dict(GOOD)
        files["wal/log.h"] = GOOD["wal/log.h"] + 'const char* kPath = "foo/bar.h";\n'
        self.assertEqual(self.check_tree(files), [])

    def test_Check_MissingPathInPythonDocstringIsReported(self):
        files = dict(GOOD)
        files["scripts/tool.py"] = '"""Reads wal/missing.h."""\n'
        self.assertEqual(self.check_tree(files),
                         ["scripts/tool.py:1: names `wal/missing.h`, which does not exist"])

    def test_Check_MissingIncludeFromAChapterIsReported(self):
        files = dict(GOOD)
        files["book/src/part/chapter.md"] = "`../../../wal/gone.cc`\n"
        self.assertEqual(self.check_tree(files),
                         ["book/src/part/chapter.md:1: names `../../../wal/gone.cc`, "
                          "which does not exist"])

    def test_Check_UnusedPendingEntryIsReported(self):
        entry = ("wal/log.h", "wal/never.h")
        saved = check_references.PENDING_OTHER_CHANGES
        check_references.PENDING_OTHER_CHANGES = (entry,)
        self.addCleanup(setattr, check_references, "PENDING_OTHER_CHANGES", saved)
        problems = self.check_tree(GOOD)
        self.assertEqual(len(problems), 1, problems)
        self.assertIn("no longer needed", problems[0])

    def test_Main_ExitsOneOnProblemsAndZeroWithout(self):
        files = dict(GOOD)
        files["docs/README.md"] = "`docs/NOPE.md`\n"
        bad = Tree(files)
        self.addCleanup(bad.close)
        good = Tree(GOOD)
        self.addCleanup(good.close)
        run = lambda root: subprocess.run([sys.executable, SCRIPT, root], capture_output=True,
                                          text=True)
        failed = run(bad.root)
        self.assertEqual(failed.returncode, 1, failed.stdout + failed.stderr)
        self.assertIn("docs/README.md:1: names `docs/NOPE.md`, which does not exist",
                      failed.stdout)
        passed = run(good.root)
        self.assertEqual(passed.returncode, 0, passed.stdout + passed.stderr)


if __name__ == "__main__":
    unittest.main()
