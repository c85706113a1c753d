"""mkdocs hook: a notebook page takes its title and table of contents from its headings.

mkdocs-jupyter (0.26) reads both from a Markdown export of the notebook from which it
deletes all `inline code`: the heading "4. `jit`, `vmap` and parameter sweeps across
devices" became the title "4. , and parameter sweeps across devices" (navigation and
<title>), and a table-of-contents entry such as "Spikes, delays and `Exp2Syn`" lost its
last word and linked to an anchor that does not exist. This hook reads the headings (text
and id) from the page's rendered HTML instead, after mkdocs-jupyter has rendered it.
"""

import html
from html.parser import HTMLParser

from mkdocs.structure.toc import get_toc

TOC_DEPTH = 6


class _Headings(HTMLParser):
    """Collects (level, id, text) of every <h1>..<h6>, without the "¶" anchor link."""

    def __init__(self):
        super().__init__()
        self.headings = []
        self._current = None  # [level, id, text parts] while inside a heading
        self._in_anchor = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            self._current = [int(tag[1]), attrs.get("id") or "", []]
        elif (
            self._current is not None and tag == "a" and "anchor-link" in (attrs.get("class") or "")
        ):
            self._in_anchor += 1

    def handle_endtag(self, tag):
        if self._current is None:
            return
        if tag == "a" and self._in_anchor:
            self._in_anchor -= 1
        elif tag == f"h{self._current[0]}":
            level, id_, parts = self._current
            self.headings.append((level, id_, " ".join("".join(parts).split())))
            self._current = None

    def handle_data(self, data):
        if self._current is not None and not self._in_anchor:
            self._current[2].append(data)


def notebook_headings(page_html):
    """The (level, id, text) of the page's headings, in order."""
    parser = _Headings()
    parser.feed(page_html)
    return parser.headings


def on_page_content(page_html, page, config, files):
    if not page.file.src_uri.endswith(".ipynb"):
        return page_html
    headings = [h for h in notebook_headings(page_html) if h[0] <= TOC_DEPTH and h[1]]
    # nest the headings as Python-Markdown's toc extension does
    root = {"level": 0, "children": []}
    stack = [root]
    for level, id_, text in headings:
        token = {"level": level, "id": id_, "name": html.escape(text), "children": []}
        while stack[-1]["level"] >= level:
            stack.pop()
        stack[-1]["children"].append(token)
        stack.append(token)
    page.toc = get_toc(root["children"])
    title = next((text for level, _, text in headings if level == 1), None)
    if title is not None:
        page.title = title
    return page_html
