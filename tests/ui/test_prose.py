"""Article Markdown to blocks: headings, paragraphs, lists; nothing becomes markup."""

from __future__ import annotations

from twin.ui.prose import Block, blocks

ARTICLE = """# The title

First line of a paragraph
and its **second** line.

## The evidence

- One item that is
  continued here.
- A *second* item.

<script>alert(1)</script>
"""


def test_blocks_of_a_small_article() -> None:
    assert blocks(ARTICLE) == [
        Block("paragraph", "First line of a paragraph and its second line."),
        Block("heading", "The evidence", 2),
        Block("list", items=("One item that is continued here.", "A second item.")),
        # Kept as text: the template escapes it, so it is shown, never run.
        Block("paragraph", "<script>alert(1)</script>"),
    ]


def test_every_shipped_article_parses_into_headed_sections() -> None:
    from importlib import resources

    folder = resources.files("twin.analysis.insights").joinpath("articles")
    for entry in folder.iterdir():
        body = entry.read_text().split("+++", 2)[2]
        parsed = blocks(body)
        assert any(b.kind == "heading" and b.text == "Your data" for b in parsed), entry.name
        assert all(b.text or b.items for b in parsed), entry.name


def test_names_read_as_words() -> None:
    """Enum values and camelCase metric names become lower-case words; acronyms stay whole."""
    from twin.ui.web import _words

    assert _words("SESSION_DURATION_PREFERENCE") == "session duration preference"
    assert _words("insightApplication") == "insight application"
    assert _words("sessionsPerWeek") == "sessions per week"
    assert _words("LOW") == "low"
