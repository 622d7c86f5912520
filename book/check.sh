#!/usr/bin/env bash
# Checks the book: the stage `book` of `make test` (scripts/test.sh).
#
#   toolchain      scripts/install-book-deps.sh (mdBook, mermaid, linkcheck2, chromium, playwright-core)
#   tools          the checkers' own unit tests (book/tools/tests)
#   build          mdbook build with no WARN or ERROR line
#   links          mdbook-linkcheck2 (internal links) and book/tools/html_links.py
#                  (#fragments); web links are not followed
#   sources        includes and anchors resolve, code blocks name a language, quizzes parse,
#                  no "{{#" left in the HTML (book/tools/check_sources.py)
#   browser        every page in chromium, light and dark: diagrams, console, highlighting,
#                  quizzes answered wrong and right, search (book/tests/browser_check.mjs)
#   walkthrough    one check per chapter with "## Run it" (book/tools/walkthrough.py),
#                  against build/nodes/dsc/dsc
#
# Each is one counted check; the last line is ctest's format:
#   "P% checks passed, F checks failed out of T". Exit status 1 if any failed.
# Run from anywhere. DSC_BOOK_CHECKS="build links" runs only those (and their
# prerequisites are then up to you).
set -uo pipefail

book="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$book")"
cd "$repo"
export PATH="$HOME/.cargo/bin:$PATH"
html="$book/build/html"
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT

total=0
failed=0
selected=" ${DSC_BOOK_CHECKS:-toolchain tools build links sources browser walkthrough} "
wanted() { [[ "$selected" == *" $1 "* ]]; }

# check NAME COMMAND...: runs COMMAND as one counted check; on failure
# prints its output (the last 60 lines).
check() {
  local name="$1"; shift
  local log="$logs/check.log" start=$SECONDS
  total=$((total + 1))
  if "$@" >"$log" 2>&1; then
    printf '  ok    %-40s %3ds\n' "$name" $((SECONDS - start))
  else
    failed=$((failed + 1))
    printf '  FAIL  %-40s %3ds\n' "$name" $((SECONDS - start))
    tail -n 60 "$log" | sed 's/^/        /'
  fi
}

# One `mdbook build` runs the html backend, then linkcheck2 (book.toml);
# the check "build" judges the log up to linkcheck2, "links" the rest.
# A line of mdBook's log at WARN or ERROR, or a "Warning:"/"Error:" line
# from a plugin, fails. Allowed: mdbook-mermaid's note that it was built
# against mdBook 0.5.0 (its 0.17.1 pins that; it works with 0.5.4).
problem_lines() {
  grep -E '^ *(WARN|ERROR)\b|^(Warning|Error|error)\b' |
    grep -vE '^Warning: The mdbook-mermaid preprocessor was built against version 0\.5\.0 of mdbook'
}

build_book() {
  rm -rf "$book/build"
  mdbook build "$book" >"$logs/mdbook.log" 2>&1
  echo $? >"$logs/mdbook.status"
  # The html part: everything before linkcheck2 starts.
  sed '/Running the linkcheck2 backend/,$d' "$logs/mdbook.log" | tee "$logs/html.log"
  if problem_lines <"$logs/html.log" >/dev/null; then
    echo "mdbook build printed warnings or errors (above); the book must build cleanly"
    return 1
  fi
  [[ -f "$html/index.html" ]] || { echo "mdbook build wrote no $html/index.html"; return 1; }
}

# linkcheck2's part of the build log, then the #fragments (html_links.py).
check_links() {
  [[ -f "$html/index.html" ]] || { echo "no built book: the build check failed"; return 1; }
  local ok=0
  sed -n '/Running the linkcheck2 backend/,$p' "$logs/mdbook.log" >"$logs/links.log"
  cat "$logs/links.log"
  if ! grep -q 'Running the linkcheck2 backend' "$logs/links.log"; then
    echo "linkcheck2 did not run (is [output.linkcheck2] in book/book.toml?)"
    ok=1
  elif problem_lines <"$logs/links.log" >/dev/null || [[ "$(cat "$logs/mdbook.status")" != 0 ]]; then
    echo "mdbook-linkcheck2 found broken links (above)"
    ok=1
  fi
  python3 "$book/tools/html_links.py" "$html" || ok=1
  return $ok
}

check_browser() {
  [[ -f "$html/index.html" ]] || { echo "no built book: the build check failed"; return 1; }
  python3 "$book/tools/check_sources.py" --src "$book/src" --dump-quizzes >"$logs/quizzes.json" &&
    node "$book/tests/browser_check.mjs" --html "$html" --quizzes "$logs/quizzes.json"
}

echo "book: checks of $book"
wanted toolchain && check "toolchain (scripts/install-book-deps.sh)" "$repo/scripts/install-book-deps.sh"
wanted tools && check "checker unit tests (book/tools/tests)" \
  python3 -m unittest discover -s "$book/tools/tests" -t "$book/tools"
wanted build && check "mdbook build, no warnings" build_book
wanted links && check "links and #fragments (linkcheck2, html_links)" check_links
wanted sources && check "includes, anchors, quizzes (check_sources)" \
  python3 "$book/tools/check_sources.py" --src "$book/src" --html "$html"
wanted browser && check "browser: pages, diagrams, quizzes, search" check_browser
if wanted walkthrough; then
  while IFS= read -r chapter; do
    check "walkthrough ${chapter#"$book/src/"}" \
      python3 "$book/tools/walkthrough.py" "$chapter"
  done < <(python3 "$book/tools/walkthrough.py" --list "$book/src")
fi

passed=$((total - failed))
percent=100
((total > 0)) && percent=$((passed * 100 / total))
echo "${percent}% checks passed, ${failed} checks failed out of ${total}"
((failed == 0))
