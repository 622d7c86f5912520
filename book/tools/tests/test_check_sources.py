"""Unit tests of check_sources.py and quiz_format.py on the fixtures in fixtures/."""

import io
import os
import sys
import unittest
from contextlib import redirect_stdout

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import check_sources  # noqa: E402
import html_links  # noqa: E402
import quiz_format  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
GOOD = os.path.join(FIXTURES, "sources", "good")
BAD = os.path.join(FIXTURES, "sources", "bad")


def problems_in(src, name):
    return [p for p in check_sources.check_sources(src) if os.path.basename(p.split(":")[0]) == name]


class IncludeTest(unittest.TestCase):
    def test_CheckSources_GoodChapterHasNoProblems(self):
        self.assertEqual(check_sources.check_sources(GOOD), [])

    def test_CheckSources_MissingFileIsCaught(self):
        problems = problems_in(BAD, "missing.md")
        self.assertTrue(any("missing.md:4: included file does not exist: ../../code/no_such_file.cc"
                            in p for p in problems), problems)

    def test_CheckSources_MissingAnchorIsCaught(self):
        problems = problems_in(BAD, "missing.md")
        self.assertTrue(any(":8: 'ANCHOR: no_such_anchor' appears 0 times" in p for p in problems),
                        problems)
        self.assertTrue(any(":8: 'ANCHOR_END: no_such_anchor' appears 0 times" in p
                            for p in problems), problems)

    def test_CheckSources_DuplicateAnchorIsCaught(self):
        problems = problems_in(BAD, "missing.md")
        self.assertTrue(any(":12: 'ANCHOR: twice' appears 2 times" in p for p in problems), problems)

    def test_CheckSources_AnchorNameMustBeSnakeCase(self):
        problems = problems_in(BAD, "missing.md")
        self.assertTrue(any(":16: anchor 'Bad-Name' is not lower_snake_case" in p for p in problems),
                        problems)

    def test_CheckSources_CodeBlockLanguagesAreChecked(self):
        problems = problems_in(BAD, "blocks.md")
        self.assertEqual(len(problems), 2, problems)
        self.assertIn("blocks.md:3: code block names no language", problems[0])
        self.assertIn("blocks.md:7: unknown code block language 'dockerfile'", problems[1])

    def test_CheckSources_BadQuizIsCaughtWithLineNumbers(self):
        problems = problems_in(BAD, "quiz.md")
        expected = [
            ":4: quiz: a question has either options or accepted answers, never both",
            ":10: quiz: a question needs exactly one explanation ('> '), found 0",
            ":13: quiz: no option is marked correct",
            ":18: quiz: a question needs exactly one explanation ('> '), found 2",
            ":23: quiz: expected '- [x] ', '- [ ] ', '= ', '> '",
        ]
        for fragment in expected:
            self.assertTrue(any(fragment in p for p in problems), (fragment, problems))
        self.assertEqual(len(problems), len(expected), problems)

    def test_CheckHtml_UnexpandedIncludeIsCaughtEscapedOneIsNot(self):
        html = os.path.join(FIXTURES, "html")
        src = os.path.join(FIXTURES, "sources", "good")
        problems = check_sources.check_html(src, html)
        self.assertEqual(len(problems), 1, problems)
        self.assertIn("missing.html: '{{#' appears 1 times", problems[0])

    def test_Main_ExitsNonZeroOnProblems(self):
        with redirect_stdout(io.StringIO()) as out:
            self.assertEqual(check_sources.main(["--src", BAD]), 1)
        self.assertIn("problems", out.getvalue())
        with redirect_stdout(io.StringIO()):
            self.assertEqual(check_sources.main(["--src", GOOD]), 0)


class TemplateTest(unittest.TestCase):
    FULL = "# Session 9\n\n" + "".join(f"## {h}\n\ntext\n\n" for h in check_sources.TEMPLATE_HEADINGS)

    def test_CheckTemplate_FullChapterInOrderPasses(self):
        self.assertEqual(check_sources.check_template("session-09-x.md", self.FULL), [])

    def test_CheckTemplate_MissingOrSwappedHeadingIsCaught(self):
        missing = self.FULL.replace("## Quiz\n", "## Questions\n")
        swapped = self.FULL.replace("## Exercises\n", "## TMP\n").replace(
            "## Quiz\n", "## Exercises\n").replace("## TMP\n", "## Quiz\n")
        for text in (missing, swapped):
            problems = check_sources.check_template("session-09-x.md", text)
            self.assertEqual(len(problems), 1, problems)
            self.assertIn("not the template's", problems[0])

    def test_CheckTemplate_StubNeedsOnlyObjectivesOtherPagesNothing(self):
        stub = "# Session 9\n\n> [!NOTE]\n> Arrives with Raft.\n\n## Learning objectives\n\n- x\n"
        self.assertEqual(check_sources.check_template("session-09-x.md", stub), [])
        self.assertEqual(len(check_sources.check_template("session-09-x.md", stub.replace(
            "## Learning objectives", "## Goals"))), 1)
        self.assertEqual(check_sources.check_template("glossary.md", "# Glossary\n"), [])

    def test_CheckTemplate_HeadingsInCodeBlocksDoNotCount(self):
        text = self.FULL.replace("## Concepts\n", "```text\n## Concepts\n```\n")
        self.assertEqual(len(check_sources.check_template("session-09-x.md", text)), 1)


class DumpQuizzesTest(unittest.TestCase):
    def test_QuizzesByPage_GivesTheAnswerKey(self):
        pages = check_sources.quizzes_by_page(GOOD)
        self.assertEqual(list(pages), ["chapter.html"])
        questions = pages["chapter.html"]
        self.assertEqual([q["kind"] for q in questions], ["choice", "short", "choice"])
        self.assertEqual([o["correct"] for o in questions[0]["options"]], [False, True, False])
        self.assertEqual(questions[1]["answers"], ["204", "204 No Content"])
        self.assertEqual(questions[1]["explanation"],
                         "No body: there is nothing to hand out. "
                         "(Two explanation lines in a row are one explanation.)")


class HtmlLinksTest(unittest.TestCase):
    def test_CheckLinks_BrokenPagesAndFragmentsAreCaught(self):
        problems = html_links.check_links(os.path.join(FIXTURES, "linked_html"))
        self.assertEqual(problems, [
            "part/chapter.html:4: link '../index.html#no-such-heading': "
            "no element with id 'no-such-heading' in index.html",
            "part/chapter.html:5: link 'missing.html': no such page",
            "part/chapter.html:6: link '#nowhere': no element with id 'nowhere' in part/chapter.html",
        ])


class QuizFormatTest(unittest.TestCase):
    def test_Parse_BothKindsFromAuthoringExample(self):
        lines = ["? When?", "- [ ] early", "- [x] on disk", "> Because.", "",
                 "? Status", "  code?", "= 204", "= 204 No Content", "> No body."]
        questions, errors = quiz_format.parse(lines)
        self.assertEqual(errors, [])
        self.assertEqual([q.kind for q in questions], ["choice", "short"])
        self.assertEqual(questions[0].options, [("early", False), ("on disk", True)])
        self.assertEqual(questions[1].text, "Status code?")
        self.assertEqual(questions[1].answers, ["204", "204 No Content"])
        self.assertEqual(questions[1].explanation, "No body.")

    def test_Parse_QuestionsNeedBlankLineBetween(self):
        _, errors = quiz_format.parse(["? a", "= 1", "> x", "? b", "= 2", "> y"])
        self.assertIn((4, "a new question needs a blank line before it"), errors)

    def test_Parse_EmptyQuizIsAnError(self):
        _, errors = quiz_format.parse(["", ""])
        self.assertEqual(errors, [(1, "the quiz has no questions")])

    def test_NormalizeAnswer(self):
        self.assertEqual(quiz_format.normalize_answer("  204   No\tContent "), "204 no content")


if __name__ == "__main__":
    unittest.main()
