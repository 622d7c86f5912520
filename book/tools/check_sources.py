#!/usr/bin/env python3
"""Checks the book's sources and built HTML for what mdBook does not catch.

  - every {{#include path}} / {{#include path:anchor}} in the chapters names
    a file that exists, and each anchor appears exactly once as
    "ANCHOR: name" and once as "ANCHOR_END: name" (in that order) in it:
    mdBook silently includes nothing for a missing anchor;
  - anchor names are lower_snake_case;
  - every code block names a language the book knows (AUTHORING.md);
  - every ```quiz block follows the quiz format (quiz_format.py);
  - every session chapter (session-NN-*.md) has the template's second-level
    headings of AUTHORING.md, in order; a stub (a "> [!NOTE]" before its
    first heading) needs only its learning objectives;
  - with --html: no "{{#" survives in the built pages (an include mdBook
    could not expand), except where a chapter escapes one as "\\{{#".

Usage: check_sources.py [--src book/src] [--html book/build/html]
Prints one line per problem ("file:line: message") and exits 1 if any.

check_sources.py --dump-quizzes prints every quiz as JSON by built page
instead: the answer key the browser check (book/tests) uses.
"""

import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import markdown_blocks  # noqa: E402
import quiz_format  # noqa: E402

# The languages of AUTHORING.md ("Code blocks always name their language"),
# plus the few more that mdBook's highlight.js knows and a chapter may need.
KNOWN_LANGUAGES = {
    "cpp", "python", "typescript", "bash", "yaml", "json", "text", "mermaid", "quiz",
    "toml", "http", "diff",
}

# mdBook's include-like links: {{#include file}}, {{#include file:anchor}},
# {{#include file:10:20}}, and the same for rustdoc_include. A backslash
# before "{{#" escapes the link (mdBook prints it literally).
_LINK = re.compile(r"(?P<escape>\\?)\{\{\s*#(?P<kind>include|rustdoc_include)\s+(?P<arg>[^}]*?)\s*\}\}")
_ANCHOR_NAME = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")
_LINE_RANGE = re.compile(r"^\d*(:\d*)?$")


def markdown_files(src):
    for root, dirs, files in os.walk(src):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(".md"):
                yield os.path.join(root, name)


def anchor_problems(path, anchor):
    """Why `anchor` cannot be included from `path` (empty list when it can)."""
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    # mdBook's own pattern: "ANCHOR: name" anywhere on a line, name made of
    # word characters and dashes.
    starts = [m.start() for m in re.finditer(r"\bANCHOR:\s*([\w-]+)", text) if m.group(1) == anchor]
    ends = [m.start() for m in re.finditer(r"\bANCHOR_END:\s*([\w-]+)", text) if m.group(1) == anchor]
    problems = []
    if len(starts) != 1:
        problems.append(f"'ANCHOR: {anchor}' appears {len(starts)} times in {path} (want exactly 1)")
    if len(ends) != 1:
        problems.append(f"'ANCHOR_END: {anchor}' appears {len(ends)} times in {path} (want exactly 1)")
    if len(starts) == 1 and len(ends) == 1 and ends[0] < starts[0]:
        problems.append(f"'ANCHOR_END: {anchor}' comes before 'ANCHOR: {anchor}' in {path}")
    return problems


def check_includes(md_path, text):
    problems = []
    for match in _LINK.finditer(text):
        if match["escape"]:
            continue
        line = text.count("\n", 0, match.start()) + 1
        where = f"{md_path}:{line}"
        path, _, selector = match["arg"].partition(":")
        target = os.path.normpath(os.path.join(os.path.dirname(md_path), path.strip()))
        if not os.path.isfile(target):
            problems.append(f"{where}: included file does not exist: {path} (looked at {target})")
            continue
        if not selector or _LINE_RANGE.match(selector):
            continue  # the whole file, or a line range
        if not _ANCHOR_NAME.match(selector):
            problems.append(f"{where}: anchor '{selector}' is not lower_snake_case")
        problems.extend(f"{where}: {p}" for p in anchor_problems(target, selector))
    return problems


def check_code_blocks(md_path, text):
    problems = []
    blocks, _ = markdown_blocks.scan(text)
    for block in blocks:
        where = f"{md_path}:{block.start_line}"
        if not block.closed:
            problems.append(f"{where}: code block is never closed")
        if not block.language:
            problems.append(f"{where}: code block names no language (use text, bash, cpp, ...)")
        elif block.language not in KNOWN_LANGUAGES:
            problems.append(f"{where}: unknown code block language '{block.language}' "
                            f"(known: {', '.join(sorted(KNOWN_LANGUAGES))})")
        if block.language == "quiz":
            _, errors = quiz_format.parse(block.lines)
            for number, message in errors:
                problems.append(f"{md_path}:{block.start_line + number}: quiz: {message}")
    return problems


# The second-level headings of a session chapter, in order (AUTHORING.md,
# "The chapter template").
TEMPLATE_HEADINGS = [
    "Learning objectives", "Concepts", "Diagrams", "The code", "Clients",
    "With Docker Compose", "Run it", "Exercises", "Quiz", "Summary", "Session plan",
]
_SESSION_CHAPTER = re.compile(r"^session-\d\d-.*\.md$")


def check_template(md_path, text):
    if not _SESSION_CHAPTER.match(os.path.basename(md_path)):
        return []
    lines = text.splitlines()
    in_code = False
    headings = []
    for line in lines:
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and line.startswith("## "):
            headings.append(line[3:].strip())
    first_h2 = next((i for i, line in enumerate(lines) if line.startswith("## ")), len(lines))
    is_stub = any(line.startswith("> [!NOTE]") for line in lines[:first_h2])
    wanted = TEMPLATE_HEADINGS[:1] if is_stub else TEMPLATE_HEADINGS
    found = [h for h in headings if h in TEMPLATE_HEADINGS]
    if found[:len(wanted)] != wanted or (not is_stub and found != wanted):
        return [f"{md_path}: the chapter's headings {found} are not the template's "
                f"{wanted} in order (AUTHORING.md)"]
    return []


def check_sources(src):
    problems = []
    for md_path in markdown_files(src):
        with open(md_path, encoding="utf-8") as f:
            text = f.read()
        problems.extend(check_includes(md_path, text))
        problems.extend(check_code_blocks(md_path, text))
        problems.extend(check_template(md_path, text))
    return problems


def quizzes_by_page(src):
    """{"dir/page.html": [question dicts]} for every chapter with a quiz."""
    pages = {}
    for md_path in markdown_files(src):
        with open(md_path, encoding="utf-8") as f:
            blocks, _ = markdown_blocks.scan(f.read())
        questions = []
        for block in blocks:
            if block.language == "quiz":
                parsed, _ = quiz_format.parse(block.lines)
                questions.extend({
                    "kind": q.kind, "text": q.text, "explanation": q.explanation,
                    "options": [{"text": text, "correct": correct} for text, correct in q.options],
                    "answers": q.answers,
                } for q in parsed)
        if questions:
            page = os.path.splitext(os.path.relpath(md_path, src))[0] + ".html"
            pages[page.replace(os.sep, "/")] = questions
    return pages


def check_html(src, html):
    """Pages where "{{#" survived: more of them than the chapter escapes."""
    escaped = {}
    for md_path in markdown_files(src):
        with open(md_path, encoding="utf-8") as f:
            count = f.read().count("\\{{#")
        page = os.path.splitext(os.path.relpath(md_path, src))[0] + ".html"
        escaped[page] = count
    problems = []
    for root, _, files in os.walk(html):
        for name in sorted(files):
            if not name.endswith(".html"):
                continue
            path = os.path.join(root, name)
            page = os.path.relpath(path, html)
            with open(path, encoding="utf-8", errors="replace") as f:
                found = f.read().count("{{#")
            # print.html holds every chapter; index.html repeats the first one.
            if page == "print.html":
                allowed = sum(escaped.values())
            elif page == "index.html":
                allowed = max(escaped.values(), default=0)
            else:
                allowed = escaped.get(page, 0)
            if found > allowed:
                problems.append(f"{path}: '{{{{#' appears {found} times in the built page "
                                f"(an include mdBook did not expand?)")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--src", default=os.path.join(here, "..", "src"),
                        help="the book's src directory (default: book/src)")
    parser.add_argument("--html", help="the built HTML to check too (e.g. book/build/html)")
    parser.add_argument("--dump-quizzes", action="store_true",
                        help="print every quiz as JSON by page and exit")
    args = parser.parse_args(argv)
    if not os.path.isdir(args.src):
        print(f"check_sources: no such directory: {args.src}", file=sys.stderr)
        return 2
    if args.dump_quizzes:
        print(json.dumps(quizzes_by_page(args.src), indent=1))
        return 0
    problems = check_sources(args.src)
    if args.html:
        if not os.path.isdir(args.html):
            problems.append(f"{args.html}: built book missing (run mdbook build first)")
        else:
            problems.extend(check_html(args.src, args.html))
    for problem in problems:
        print(problem)
    files = sum(1 for _ in markdown_files(args.src))
    print(f"check_sources: {files} chapters, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
