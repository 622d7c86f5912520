#!/usr/bin/env python3
"""Checks the links between the built book's pages, #fragments included.

mdbook-linkcheck2 checks that a linked chapter exists but not that the
#fragment after it names a heading there ("fragment resolution isn't
implemented"). This reads every built page and checks that each internal
<a href> points to an existing file and, with a fragment, to an element
with that id. Web links (with a scheme) are not followed.

Usage: html_links.py book/build/html
Prints one line per broken link and exits 1 if any.
"""

import os
import sys
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

# Pages mdBook makes besides the chapters: print.html repeats every chapter
# with rewritten links, toc.html repeats the sidebar, 404.html links from
# the site root.
SKIPPED_PAGES = {"print.html", "toc.html", "404.html"}


class _PageParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = set()
        self.links = []  # (href, line)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        if tag == "a" and attributes.get("name"):
            self.ids.add(attributes["name"])
        if tag == "a" and attributes.get("href") is not None:
            self.links.append((attributes["href"], self.getpos()[0]))


def parse_page(path):
    parser = _PageParser()
    with open(path, encoding="utf-8", errors="replace") as f:
        parser.feed(f.read())
    return parser


def check_links(html_root):
    """One problem text per broken internal link."""
    html_root = os.path.abspath(html_root)
    pages = {}
    for root, _, files in os.walk(html_root):
        for name in files:
            if name.endswith(".html"):
                path = os.path.join(root, name)
                pages[path] = parse_page(path)
    problems = []
    for path in sorted(pages):
        page = os.path.relpath(path, html_root)
        if page in SKIPPED_PAGES:
            continue
        for href, line in pages[path].links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith("//"):
                continue  # a web link (or mailto:): not followed
            target = path
            if parts.path:
                target = os.path.normpath(os.path.join(os.path.dirname(path), unquote(parts.path)))
                if os.path.isdir(target):
                    target = os.path.join(target, "index.html")
            where = f"{page}:{line}: link '{href}'"
            if not target.startswith(html_root) or not os.path.exists(target):
                problems.append(f"{where}: no such page")
                continue
            fragment = unquote(parts.fragment)
            if not fragment or not target.endswith(".html"):
                continue
            ids = pages[target].ids if target in pages else parse_page(target).ids
            if fragment not in ids:
                problems.append(f"{where}: no element with id '{fragment}' in "
                                f"{os.path.relpath(target, html_root)}")
    return problems


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    if not os.path.isfile(os.path.join(argv[0], "index.html")):
        print(f"html_links: no built book in {argv[0]} (run mdbook build first)")
        return 1
    problems = check_links(argv[0])
    for problem in problems:
        print(problem)
    print(f"html_links: {len(problems)} broken links")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
