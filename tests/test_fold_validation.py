"""``python -m helpers.maintainer.verify_facts --fold``: a malformed or dangerous report is refused, naming the field,
before anything is written; secrets in observation text never reach the observations file; the registry
refuses an observations file whose values would make the spending cap reserve nothing."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from helpers import registry
from helpers.maintainer import verify_facts

MINI = "gpt-image-1-mini"
TODAY = "2026-12-03"
ENV = {"COOKBOOK_TODAY": TODAY}
TOKENS_ID = f"{MINI}/output_tokens[low,1024x1024]"
SHUTDOWN_ID = "gpt-image-2/lifecycle.shutdown_date"
IMAGES_ID = f"{MINI}/capabilities.max_input_images"


def good_report() -> dict:
    """A report as ``verify_facts.report_json`` writes it, from OpenAI's API, with three foldable facts."""
    def fact(fact_id: str, fold: dict) -> dict:
        model, name = fact_id.split("/", 1)
        return {"id": fact_id, "model": model, "fact": name, "verdict": verify_facts.DIFFER, "fold": fold,
                "registry": "x", "registry_source": "x", "observed": "x", "status": 200, "note": "",
                "request": {"method": "POST", "path": "/v1/images/generations", "body": None}}
    return {
        "kind": verify_facts.REPORT_KIND, "version": 1, "checked_on": "2026-12-02", "simulated": False,
        "base_url": "https://api.openai.com/v1", "registry_as_of": registry.AS_OF,
        "budget_usd": 0.1, "bound_usd": 0.05, "spent_usd": 0.01, "not_run": [],
        "facts": [
            fact(TOKENS_ID, {"model": MINI, "fact": "output_tokens", "quality": "low", "size": "1024x1024",
                             "value": 300, "observation": "POST /v1/images/generations reported 300 tokens"}),
            fact(SHUTDOWN_ID, {"model": "gpt-image-2", "fact": "lifecycle.shutdown_date", "value": "2027-02-10",
                               "observation": "GET /v1/models/gpt-image-2 returned shutdown_date=\"2027-02-10\""}),
            fact(IMAGES_ID, {"model": MINI, "fact": "capabilities.max_input_images", "value": 10,
                             "observation": "an edit with 11 images was refused"}),
        ],
    }


def fold_of(report: dict, fact_id: str) -> dict:
    return next(f for f in report["facts"] if f["id"] == fact_id)["fold"]


def with_fold(fact_id: str, **changes):
    def change(report: dict) -> dict:
        fold_of(report, fact_id).update(changes)
        return report
    return change


def without(key: str, fact_id: str | None = None):
    def change(report: dict) -> dict:
        (fold_of(report, fact_id) if fact_id else report).pop(key)
        return report
    return change


def setting(key: str, value):
    def change(report: dict) -> dict:
        report[key] = value
        return report
    return change


def first_fact(**changes):
    def change(report: dict) -> dict:
        report["facts"][0].update(changes)
        for key, value in changes.items():
            if value is ...:
                report["facts"][0].pop(key)
        return report
    return change


def text(raw: str | bytes):
    """A report file holding exactly ``raw`` (not JSON written by the kit)."""
    return raw


def good_json_with(old: str, new: str):
    return text(json.dumps(good_report()).replace(old, new, 1))


BAD_REPORTS = {
    "non-JSON": (text("{this is not json"), "not JSON"),
    "empty file": (text(""), "empty"),
    "blank file": (text("  \n\n"), "empty"),
    "not UTF-8": (text(b"\xff\xfe\x00garbage"), "not UTF-8"),
    "a JSON list": (text("[]"), "not a fact-check report"),
    "nested junk ten thousand deep": (text("[" * 100_000 + "]" * 100_000), "nests too deeply"),
    "missing kind": (without("kind"), "'kind'"),
    "simulated unset": (without("simulated"), "'simulated'"),
    "missing facts": (without("facts"), "'facts'"),
    "facts a string": (setting("facts", "all of them"), "'facts'"),
    "a fact that is a number": (setting("facts", [1]), "facts[0]"),
    "a fact without verdict": (first_fact(verdict=...), "'verdict'"),
    "fold a string": (first_fact(fold="value=300"), "'fold'"),
    "missing value": (without("value", TOKENS_ID), "'value'"),
    "missing observation": (without("observation", TOKENS_ID), "'observation'"),
    "observation a number": (with_fold(TOKENS_ID, observation=123), "'observation'"),
    "text max_input_images": (with_fold(IMAGES_ID, value="sixteen"), "'value'"),
    "bool max_input_images": (with_fold(IMAGES_ID, value=True), "'value'"),
    "zero max_input_images": (with_fold(IMAGES_ID, value=0), "'value'"),
    "garbage checked_on": (setting("checked_on", "yesterday"), "'checked_on'"),
    "checked_on not a string": (setting("checked_on", 20261202), "'checked_on'"),
    "checked_on in the future": (setting("checked_on", "2027-01-01"), "'checked_on'"),
    "checked_on impossible": (setting("checked_on", "2026-02-30"), "'checked_on'"),
    "negative output_tokens": (with_fold(TOKENS_ID, value=-272), "'value'"),
    "zero output_tokens": (with_fold(TOKENS_ID, value=0), "'value'"),
    "NaN output_tokens": (good_json_with('"value": 300', '"value": NaN'), "'value'"),
    "infinite output_tokens": (good_json_with('"value": 300', '"value": Infinity'), "'value'"),
    "fractional output_tokens": (with_fold(TOKENS_ID, value=272.5), "'value'"),
    "true output_tokens": (with_fold(TOKENS_ID, value=True), "'value'"),
    "text output_tokens": (with_fold(TOKENS_ID, value="300"), "'value'"),
    "nested junk as value": (with_fold(TOKENS_ID, value={"a": [[{"b": []}]]}), "'value'"),
    "implausible output_tokens": (with_fold(TOKENS_ID, value=1_000_000), "implausible"),
    "high below medium": (with_fold(TOKENS_ID, quality="high", value=1050), "dearer qualities"),
    "unknown quality": (with_fold(TOKENS_ID, quality="ultra"), "'quality'"),
    "size not a size": (with_fold(TOKENS_ID, size="big"), "'size'"),
    "model a list": (with_fold(TOKENS_ID, model=[MINI]), "model"),
    "fold about another model": (with_fold(TOKENS_ID, model="gpt-image-2"), "'fold.model'"),
    "garbage shutdown_date": (with_fold(SHUTDOWN_ID, value="soon"), "'value'"),
    "transparency maybe": (with_fold(IMAGES_ID, fact="capabilities.transparent_background", value="maybe"),
                           "'value'"),
    "a price as a fact": (with_fold(TOKENS_ID, fact="pricing.image_out", value=-1), "'fact'"),
}


@pytest.fixture
def observations(tmp_path) -> Path:
    path = tmp_path / "kept" / "observations.json"
    path.parent.mkdir()
    path.write_text("[]\n")
    return path


def write_report(tmp_path: Path, content) -> Path:
    path = tmp_path / "report.json"
    if callable(content):
        content = json.dumps(content(copy.deepcopy(good_report())))
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def test_a_well_formed_report_folds(tmp_path, observations, capsys):
    report = write_report(tmp_path, lambda r: r)
    assert verify_facts.main(["--fold", str(report), "--observations", str(observations)], env=ENV) == 0
    folded = json.loads(observations.read_text())
    assert {(e["model"], e["fact"]) for e in folded} == {
        (MINI, "output_tokens"), ("gpt-image-2", "lifecycle.shutdown_date"), (MINI, "capabilities.max_input_images")}
    models = registry.apply_observations(registry.MODELS, registry.read_observations(observations))
    assert models[MINI].output_tokens.tokens[("low", "1024x1024")] == 300


@pytest.mark.parametrize("content, names", BAD_REPORTS.values(), ids=BAD_REPORTS.keys())
def test_a_malformed_report_is_refused_naming_the_field_and_writes_nothing(tmp_path, observations, capsys,
                                                                          content, names):
    report = write_report(tmp_path, content)
    before = observations.read_bytes()
    code = verify_facts.main(["--fold", str(report), "--observations", str(observations)], env=ENV)
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("Not folded: ") and names in err, err
    assert "Traceback" not in err
    assert observations.read_bytes() == before
    assert sorted(p.name for p in observations.parent.iterdir()) == ["observations.json"]


def test_a_missing_report_is_refused(tmp_path, observations, capsys):
    code = verify_facts.main(["--fold", str(tmp_path / "nope.json"), "--observations", str(observations)], env=ENV)
    assert code == 2 and "cannot read" in capsys.readouterr().err


SECRETS = {
    "sk-proj-AbCdEf0123456789xyz": "a key",
    "org-Canary0rgFold42": "an organization id",
    "proj_CanaryProjFold42": "a project id",
    "gw_live_9f8e7d6c5b4a": "a gateway key only a Bearer header shows",
    "sk-svcacctEscapedKey0099": "a key behind a JSON escape",
    "sk-EscapedDashKey0077": "a key with an escaped dash",
    "envCanarySecretKey55": "the key in the environment, whatever its shape",
}


def test_secrets_in_observation_text_are_scrubbed_before_folding(tmp_path, observations, capsys):
    observation = ("POST /v1/images/generations failed: {\"error\": {\"message\": \"Incorrect API key provided: "
                   "sk-proj-AbCdEf0123456789xyz for org-Canary0rgFold42 in proj_CanaryProjFold42\"}} "
                   "(headers: Authorization: Bearer gw_live_9f8e7d6c5b4a) "
                   "quoted body: {\\\"message\\\": \\\"bad key:\\nsk-svcacctEscapedKey0099\\\"} "
                   "escaped: sk\\u002dEscapedDashKey0077; env: envCanarySecretKey55; reported 300 tokens")
    report = write_report(tmp_path, with_fold(TOKENS_ID, observation=observation))
    env = {**ENV, "OPENAI_API_KEY": "envCanarySecretKey55"}
    assert verify_facts.main(["--fold", str(report), "--observations", str(observations)], env=env) == 0
    written = observations.read_text()
    printed = capsys.readouterr().out
    for secret, what in SECRETS.items():
        assert secret not in written and secret not in printed, what
    entry = next(e for e in json.loads(written) if e["fact"] == "output_tokens")
    assert entry["observation"].count(verify_facts.REDACTED) == len(SECRETS)
    assert "reported 300 tokens" in entry["observation"] and "Bearer [redacted]" in entry["observation"]


def test_scrubbing_an_observation_keeps_ordinary_words():
    text = "task-1234, gpt-image-2 and a sk-8 board stay; the bearer of news stays"
    assert verify_facts.scrub_observation(text, env={}) == text


@pytest.mark.parametrize("value, problem", [
    (0, "reserve nothing"), (-272, "reserve nothing"), ("272", "positive whole number"), (272.0, "positive whole"),
])
def test_the_registry_refuses_output_tokens_that_would_make_the_cap_reserve_nothing(tmp_path, value, problem):
    path = tmp_path / "observations.json"
    path.write_text(json.dumps([{"model": MINI, "fact": "output_tokens", "quality": "low", "size": "1024x1024",
                                 "value": value, "observed_on": "2026-12-02", "observation": "a test"}]))
    with pytest.raises(registry.ObservationError) as refused:
        registry.read_observations(path)
    message = str(refused.value)
    assert str(path) in message and "field 'value'" in message and problem in message


@pytest.mark.parametrize("content, field_name", [
    ('{"model": "x"}', "JSON list"),
    ('[{"model": "gpt-image-1-mini", "fact": "capabilities.max_input_images", "value": "16", '
     '"observed_on": "2026-12-02", "observation": "t"}]', "field 'value'"),
    ('[{"model": "gpt-image-1-mini", "fact": "capabilities.max_input_images", "value": 16, '
     '"observed_on": "last week", "observation": "t"}]', "field 'observed_on'"),
    ("not json", "not a JSON file"),
])
def test_the_registry_names_the_file_and_field_of_a_bad_observations_file(tmp_path, content, field_name):
    path = tmp_path / "observations.json"
    path.write_text(content)
    with pytest.raises(registry.ObservationError, match=field_name) as refused:
        registry.read_observations(path)
    assert str(path) in str(refused.value)
