"""Unit tests of walkthrough.py against the fixture chapters in fixtures/walkthrough/.

A stand-in `dsc` (a script that logs its arguments) takes the place of the
real one, so these tests need no build and prove that the harness wipes the
lab before and after each chapter.
"""

import io
import os
import stat
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import walkthrough  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "walkthrough")
REPO = walkthrough.REPO


class RunChapterTest(unittest.TestCase):
    def setUp(self):
        self.bin = tempfile.TemporaryDirectory(prefix="fake-dsc-")
        self.log = os.path.join(self.bin.name, "calls.log")
        fake = os.path.join(self.bin.name, "dsc")
        with open(fake, "w") as f:
            f.write(f'#!/bin/sh\necho "$*" >> {self.log}\n')
        os.chmod(fake, os.stat(fake).st_mode | stat.S_IEXEC)

    def tearDown(self):
        self.bin.cleanup()

    def run_fixture(self, name, timeout=10):
        out = io.StringIO()
        ok = walkthrough.run_chapter(os.path.join(FIXTURES, name), REPO, self.bin.name,
                                     timeout, out)
        return ok, out.getvalue()

    def lab_calls(self):
        with open(self.log) as f:
            return f.read().splitlines()

    def test_RunChapter_MatchingWalkthroughPasses(self):
        ok, out = self.run_fixture("passing.md")
        self.assertTrue(ok, out)
        self.assertIn("PASS", out)
        self.assertIn("(7 commands)", out)  # not the text block's nor Exercises' line

    def test_RunChapter_WipesTheLabBeforeAndAfter(self):
        self.run_fixture("passing.md")
        self.assertEqual(self.lab_calls(), ["lab down --wipe", "lab down --wipe"])

    def test_RunChapter_PlaceholdersAndEllipsisMatch(self):
        ok, out = self.run_fixture("placeholders.md")
        self.assertTrue(ok, out)

    def test_RunChapter_WrongLineFailsWithReadableDiff(self):
        ok, out = self.run_fixture("wrong_output.md")
        self.assertFalse(ok)
        self.assertIn("wrong_output.md:8", out)  # chapter and line of the command
        self.assertIn("printf 'alpha\\nbeta\\n'", out)  # the command
        self.assertIn("output differs (first at expected line 2)", out)
        self.assertIn("expected:\n    | alpha\n    | gamma", out)
        self.assertIn("got:\n    | alpha\n    | beta", out)
        self.assertNotIn("never-reached", out.split("got:")[1])  # stops at the failure
        self.assertEqual(len(self.lab_calls()), 2)  # and still wipes the lab

    def test_RunChapter_NonZeroExitFailsUnlessDeclared(self):
        ok, out = self.run_fixture("failing_exit.md")
        self.assertFalse(ok)
        self.assertIn("exit status 2, expected 0", out)
        # passing.md declares the same command with "# exit: 2" and passes.
        self.assertTrue(self.run_fixture("passing.md")[0])

    def test_RunChapter_DeclaredExitMustMatch(self):
        ok, out = self.run_fixture("wrong_exit.md")
        self.assertFalse(ok)
        self.assertIn("exit status 1, expected 2", out)

    def test_RunChapter_HangingCommandTimesOut(self):
        start = time.monotonic()
        ok, out = self.run_fixture("hanging.md", timeout=1)
        self.assertFalse(ok)
        self.assertLess(time.monotonic() - start, 10)
        self.assertIn("did not finish within 1 s (timed out)", out)
        self.assertIn("sleep 30", out)
        self.assertEqual(len(self.lab_calls()), 2)

    def test_RunChapter_OutputBeforeFirstCommandIsAnError(self):
        ok, out = self.run_fixture("stray_output.md")
        self.assertFalse(ok)
        self.assertIn("stray_output.md:6: output before the first '$ ' command", out)


class ParseTest(unittest.TestCase):
    def test_ParseChapter_NoRunItSectionGivesNoSteps(self):
        self.assertEqual(walkthrough.parse_chapter("# T\n\n## Concepts\n\n```bash\n$ ls\n```\n"), [])

    def test_ParseChapter_ContinuationExitAndOutput(self):
        text = ("# T\n\n## Run it\n\n```bash\n$ echo a \\\n  b\n# exit: 3\nout 1\nout 2\n\n"
                "$ true\n```\n\n## Quiz\n")
        steps = walkthrough.parse_chapter(text)
        self.assertEqual(len(steps), 2)
        self.assertEqual(steps[0].command, "echo a \\\n  b")
        self.assertEqual(steps[0].exit_status, 3)
        self.assertEqual(steps[0].expected, ["out 1", "out 2"])
        self.assertEqual(steps[0].line, 6)
        self.assertEqual(steps[1].expected, [])

    def test_ParseChapter_RunItWithoutCommandsIsAnError(self):
        with self.assertRaises(walkthrough.WalkthroughError):
            walkthrough.parse_chapter("# T\n\n## Run it\n\nJust prose.\n")


class MatchTest(unittest.TestCase):
    def test_Placeholders(self):
        match = walkthrough.output_matches
        self.assertTrue(match(["id <id>"], ["id aB_9-x"]))
        self.assertFalse(match(["id <id>"], ["id a b"]))
        self.assertTrue(match(["<n> tasks"], ["-3 tasks"]))
        self.assertFalse(match(["<n> tasks"], ["3.5 tasks"]))
        self.assertTrue(match(["took <ms> ms"], ["took 12.75 ms"]))
        self.assertTrue(match(["at <time>"], ["at 2024-05-01T10:00:00.123Z"]))
        self.assertTrue(match(["x <any>"], ["x whatever [ ] ( ) *"]))
        self.assertFalse(match(["a.c"], ["abc"]))  # literal text is not a regex

    def test_Ellipsis(self):
        match = walkthrough.output_matches
        self.assertTrue(match(["..."], []))
        self.assertTrue(match(["a", "...", "z"], ["a", "z"]))
        self.assertTrue(match(["a", "...", "z"], ["a", "b", "c", "z"]))
        self.assertFalse(match(["a", "...", "z"], ["a", "b"]))
        self.assertFalse(match(["a"], ["a", "b"]))  # extra output is a difference


if __name__ == "__main__":
    unittest.main()
