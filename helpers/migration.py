"""Move a request written for one image model to another: every change it needs, each with its source.

``plan(call, route=..., day=...)`` takes the keyword arguments of one SDK call (``images.generate``,
``images.edit``, or ``responses.create`` with an ``image_generation`` tool in ``tools``) and returns a
``Migration``: the source and target models on that day, the ``Change`` rows (the model id, each
parameter the target refuses or whose meaning changed, how the result is read, Batch availability,
the price per image before and after), and ``call_after``, the same call with the edits applied.

Every model fact is read from the registry record (``registry.get(id).capabilities``), so a new pair
of models needs no new code. The few facts that are not about one model but about the API itself
(which parameters exist, the DALL·E-only names) come from the pinned SDK and are module constants
below, each with its ``registry.Source``. Where the registry has no value the row says "not found";
no number is made up. Nothing here sends a request or prints.
"""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
import json
import math
import os
import textwrap
import typing
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from openai.types.image_edit_params import ImageEditParamsStreaming
from openai.types.image_generate_params import ImageGenerateParamsStreaming
from openai.types.responses.tool_param import ImageGeneration

from . import pricing, registry, wrapping

GENERATE, EDIT, RESPONSES = "images.generate", "images.edit", "responses.create"
ROUTES = (GENERATE, EDIT, RESPONSES)
TOOL_TYPE = "image_generation"

_SDK = "[SDK] openai 3.57.0, openai/types/"
# Which parameters exist at all, per route: the pinned SDK's typed dicts (``stream`` is on the
# streaming variants only), so a parameter the SDK adds or drops shows up here without an edit.
SDK_PARAMS: Mapping[str, frozenset[str]] = {
    GENERATE: frozenset(typing.get_type_hints(ImageGenerateParamsStreaming)),
    EDIT: frozenset(typing.get_type_hints(ImageEditParamsStreaming)),
    RESPONSES: frozenset(typing.get_type_hints(ImageGeneration)),
}
SDK_PARAMS_SOURCE: Mapping[str, registry.Source] = {
    GENERATE: registry.Source(f"{_SDK}image_generate_params.py (ImageGenerateParams)", as_of=registry.AS_OF),
    EDIT: registry.Source(f"{_SDK}image_edit_params.py (ImageEditParams)", as_of=registry.AS_OF),
    RESPONSES: registry.Source(f"{_SDK}responses/tool_param.py (ImageGeneration)", as_of=registry.AS_OF),
}

# Parameters only the retired DALL·E models took; the SDK keeps them typed for compatibility.
LEGACY_PARAMS: Mapping[str, tuple[str, registry.Source]] = {
    "response_format": (
        "GPT image models refuse it: they always return base64 (b64_json), never a URL",
        registry.Source(f'{_SDK}image_generate_params.py:134-138 and image_edit_params.py:154-158: "Legacy '
                        'response format parameter for retired image models. Unsupported for GPT image models, '
                        'which always return base64-encoded images."', as_of=registry.AS_OF)),
    "style": (
        "GPT image models refuse it: describe the style in the prompt instead",
        registry.Source(f'{_SDK}image_generate_params.py:175-180: "Legacy style parameter for retired image '
                        'models. Unsupported for GPT image models; describe the desired style in the prompt '
                        'instead."', as_of=registry.AS_OF)),
}
# DALL·E quality names, and the GPT image quality the kit moves each to. The SDK says only "Use a
# GPT image quality instead", so the match is the kit's choice, tagged [derived].
LEGACY_QUALITIES: Mapping[str, str] = {"hd": "high", "standard": "medium"}
LEGACY_QUALITIES_SOURCE = registry.Source(
    f'{_SDK}image_generate_params.py:128-131: "standard", "hd": "This quality was only supported by retired '
    'DALL·E models. Use a GPT image quality instead." [derived] hd -> high and standard -> medium are the '
    "kit's closest matches, not a published mapping", as_of=registry.AS_OF)
LEGACY_SIZES = ("256x256", "512x512", "1792x1024", "1024x1792")
LEGACY_SIZES_SOURCE = registry.Source(
    f'{_SDK}image_generate_params.py:168-172: "256x256", "512x512", "1792x1024", "1024x1792": "This legacy '
    "size suggestion is retained for SDK compatibility. Check the selected GPT image model's supported "
    'sizes."', as_of=registry.AS_OF)
COMPRESSIBLE_FORMATS = ("webp", "jpeg")
COMPRESSION_SOURCE = registry.Source(
    f'{_SDK}image_generate_params.py:95-100: output_compression "is only supported for the GPT image models '
    'with the webp or jpeg output formats"', as_of=registry.AS_OF)
URL_RESULT_SOURCE = registry.Source(
    f'{_SDK}image.py:13-30: b64_json is "Returned by default for GPT image models"; url is "Unsupported for '
    'GPT image models"', as_of=registry.AS_OF)
QUALITY_DEFAULT_SOURCE = registry.Source(
    f'{_SDK}image_generate_params.py:119-124: quality "`auto` (default value) will automatically select the '
    'best quality for the given model"', as_of=registry.AS_OF)
FIDELITY_DEFAULT_SOURCE = registry.Source(
    f'{_SDK}image_edit_params.py:71-77: input_fidelity "Defaults to `low` on supported models"',
    as_of=registry.AS_OF)

# What a Change row is about. "call" and "result" rows are edits to your code; "check" rows are
# values the registry cannot confirm (not found); "batch" and "price" rows are facts to weigh.
CALL, RESULT, CHECK, BATCH, PRICE = "call", "result", "check", "batch", "price"
KINDS = (CALL, RESULT, CHECK, BATCH, PRICE)
NOT_SENT = "(not sent)"
# Quality names in increasing order, from the registry's widest list ("auto" is not a level).
QUALITY_ORDER = tuple(q for q in registry.EXTENDED_QUALITIES if q != "auto")


@dataclass(frozen=True)
class Change:
    """One thing that differs between the call's model and the target.

    ``what`` is the parameter as the call names it (``"model"``, ``"quality"``, ``"tools[0].model"``), or
    ``"result.data[i].url"``, ``"Batch"``, ``"price per image"``. ``before`` and ``after`` are the values as
    code or text (``NOT_SENT`` when a parameter is absent; prices in USD per image, or "not found").
    ``source`` backs the fact that makes the change needed (the target's, for a rule); ``before_source``
    backs the ``before`` value where it is a registry fact too (Batch, price). ``kind`` is one of ``KINDS``.
    """

    what: str
    before: str
    after: str
    why: str
    source: registry.Source
    kind: str = CALL
    before_source: Optional[registry.Source] = None

    @property
    def tags(self) -> str:
        """The sources' tags, e.g. ``"[SDK]"`` or ``"[OAI] -> [3P]"``: who says so (a [3P] fact is only reported)."""
        if self.before_source is None or self.before_source.tag == self.source.tag:
            return self.source.tag
        return f"{self.before_source.tag} -> {self.source.tag}"


@dataclass(frozen=True)
class Migration:
    """A call planned for a move from ``source`` to ``target`` (both asked on the same day).

    ``call`` is the call as given, ``call_after`` the same keyword arguments with every "call" change
    applied (a new dict; values that need no change, such as open files, are the same objects).
    ``price_before`` / ``price_after`` are ``pricing.Estimate`` (USD per image, output only).
    """

    source: registry.ModelOnDay
    target: registry.ModelOnDay
    route: str
    call: Mapping[str, Any]
    changes: tuple[Change, ...]
    call_after: dict
    price_before: pricing.Estimate
    price_after: pricing.Estimate

    @property
    def edits(self) -> tuple[Change, ...]:
        """The changes to your code: the request ("call") and how its result is read ("result")."""
        return tuple(c for c in self.changes if c.kind in (CALL, RESULT))

    def change(self, what: str) -> Optional[Change]:
        """The change about ``what`` (e.g. ``"quality"``), or None when there is none."""
        return next((c for c in self.changes if c.what == what), None)

    def table(self) -> pricing.Table:
        """The changes as a printable table (fits ``wrapping.LINE_WIDTH``): one numbered row each, then one
        note per row with why and the full source."""
        rows = tuple((str(i), c.what, c.before, c.after, c.tags) for i, c in enumerate(self.changes, 1))
        notes = tuple(f"{i}. {c.why} Source: {c.source}"
                      + (f"; before: {c.before_source}" if c.before_source not in (None, c.source) else "")
                      for i, c in enumerate(self.changes, 1))
        return pricing.Table(("#", "change", "before", "after", "source"), rows, notes)

    def headline(self) -> str:
        """One line: the route, the two models, the day and how many edits the code needs."""
        count = len(self.edits)
        return (f"{self.route}: {self.source.id} -> {self.target.id} on {self.day}: {count} "
                f"edit{'' if count == 1 else 's'} to the code")

    @property
    def day(self) -> dt.date:
        """The day both models were asked on (their status, successor and served state)."""
        return self.target.day

    def __str__(self) -> str:
        return f"{wrapping.wrap(self.headline())}\n{self.table()}"

    def side_by_side(self) -> str:
        """The call before and after as code in two columns (within ``wrapping.LINE_WIDTH``).

        The middle mark is " " for an unchanged line, "|" for a changed one, "<" for a line removed and
        ">" for a line added (as ``sdiff`` marks them).
        """
        column = (wrapping.LINE_WIDTH - 3) // 2
        rows = [(f"before: {self.source.id}", " ", f"after: {self.target.id}"), ("-" * column, " ", "-" * column)]
        for mark, left, right in line_pairs(code_lines(self.route, self.call), code_lines(self.route, self.call_after)):
            lefts, rights = _fit(left or "", column), _fit(right or "", column)
            for k, (l_piece, r_piece) in enumerate(itertools.zip_longest(lefts, rights, fillvalue="")):
                rows.append((l_piece, mark if k == 0 else " ", r_piece))
        return "\n".join(f"{left.ljust(column)} {mark} {right}".rstrip() for left, mark, right in rows)

    def diff(self) -> str:
        """The call before and after as one listing: "-" lines removed, "+" lines added, the rest unchanged
        (a changed keyword shows as its "-" line followed by its "+" line)."""
        width = wrapping.LINE_WIDTH - 2
        out = [f"--- before: {self.source.id}", f"+++ after: {self.target.id}"]
        for mark, left, right in line_pairs(code_lines(self.route, self.call), code_lines(self.route, self.call_after)):
            if mark == " ":
                out += [f"  {piece}" for piece in _fit(left, width)]
                continue
            out += [f"- {piece}" for piece in _fit(left, width)] if left is not None else []
            out += [f"+ {piece}" for piece in _fit(right, width)] if right is not None else []
        return "\n".join(out)


# --- choosing the target ----------------------------------------------------------------------

def default_target(model_id: str, day: dt.date) -> str:
    """The model a call for ``model_id`` moves to on ``day``: its first successor served that day,
    following successors' successors (first choice first) when none of its own is served, else the
    lessons' model (``registry.lesson_image_model(day, env={})``). Raises registry.UnknownModel.
    """
    queue, seen = [model_id], {model_id}
    while queue:
        found = registry.on(queue.pop(0), day)
        if found.successor is not None:
            return found.successor
        for successor in found.record.lifecycle.successors:
            if successor in registry.MODELS and successor not in seen:
                seen.add(successor)
                queue.append(successor)
    return registry.lesson_image_model(day, env={})


def _image_model(model_id: Any, role: str, day: dt.date) -> registry.ModelOnDay:
    if not isinstance(model_id, str) or not model_id:
        raise ValueError(f"the {role} model must be a model id (a non-empty string), got {model_id!r}")
    found = registry.on(model_id, day)
    if found.record.kind != "image":
        raise ValueError(f"{model_id} is a {found.record.kind} model, not an image model: the {role} model of a "
                         "migration is an image model (on responses.create, the image_generation tool's model)")
    return found


# --- the plan ---------------------------------------------------------------------------------

def plan(call: Mapping[str, Any], *, route: str = GENERATE, day: dt.date,
         target: Optional[str] = None) -> Migration:
    """Every change ``call`` needs to run on ``target`` on ``day``, and the call with them applied.

    ``call`` is the keyword arguments of one SDK call on ``route`` (one of ``ROUTES``); for
    ``responses.create`` the image model is the ``model`` of each ``image_generation`` tool in ``tools``
    (the SDK's tool default, ``registry.IMAGE_TOOL_DEFAULT_MODEL``, where a tool names none), and a
    top-level model that is shut down on ``day`` gets its served successor. ``target`` defaults to
    ``default_target(source model, day)``. Rules are read from the target's registry record: a value it
    refuses is replaced by the nearest one it documents, or removed; a value whose support the registry
    does not state is moved to a documented one where one exists, else kept and flagged "not found".

    Raises TypeError when ``call`` is not a mapping, ValueError for an unknown route, a call without a
    model (or, on responses.create, without an image_generation tool) or a model that is not an image
    model, and registry.UnknownModel for a model the registry lacks.
    """
    if not isinstance(call, Mapping):
        raise TypeError(f"call must be a mapping of the SDK call's keyword arguments, got {type(call).__name__}")
    if route not in ROUTES:
        raise ValueError(f"unknown route {route!r}: one of {', '.join(ROUTES)}")
    after = dict(call)
    changes: list[Change] = []
    if route == RESPONSES:
        tools = call.get("tools")
        spots = [i for i, tool in enumerate(tools or ()) if isinstance(tool, Mapping) and tool.get("type") == TOOL_TYPE]
        if not spots:
            raise ValueError("a responses.create call to migrate needs an image_generation tool in tools: its "
                             "model is the image model")
        changes += _mainline_changes(call, after, day)
        after["tools"] = list(tools)
        first = tools[spots[0]].get("model") or registry.IMAGE_TOOL_DEFAULT_MODEL
        source = _image_model(first, "source", day)
        moved = _image_model(target or default_target(source.id, day), "target", day)
        for i in spots:
            tool = dict(tools[i])
            own = _image_model(tool.get("model") or registry.IMAGE_TOOL_DEFAULT_MODEL, "source", day)
            changes += _param_changes(tool, route, moved, own, prefix=f"tools[{i}].")
            after["tools"][i] = tool
        priced = tools[spots[0]], after["tools"][spots[0]]
    else:
        if "model" not in call:
            raise ValueError(f"the {route} call names no model: the SDK requires one ('Specify a model explicitly')")
        source = _image_model(call["model"], "source", day)
        moved = _image_model(target or default_target(source.id, day), "target", day)
        changes += _param_changes(after, route, moved, source, prefix="")
        priced = call, after
    changes += _batch_changes(source, moved)
    price_before, price_after, price_change = _price_change(source, moved, *priced)
    changes.append(price_change)
    return Migration(source, moved, route, call, tuple(changes), after, price_before, price_after)


def _mainline_changes(call: Mapping[str, Any], after: dict, day: dt.date) -> list[Change]:
    """The top-level model of a Responses call, when it is shut down on ``day``."""
    if "model" not in call:
        return []
    mainline = registry.on(call["model"], day)
    if mainline.served:
        return []
    why = f"{mainline.id}: {mainline.status_line()}."
    if mainline.successor is None:
        return [Change("model", _literal(mainline.id), registry.NOT_FOUND, why + " No served successor in the "
                       "registry: choose a mainline model yourself.", mainline.record.lifecycle.source, CHECK)]
    after["model"] = mainline.successor
    return [Change("model", _literal(mainline.id), _literal(mainline.successor),
                   f"{why} {mainline.successor} is its first served successor in the registry.",
                   mainline.record.lifecycle.source)]


def _param_changes(params: dict, route: str, target: registry.ModelOnDay, source: registry.ModelOnDay,
                   prefix: str) -> list[Change]:
    """Edit ``params`` (the Images call, or one tool) in place for ``target``; the changes made, in order."""
    changes = []
    if source.id != target.id:
        served = "" if target.served else f" Note: {target.id} is not served either ({target.status_line()})."
        # A tool that names no model runs the SDK's default: the change adds the model.
        before = _literal(params["model"]) if params.get("model") else f"{NOT_SENT}: {source.id}"
        params["model"] = target.id
        changes.append(Change(f"{prefix}model", before, _literal(target.id),
                              f"{source.id}: {source.status_line()}. {_chosen(source, target)}{served}",
                              source.record.lifecycle.source))
    caps = target.record.capabilities
    if caps is None:
        changes.append(Change(f"{prefix}parameters", "", registry.NOT_FOUND,
                              f"The registry holds no capabilities for {target.id}: check every parameter "
                              "against its documentation before sending.",
                              _registry_lacks(f"capabilities of {target.id}"), CHECK))
        return changes
    for name in list(params):
        if name in params:  # one rule may drop another parameter (a format change drops compression)
            changes += _one_param(name, params, route, target, source, prefix)
    if "quality" not in params and caps.qualities is not None:
        changes.append(Change(f"{prefix}quality", NOT_SENT, NOT_SENT,
                              f"No quality is sent, so the API uses auto; the kit prices auto as high. Send the "
                              f"quality you mean ({target.id}: {registry.fmt(caps.qualities)}).",
                              QUALITY_DEFAULT_SOURCE, CHECK))
    return changes


def _chosen(source: registry.ModelOnDay, target: registry.ModelOnDay) -> str:
    if target.id in source.record.lifecycle.successors:
        return f"{target.id} is a successor the registry lists for it."
    return f"{target.id} is the model chosen to move to."


def _one_param(name: str, params: dict, route: str, target: registry.ModelOnDay, source: registry.ModelOnDay,
               prefix: str) -> list[Change]:
    value = params[name]
    what, before = f"{prefix}{name}", _literal(value)
    if name in ("model", "type") or value is None:
        return []  # None is what the SDK's own signature defaults to: nothing to check
    if name in LEGACY_PARAMS:
        why, cited = LEGACY_PARAMS[name]
        del params[name]
        removed = [Change(what, before, NOT_SENT, f"{why}.", cited)]
        if name == "response_format" and value == "url":
            removed.append(Change("result.data[i].url", ".data[0].url", ".data[0].b64_json",
                                  "The image comes back as base64 text in b64_json: decode it (base64.b64decode) "
                                  "instead of downloading a URL.", URL_RESULT_SOURCE, RESULT))
        return removed
    if name not in SDK_PARAMS[route]:
        del params[name]
        where = f"the {TOOL_TYPE} tool" if route == RESPONSES else route
        return [Change(what, before, NOT_SENT, f"{where} has no parameter {name!r}.", SDK_PARAMS_SOURCE[route])]
    rule = {"quality": _quality, "size": _size, "input_fidelity": _fidelity, "output_format": _output_format,
            "background": _background, "n": _n}.get(name)
    return rule(what, before, value, params, target, source) if rule else []


def _quality(what, before, value, params, target, source) -> list[Change]:
    caps = target.record.capabilities
    wanted, legacy = LEGACY_QUALITIES.get(value, value), value in LEGACY_QUALITIES
    if caps.qualities is None:
        if legacy:
            params["quality"] = wanted
            return [Change(what, before, _literal(wanted), f"{value!r} is a DALL·E quality name; {target.id}'s "
                           f"qualities: {registry.NOT_FOUND}.", LEGACY_QUALITIES_SOURCE)]
        return [Change(what, before, before, f"{target.id}'s qualities: {registry.NOT_FOUND} in the registry.",
                       caps.source_of("qualities"), CHECK)]
    if wanted in caps.qualities and not legacy:
        return []
    chosen = _nearest_quality(wanted, caps.qualities)
    params["quality"] = chosen
    if legacy:
        return [Change(what, before, _literal(chosen), f"{value!r} is a DALL·E quality name; {target.id} takes "
                       f"{registry.fmt(caps.qualities)}.", LEGACY_QUALITIES_SOURCE)]
    return [Change(what, before, _literal(chosen), f"{target.id} takes quality {registry.fmt(caps.qualities)}; "
                   f"{chosen!r} is the nearest below {value!r}.", caps.source_of_param("quality"))]


def _nearest_quality(wanted: str, accepted: tuple[str, ...]) -> str:
    """The highest accepted level not above ``wanted``, else the lowest accepted; "auto" for an unknown name."""
    levels = [q for q in QUALITY_ORDER if q in accepted]
    if wanted not in QUALITY_ORDER or not levels:
        return "auto" if "auto" in accepted else accepted[0]
    below = [q for q in levels if QUALITY_ORDER.index(q) <= QUALITY_ORDER.index(wanted)]
    return below[-1] if below else levels[0]


def _size(what, before, value, params, target, source) -> list[Change]:
    caps = target.record.capabilities
    listed = tuple(s for s in caps.sizes or () if registry.parse_size(s))
    legacy = f" {value} is a DALL·E size." if value in LEGACY_SIZES else ""
    problem = caps.size_problem(value)
    if problem is None and (caps.sizes is None or value in caps.sizes or caps.arbitrary_sizes):
        if caps.sizes is None:
            return [Change(what, before, before, f"{target.id}'s sizes: {registry.NOT_FOUND} in the registry.",
                           caps.source_of_param("size"), CHECK)]
        return []
    if not listed:
        return [Change(what, before, before, f"{problem or 'Size support not known.'} {target.id} lists no "
                       f"WIDTHxHEIGHT size to move to.", caps.source_of_param("size"), CHECK)]
    chosen = _nearest_size(value, listed)
    params["size"] = chosen
    if problem is None:
        problem = (f"{value} is not among {target.id}'s listed sizes ({', '.join(caps.sizes)}); whether it takes "
                   f"other sizes: {registry.NOT_FOUND}.")
    cited = caps.source_of_param("size") if not legacy else LEGACY_SIZES_SOURCE
    return [Change(what, before, _literal(chosen), f"{problem}{legacy} {chosen} is the listed size of the "
                   f"nearest shape.", cited)]


def _nearest_size(size: Any, listed: tuple[str, ...]) -> str:
    """The listed size with the aspect ratio nearest to ``size`` (then the nearest pixel count); the first
    listed one for a size that is not WIDTHxHEIGHT (e.g. "auto")."""
    parsed = registry.parse_size(size)
    if parsed is None or 0 in parsed:
        return listed[0]
    width, height = parsed

    def distance(candidate: str) -> tuple[float, int]:
        w, h = registry.parse_size(candidate)
        return abs(math.log((w / h) / (width / height))), abs(w * h - width * height)

    return min(listed, key=distance)


def _fidelity(what, before, value, params, target, source) -> list[Change]:
    caps = target.record.capabilities
    accepted = caps.input_fidelity
    if accepted is not None and value in accepted:
        return []
    was = source.record.capabilities.input_fidelity if source.record.capabilities else None
    already = (f" {source.id} refused it too (it took {registry.fmt(was)})."
               if source.id != target.id and was is not None and value not in was else "")
    del params["input_fidelity"]
    if accepted is None:
        why = (f"{target.id}'s input_fidelity behaviour: {registry.NOT_FOUND} in the registry; leave it out "
               "rather than send a value no source documents (models that take it default to low).")
    elif accepted == ():
        why = f"{target.id} takes no input_fidelity: omit the parameter."
    else:
        why = (f"{target.id} takes input_fidelity {registry.fmt(accepted)} only; omitted, it defaults to low "
               f"({FIDELITY_DEFAULT_SOURCE.citation}).")
    return [Change(what, before, NOT_SENT, why + already, caps.source_of("input_fidelity"))]


def _output_format(what, before, value, params, target, source) -> list[Change]:
    caps = target.record.capabilities
    if caps.output_formats is None:
        return [Change(what, before, before, f"{target.id}'s output formats: {registry.NOT_FOUND} in the registry.",
                       caps.source_of_param("output_format"), CHECK)]
    if value in caps.output_formats:
        return []
    chosen = caps.output_formats[0]
    params["output_format"] = chosen
    changes = [Change(what, before, _literal(chosen), f"{target.id} returns {registry.fmt(caps.output_formats)} "
                      f"only; {chosen} is the first it lists.", caps.source_of_param("output_format"))]
    if "output_compression" in params and chosen not in COMPRESSIBLE_FORMATS:
        prefix = what[: -len("output_format")]
        changes.append(Change(f"{prefix}output_compression", _literal(params.pop("output_compression")), NOT_SENT,
                              f"output_compression goes with webp or jpeg only, not {chosen}.", COMPRESSION_SOURCE))
    return changes


def _background(what, before, value, params, target, source) -> list[Change]:
    support = target.record.capabilities.transparent_background
    cited = target.record.capabilities.source_of_param("background")
    if value != "transparent" or support in ("yes", "preview"):
        return []
    if support is None:
        return [Change(what, before, before, f"{target.id}'s transparent background: {registry.NOT_FOUND} in the "
                       "registry.", cited, CHECK)]
    del params["background"]
    return [Change(what, before, NOT_SENT, f"{target.id} has no transparent background (the registry says "
                   f"{support!r}).", cited)]


def _n(what, before, value, params, target, source) -> list[Change]:
    caps = target.record.capabilities
    low, high = caps.n_range
    if not isinstance(value, int) or isinstance(value, bool) or low <= value <= high:
        return []
    params["n"] = min(max(value, low), high)
    return [Change(what, before, _literal(params["n"]), f"{target.id} takes n from {low} to {high}.",
                   caps.source_of("n_range"))]


def _batch_changes(source: registry.ModelOnDay, target: registry.ModelOnDay) -> list[Change]:
    """Batch availability, when it differs (or is not found on one side)."""
    def support(found: registry.ModelOnDay) -> tuple[Optional[bool], registry.Source]:
        caps = found.record.capabilities
        return (caps.batch, caps.source_of("batch")) if caps else (None, _registry_lacks(f"capabilities of {found.id}"))

    (was, was_source), (now, now_source) = support(source), support(target)
    if was == now and was is not None:
        return []
    why = (f"Batch on {source.id}: {registry.fmt(was)} ({was_source.tag}); on {target.id}: {registry.fmt(now)} "
           f"({now_source.tag}).")
    if was and now is not True:
        why += " A Batch job written for the old model must run synchronously, or on another model with Batch."
    return [Change("Batch", f"{registry.fmt(was)} {was_source.tag}", f"{registry.fmt(now)} {now_source.tag}", why,
                   now_source, BATCH, was_source)]


def _price_change(source: registry.ModelOnDay, target: registry.ModelOnDay, before: Mapping[str, Any],
                  after: Mapping[str, Any]) -> tuple[pricing.Estimate, pricing.Estimate, Change]:
    """The price per image (USD, output only) of the call before and after, from ``pricing.estimate``."""
    def estimate(model: str, params: Mapping[str, Any]) -> pricing.Estimate:
        return pricing.estimate(model, str(params.get("quality") or "auto"), str(params.get("size") or "auto"))

    was, now = estimate(source.id, before), estimate(target.id, after)
    notes = "; ".join(f"{e.model}: {e.assumption}" for e in (was, now) if e.assumption)
    why = (f"USD per image, output only (input tokens are billed on top): {source.id} at {was.quality} "
           f"{was.size}, {target.id} at {now.quality} {now.size}." + (f" Assumed: {notes}." if notes else ""))
    change = Change("price per image", _price_text(was), _price_text(now), why, _price_source(now), PRICE,
                    _price_source(was))
    return was, now, change


def _price_text(est: pricing.Estimate) -> str:
    parts = []
    if est.from_per_image_table is not None:
        parts.append(f"{pricing.usd(est.from_per_image_table)} table")
    if est.from_token_table is not None:
        parts.append(f"{pricing.usd(est.from_token_table)} tokens")
    return " / ".join(parts) or registry.NOT_FOUND


def _price_source(est: pricing.Estimate) -> registry.Source:
    record = registry.get(est.model)
    if est.from_per_image_table is not None:
        return record.per_image_prices.source
    if est.from_token_table is not None:
        return registry.Source(f"{est.tokens_source.citation} x {record.token_prices.source.citation}",
                               as_of=record.token_prices.source.as_of)
    return _registry_lacks(f"per-image price or output-token count for {est.model} at {est.quality} {est.size}")


def _registry_lacks(what: str) -> registry.Source:
    """The source of a "not found": the registry itself, which holds no value for ``what``."""
    return registry.Source(f"[registry] helpers/registry.py holds no {what} ({registry.NOT_FOUND})",
                           as_of=registry.AS_OF)


# --- the call as code -------------------------------------------------------------------------

def _literal(value: Any) -> str:
    """``value`` as it reads in Python code: strings in double quotes, an open file as ``open(name, "rb")``;
    an object with no short literal as ``<type>`` (never a memory address)."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (bytes, bytearray)):
        return f"<{len(value):,} bytes>"
    if isinstance(value, os.PathLike):
        return f"Path({json.dumps(os.fspath(value))})"
    name = getattr(value, "name", None)
    if isinstance(name, str) and hasattr(value, "read"):
        return f'open({json.dumps(name)}, "rb")'
    return f"<{type(value).__name__}>"


def line_pairs(before: list[str], after: list[str]) -> list[tuple[str, Optional[str], Optional[str]]]:
    """(mark, before line, after line) for two listings of a call: mark " " (same), "|" (the same keyword
    with another value), "<" (only before; after is None) or ">" (only after; before is None)."""
    pairs: list[tuple[str, Optional[str], Optional[str]]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
        if tag == "equal":
            pairs += [(" ", line, line) for line in before[i1:i2]]
            continue
        added = {_keyword(line): line for line in after[j1:j2]}
        for line in before[i1:i2]:
            match = added.pop(_keyword(line), None)
            pairs.append(("|", line, match) if match is not None else ("<", line, None))
        pairs += [(">", None, line) for line in added.values()]
    return pairs


def _keyword(line: str) -> str:
    """What a listing line sets: ``size`` for ``    size="1024x1024",`` and ``"model"`` for a tool's key."""
    stripped = line.strip()
    if stripped.startswith('"'):
        return stripped.split(":", 1)[0]
    return stripped.split("=", 1)[0]


def code_lines(route: str, call: Mapping[str, Any]) -> list[str]:
    """``client.<route>(...)`` with one keyword argument a line; each dict in ``tools`` one key a line."""
    lines = [f"client.{route}("]
    for name, value in call.items():
        if name == "tools" and isinstance(value, (list, tuple)):
            lines.append("    tools=[")
            for tool in value:
                if isinstance(tool, Mapping):
                    lines += ["        {"] + [f"            {json.dumps(str(k))}: {_literal(v)},"
                                             for k, v in tool.items()] + ["        },"]
                else:
                    lines.append(f"        {_literal(tool)},")
            lines.append("    ],")
        else:
            lines.append(f"    {name}={_literal(value)},")
    return lines + [")"]


def _fit(line: str, width: int) -> list[str]:
    """``line`` cut into pieces of at most ``width`` characters, continuations indented under it."""
    if len(line) <= width:
        return [line]
    lead = line[: len(line) - len(line.lstrip(" "))]
    return textwrap.wrap(line, width, subsequent_indent=lead + "    ", break_long_words=True, break_on_hyphens=False)
