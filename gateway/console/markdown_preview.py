"""The postmortem preview: the draft's Markdown rendered on the server with markdown-it-py (CommonMark plus
tables). Raw HTML in the draft is never passed through — it comes out as text — and links keep to safe schemes
(markdown-it refuses javascript:, vbscript:, file: and data:), so a draft cannot put script into the page."""

from markdown_it import MarkdownIt
from markupsafe import Markup

_RENDERER = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def preview(markdown: str) -> Markup:
    return Markup(_RENDERER.render(markdown))
