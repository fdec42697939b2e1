"""An article's Markdown as blocks the templates render, escaped (no HTML passes through).

The shipped articles use a small part of Markdown: ``#`` headings, paragraphs separated by
blank lines, ``- `` list items (continued on indented lines) and ``**bold**``/``*italic*``.
The page's own ``<h1>`` is the article's title, so the article's ``#`` heading is dropped
and every other heading keeps its level (``##`` → ``<h2>``). Emphasis markers are removed
rather than rendered, so nothing the text holds can become markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HEADING_RE = re.compile(r"^(#{1,6})\s+(.*)$")
EMPHASIS_RE = re.compile(r"\*{1,2}([^*]+)\*{1,2}")
LIST_MARK = "- "
LOWEST_HEADING = 4


@dataclass(frozen=True)
class Block:
    """A heading (``level`` 2–4), a paragraph, or a list (``items``)."""

    kind: str
    text: str = ""
    level: int = 0
    items: tuple[str, ...] = ()


def _plain(text: str) -> str:
    return EMPHASIS_RE.sub(r"\1", " ".join(text.split()))


def blocks(markdown: str) -> list[Block]:
    """The article's blocks in order (the title heading left out)."""
    out: list[Block] = []
    for chunk in re.split(r"\n\s*\n", markdown.strip()):
        lines = chunk.splitlines()
        if not lines:
            continue
        heading = HEADING_RE.match(lines[0])
        if heading and len(lines) == 1:
            level = len(heading.group(1))
            if level > 1:
                out.append(Block("heading", _plain(heading.group(2)), min(level, LOWEST_HEADING)))
            continue
        if lines[0].startswith(LIST_MARK):
            items: list[str] = []
            for line in lines:
                if line.startswith(LIST_MARK):
                    items.append(line[len(LIST_MARK) :])
                elif items:
                    items[-1] += " " + line.strip()
            out.append(Block("list", items=tuple(_plain(i) for i in items)))
            continue
        out.append(Block("paragraph", _plain(" ".join(lines))))
    return out
