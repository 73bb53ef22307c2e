"""The kit's line width for printed text, and the one way the kit wraps text at it.

Every line a lesson prints (hints, errors, sources, tables) is at most ``LINE_WIDTH`` characters: a
readable line in a notebook and on GitHub, where a longer line scrolls sideways. The notebook tests
check every stored output of both tracks against it.
"""

from __future__ import annotations

import textwrap

LINE_WIDTH = 100


def lines(text: str, width: int = LINE_WIDTH) -> list[str]:
    """``text`` (one paragraph) split at spaces into lines of at most ``width`` characters; [""] for "".

    Words are never split and hyphens never broken at, so a model id, path or URL stays whole (a single
    word longer than ``width`` gets a line of its own, still longer). Raises ValueError if ``width`` < 1.
    """
    if width < 1:
        raise ValueError(f"width must be at least 1 character, got {width}")
    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [""]


def wrap(text: str, *, indent: str = "  ", width: int = LINE_WIDTH) -> str:
    """``text`` with each line longer than ``width`` characters wrapped at spaces; shorter lines unchanged.

    Existing line breaks are kept. A wrapped line keeps its own leading spaces, and its continuation
    lines start ``indent`` (two spaces by default) further in, so they read as part of it. Words are
    never split (see :func:`lines`). Raises ValueError if ``width`` < 1.
    """
    if width < 1:
        raise ValueError(f"width must be at least 1 character, got {width}")
    wrapped = []
    for line in text.split("\n"):
        if len(line) <= width:
            wrapped.append(line)
            continue
        lead = line[: len(line) - len(line.lstrip(" "))]
        wrapped.append(textwrap.fill(line, width, subsequent_indent=lead + indent, break_long_words=False,
                                     break_on_hyphens=False))
    return "\n".join(wrapped)
