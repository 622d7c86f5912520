"""The ```quiz block format of book/AUTHORING.md, parsed and checked.

    ? Question text            (following lines indented by two spaces continue it)
    - [x] a correct option     (multiple choice: one or more correct)
    - [ ] a wrong option
    = an accepted answer       (short answer: one or more; compared
                                case-insensitively after trimming and
                                collapsing spaces)
    > The explanation          (exactly one per question; several "> " lines
                                in a row are one explanation)

Blank lines separate questions. book/theme/quiz.js implements the same
rules in the browser; keep the two in step.
"""

import re
from dataclasses import dataclass, field

_OPTION = re.compile(r"^- \[(?P<mark>[ xX])\] (?P<text>.*)$")


@dataclass
class Question:
    text: str
    line: int  # 1-based line of the "? " within the block
    options: list = field(default_factory=list)  # (text, correct) pairs
    answers: list = field(default_factory=list)
    explanation: str = ""
    explanation_count: int = 0

    @property
    def kind(self):
        return "choice" if self.options else "short"


def normalize_answer(text):
    """How a short answer is compared: trimmed, spaces collapsed, lower case."""
    return " ".join(text.split()).casefold()


def parse(lines):
    """Parses the lines of one quiz block. Returns (questions, errors); each
    error is (line number within the block, message)."""
    questions, errors = [], []
    question = None
    last_kind = None  # what the previous line was: question, explanation, ...
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip()
        if not line.strip():
            question, last_kind = None, None
            continue
        if line.startswith("? "):
            if question is not None:
                errors.append((number, "a new question needs a blank line before it"))
            question = Question(text=line[2:].strip(), line=number)
            questions.append(question)
            last_kind = "question"
            continue
        if question is None:
            errors.append((number, f"expected a question line starting with '? ', got: {line}"))
            continue
        if line.startswith("  ") and last_kind == "question":
            question.text += " " + line.strip()
            continue
        option = _OPTION.match(line)
        if option:
            if not option["text"].strip():
                errors.append((number, "an option needs text after '- [ ] '"))
            question.options.append((option["text"].strip(), option["mark"] != " "))
            last_kind = "option"
            continue
        if line.startswith("= ") or line == "=":
            answer = line[1:].strip()
            if not answer:
                errors.append((number, "an accepted answer needs text after '= '"))
            question.answers.append(answer)
            last_kind = "answer"
            continue
        if line.startswith("> ") or line == ">":
            text = line[1:].strip()
            if last_kind == "explanation":
                question.explanation += " " + text
            else:
                question.explanation_count += 1
                question.explanation = text
            last_kind = "explanation"
            continue
        errors.append((number, "expected '- [x] ', '- [ ] ', '= ', '> ' or a two-space "
                               f"continuation of the question, got: {line}"))
    for q in questions:
        errors.extend((q.line, message) for message in _question_errors(q))
    if not questions and not errors:
        errors.append((1, "the quiz has no questions"))
    return questions, sorted(errors)


def _question_errors(question):
    if not question.text:
        yield "the question has no text after '? '"
    if question.options and question.answers:
        yield "a question has either options or accepted answers, never both"
    elif not question.options and not question.answers:
        yield "the question has no options ('- [x] ') and no accepted answers ('= ')"
    elif question.options:
        if len(question.options) < 2:
            yield "a multiple-choice question needs at least two options"
        if not any(correct for _, correct in question.options):
            yield "no option is marked correct with '- [x] '"
    if question.explanation_count != 1 or not question.explanation:
        yield (f"a question needs exactly one explanation ('> '), "
               f"found {question.explanation_count}")
