"""The kit's line width: wrapping keeps every word and line break, and only long lines change."""

import pytest

from helpers import display
from helpers.wrapping import LINE_WIDTH, lines, wrap

LONG = ("Not yet: the model preserves the first image most (the canvas) and takes the others as references. "
        "With logo.png first, which picture would it keep as it is? Put the one you are editing first.")


def test_a_long_line_wraps_at_the_width_and_keeps_every_word():
    wrapped = wrap(LONG)
    assert len(LONG) > LINE_WIDTH and "\n" in wrapped
    assert all(len(line) <= LINE_WIDTH for line in wrapped.splitlines())
    assert wrapped.split() == LONG.split()
    assert all(line.startswith("  ") for line in wrapped.splitlines()[1:])


def test_short_lines_and_line_breaks_are_left_as_they_are():
    text = "a  table   row\n\n  indented: short\ntrailing   "
    assert wrap(text) == text


def test_continuation_lines_sit_past_their_lines_own_indent():
    wrapped = wrap("    next: " + LONG, indent="   ").splitlines()
    assert wrapped[0].startswith("    next: ") and all(line.startswith(" " * 7) for line in wrapped[1:])
    assert not any(line.startswith(" " * 8) for line in wrapped[1:])


def test_a_word_longer_than_the_width_is_never_split():
    path = "x/" * 60
    assert wrap(f"see {path} then") == f"see\n  {path}\n  then"
    assert lines(f"a {path}", 20) == ["a", path]


def test_a_width_below_one_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        wrap("text", width=0)
    with pytest.raises(ValueError, match="at least 1"):
        lines("text", 0)


def test_say_prints_at_the_kits_width(capsys):
    display.say("  17 input images given;", LONG)
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) > 1 and all(len(line) <= LINE_WIDTH for line in printed)
    assert printed[0].startswith("  17 input") and printed[1].startswith("    ")
