"""Fenced code blocks and headings of a Markdown chapter, as mdBook sees them.

Only what the book's checks need: fences opened by three or more backticks
or tildes (possibly indented, e.g. inside a list item), closed by a fence of
the same character that is at least as long. Headings inside a fence are
code, not headings.
"""

import re
from dataclasses import dataclass, field

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_HEADING = re.compile(r"^(?P<level>#{1,6})[ \t]+(?P<title>.*?)[ \t#]*$")


@dataclass
class CodeBlock:
    language: str  # the first word of the info string ("" when there is none)
    start_line: int  # 1-based line number of the opening fence
    lines: list = field(default_factory=list)  # the content, indentation removed
    closed: bool = True


@dataclass
class Heading:
    level: int
    title: str
    line: int  # 1-based


def scan(text):
    """Returns (code_blocks, headings) of a Markdown text, in order."""
    blocks, headings = [], []
    current = None  # (CodeBlock, fence string, indent)
    for number, line in enumerate(text.split("\n"), start=1):
        if current is not None:
            block, fence, indent = current
            stripped = line.strip()
            if (stripped.startswith(fence[0] * len(fence))
                    and set(stripped) == {fence[0]}):
                current = None
                continue
            # Remove the opening fence's indentation (not more).
            if line.startswith(indent):
                line = line[len(indent):]
            else:
                line = line.lstrip(" \t")
            block.lines.append(line)
            continue
        match = _FENCE.match(line)
        if match and not (match["fence"][0] == "`" and "`" in match["info"]):
            info = match["info"].strip()
            language = info.split()[0] if info else ""
            # mdBook also accepts attributes after a comma: ```cpp,ignore
            language = language.split(",")[0]
            block = CodeBlock(language=language, start_line=number)
            blocks.append(block)
            current = (block, match["fence"], match["indent"])
            continue
        heading = _HEADING.match(line)
        if heading:
            headings.append(Heading(len(heading["level"]), heading["title"], number))
    if current is not None:
        current[0].closed = False
    return blocks, headings


def section_lines(text, title, level=2):
    """The 1-based line range [first, end) of the section under the heading
    `title` of `level`, up to the next heading of that level or higher, or
    None when the chapter has no such heading."""
    _, headings = scan(text)
    total = len(text.split("\n"))
    for index, heading in enumerate(headings):
        if heading.level == level and heading.title == title:
            end = total + 1
            for later in headings[index + 1:]:
                if later.level <= level:
                    end = later.line
                    break
            return heading.line + 1, end
    return None
