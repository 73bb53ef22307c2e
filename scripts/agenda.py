"""The workshop agenda: minutes per lesson from each notebook's first cell, plus its exercise checks.

    python scripts/agenda.py                     # print the agenda as a markdown table
    python scripts/agenda.py --write             # refresh the copy embedded in instructors/README.md
    python scripts/agenda.py --date 2026-12-10   # preview a workshop on that day: its model, agenda, live cost

Each lesson's first markdown cell has a line such as ``**Minutes**: 10 teaching / 5 exercises``.
Numbers labelled "teaching" or "exercises" (also "practice") are read as such; a bare number is the
lesson's total. A lesson without a readable Minutes line shows "not found" rather than a guess.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from helpers import exercises, lessons as kit_lessons, registry
from helpers.writes import atomic_write_text

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = kit_lessons.NOTEBOOKS_DIR
GUIDE = ROOT / "instructors" / "README.md"
MARKER = "agenda"

_MINUTES_LINE = re.compile(r"^[\s*_#>-]*minutes\b[\s*_]*[:=]?[\s*_]*(?P<rest>.*)$", re.I | re.M)
_LABELLED = r"(\d+)\s*(?:min(?:ute)?s?\.?\s+)?(?:of\s+)?"
_TEACHING = re.compile(_LABELLED + r"(?:teaching|lecture|demo)", re.I)
_EXERCISES = re.compile(_LABELLED + r"(?:exercises?|practice|hands-on)", re.I)


@dataclass(frozen=True)
class Minutes:
    teaching: Optional[int] = None
    exercises: Optional[int] = None
    total: Optional[int] = None


@dataclass(frozen=True)
class Lesson:
    stem: str
    title: str
    minutes: Minutes
    exercise_checks: int


def parse_minutes(intro: str) -> Minutes:
    """Minutes from a lesson's first cell; fields the cell does not give stay None."""
    match = _MINUTES_LINE.search(intro)
    if match is None:
        return Minutes()
    rest = match["rest"]
    teaching, practice = _TEACHING.search(rest), _EXERCISES.search(rest)
    if teaching or practice:
        t = int(teaching[1]) if teaching else None
        e = int(practice[1]) if practice else None
        return Minutes(t, e, sum(v for v in (t, e) if v is not None))
    bare = re.search(r"\d+", rest)
    return Minutes(total=int(bare[0])) if bare else Minutes()


def parse_title(intro: str, stem: str) -> str:
    heading = next((line.lstrip("#").strip() for line in intro.splitlines() if line.startswith("#")), "")
    return heading or stem


def exercise_counts() -> Counter:
    """Registered exercise checks per lesson number ("01.slug" counts for lesson 01)."""
    return Counter(exercise_id.split(".", 1)[0] for exercise_id in exercises.load_all())


def notebook_paths(notebooks_dir: Optional[Path] = None) -> list[Path]:
    """The kit's lessons (helpers/lessons.py), or every ``NN_*.ipynb`` in ``notebooks_dir`` when one is given.

    Never a learner's copy: those live in my_work/ or are not in the kit's list.
    """
    if notebooks_dir is None:
        return kit_lessons.lesson_paths()
    return sorted(Path(notebooks_dir).glob("[0-9][0-9]_*.ipynb"))


def _first_markdown(path: Path) -> str:
    """The source of a notebook's first markdown cell ("" if none).

    Read as plain JSON: importing nbformat costs about a second (its JSON-schema formats), twice per
    test run of these scripts, for a field whose shape (a string or a list of lines) is all we need.
    """
    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    source = next((c.get("source", "") for c in cells if c.get("cell_type") == "markdown"), "")
    return "".join(source) if isinstance(source, list) else source


def read_lessons(notebooks_dir: Optional[Path] = None) -> list[Lesson]:
    counts = exercise_counts()
    lessons = []
    for path in notebook_paths(notebooks_dir):
        intro = _first_markdown(path)
        lessons.append(Lesson(path.stem, parse_title(intro, path.stem), parse_minutes(intro), counts[path.stem[:2]]))
    return lessons


def _clock(minutes: Optional[int]) -> str:
    return registry.NOT_FOUND if minutes is None else f"{minutes // 60}:{minutes % 60:02d}"


def _known_sum(values: list[Optional[int]]) -> str:
    known = [v for v in values if v is not None]
    suffix = f" ({len(values) - len(known)} not found)" if len(known) < len(values) else ""
    return f"{sum(known)}{suffix}"


def agenda_markdown(lessons: list[Lesson]) -> str:
    lines = ["| Start | Lesson | Teaching min | Exercise min | Total min | Exercise checks |",
             "|---:|---|---:|---:|---:|---:|"]
    start: Optional[int] = 0
    for lesson in lessons:
        m = lesson.minutes
        lines.append(f"| {_clock(start)} | {lesson.title} (`{lesson.stem}`) | {registry.fmt(m.teaching)} | "
                     f"{registry.fmt(m.exercises)} | {registry.fmt(m.total)} | {lesson.exercise_checks} |")
        start = None if start is None or m.total is None else start + m.total
    lines.append(f"| {_clock(start)} | **End** | {_known_sum([x.minutes.teaching for x in lessons])} | "
                 f"{_known_sum([x.minutes.exercises for x in lessons])} | "
                 f"{_known_sum([x.minutes.total for x in lessons])} | "
                 f"{sum(x.exercise_checks for x in lessons)} |")
    return "\n".join(lines)


def workshop_model(day: dt.date) -> str:
    """The model to teach a workshop on ``day`` with: the registry's lane model on that day
    (``registry.lane_model``), which is what the lessons send live on that day with no override."""
    return registry.lane_model(day)


def model_notice(day: Optional[dt.date] = None) -> str:
    """One recommendation for a workshop on ``day`` (default: the registry's as-of date): the model, its
    status and shutdown on that day with the registry's source and as-of date, and, when a shutdown is
    announced, the model the registry moves to and the day from which it applies.

    Every fact comes from ``helpers/registry.py``; a missing one reads "not found".
    """
    day = day or registry.as_of_day()
    model_id = workshop_model(day)
    found = registry.on(model_id, day)
    life = found.record.lifecycle
    notice = (f"Model for a workshop on {day}: `{model_id}`, the registry's lane model on that day "
              f"({found.status}, shutdown {registry.fmt(life.shutdown_date)}; registry as of {registry.AS_OF}). "
              "The lessons use it with no change.")
    if life.shutdown_date:
        after = workshop_model(dt.date.fromisoformat(str(life.shutdown_date)))
        if after != model_id:
            notice += (f" From {life.shutdown_date} the registry's lane model is `{after}`, and the lessons move to "
                       f"it by themselves: preview that day with `python scripts/agenda.py --date "
                       f"{life.shutdown_date}`.")
    return f"{notice} Source: {life.source.citation}"


def agenda_text(lessons: list[Lesson], day: Optional[dt.date] = None) -> str:
    """What the guide embeds: the agenda table, then the model recommended for ``day``."""
    return agenda_markdown(lessons) + "\n\n" + model_notice(day)


def live_costs(day: dt.date) -> list:
    """One ``run_plan.Plan`` per kit lesson: what a full live run on ``day`` is expected to cost, with each
    lesson's requests moved to the model the lessons send on that day (``run_plan.plan_lesson``), priced
    with the registry's prices (as of ``registry.AS_OF``)."""
    import dataclasses

    from helpers import run_plan

    # Named by the lesson's stem, as the guide's cost table names them.
    return [dataclasses.replace(run_plan.plan_lesson(path.stem, day), notebook=path.stem) for path in notebook_paths()]


def preview(day: dt.date) -> str:
    """A workshop on ``day`` in one text: the model to teach with, the agenda, and the live-run cost table."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import kit_costs

    return (f"# Workshop on {day}\n\n{model_notice(day)}\n\n## Agenda\n\n{agenda_markdown(read_lessons())}\n\n"
            f"## What a live run costs on {day}\n\nRequests as the lessons send them on {day} "
            f"(image model `{workshop_model(day)}`).\n\n" + kit_costs.costs_markdown(live_costs(day)))


# --- the copies embedded in the guide ------------------------------------------------------

def _markers(name: str) -> tuple[str, str]:
    return f"<!-- {name} -->", f"<!-- /{name} -->"


def embedded(text: str, name: str) -> str:
    """The text between ``<!-- name -->`` and ``<!-- /name -->``, without the blank lines around it."""
    start, end = _markers(name)
    if start not in text or end not in text:
        raise ValueError(f"no {start} ... {end} block")
    return text.split(start, 1)[1].split(end, 1)[0].strip("\n")


def write_embedded(path: Path, name: str, content: str) -> None:
    text = Path(path).read_text(encoding="utf-8")
    start, end = _markers(name)
    old = embedded(text, name)
    before, after = text.split(start, 1)[0], text.split(end, 1)[1]
    if old != content:
        atomic_write_text(path, f"{before}{start}\n{content}\n{end}{after}")


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date written YYYY-MM-DD") from None


def run_cli(argv: Optional[list[str]], description: str, marker: str, render: Callable[[], str],
            preview_day: Optional[Callable[[dt.date], str]] = None) -> int:
    """Print ``render()``, or with --write refresh its copy between the guide's ``marker`` comments; with
    ``preview_day`` given, ``--date YYYY-MM-DD`` prints ``preview_day(date)`` instead."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--write", action="store_true", help=f"refresh the copy in {GUIDE.relative_to(ROOT)}")
    if preview_day is not None:
        parser.add_argument("--date", type=_day, help="preview a workshop on this day (YYYY-MM-DD): its model, "
                                                      "the agenda and what a live run costs")
    args = parser.parse_args(argv)
    if getattr(args, "date", None) is not None:
        if args.write:
            parser.error("--date previews a day; --write refreshes the guide for the registry's as-of date")
        print(preview_day(args.date))
        return 0
    text = render()
    if args.write:
        write_embedded(GUIDE, marker, text)
    else:
        print(text)
    return 0


def main(argv: Optional[list[str]] = None) -> int:
    return run_cli(argv, __doc__.split("\n\n")[0], MARKER, lambda: agenda_text(read_lessons()), preview)


if __name__ == "__main__":
    sys.exit(main())
