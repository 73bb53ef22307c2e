"""python -m helpers.maintainer.verify_facts, rehearsed end to end against the simulator over real HTTP (no key, no cost)."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from helpers import budget, pricing, registry
from helpers.maintainer import verify_facts
from helpers.maintainer.simulator_server import serve
from helpers.offline.simulator import Simulator

# These tests exercise the kit's mechanics with gpt-image-1-mini's facts, on a day it was still the
# lessons' model (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("lessons_on_mini")

MINI = "gpt-image-1-mini"
DAY = "2026-11-29"
CANARIES = {"OPENAI_API_KEY": "sk-canaryVerifyFacts0001", "OPENAI_ORG_ID": "org-canaryVerifyFacts0002",
            "OPENAI_PROJECT_ID": "proj_canaryVerifyFacts0003"}
# What the disagreeing simulator answers instead of the registry's value.
OBSERVED_SHUTDOWN = "2027-02-10"
OBSERVED_MINI_TOKENS = 625


class Counting(Simulator):
    """The default simulator, counting what reached it."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.requests: list[tuple[str, str]] = []

    def handle(self, method, path, query, headers, body):
        self.requests.append((method, path))
        return super().handle(method, path, query, headers, body)


class Disagreeing(Counting):
    """Disagrees with the registry on one lifecycle date and one token count."""

    def handle(self, method, path, query, headers, body):
        request = json.loads(body) if path.endswith("/images/generations") else {}
        answer = super().handle(method, path, query, headers, body)
        if answer.status != 200:
            return answer
        payload = dict(answer.body)
        if path == "/v1/models/gpt-image-2":
            payload["shutdown_date"] = OBSERVED_SHUTDOWN
        elif request.get("model") == MINI:
            payload["usage"] = {**payload["usage"], "output_tokens": OBSERVED_MINI_TOKENS,
                                "output_tokens_details": {"image_tokens": OBSERVED_MINI_TOKENS, "text_tokens": 0}}
        return dataclasses.replace(answer, body=payload)


class Echoing(Counting):
    """Echoes the request's credentials in an error body, as a careless proxy might."""

    def handle(self, method, path, query, headers, body):
        if path == "/v1/models/dall-e-2":
            sent = {k.lower(): v for k, v in headers.items()}
            message = " ".join(sent.get(h, "") for h in ("authorization", "openai-organization", "openai-project"))
            return dataclasses.replace(super().handle(method, path, query, headers, body), status=403, body={
                "error": {"message": f"(simulated) denied for {message}", "type": "invalid_request_error",
                          "param": None, "code": None}})
        return super().handle(method, path, query, headers, body)


@pytest.fixture
def live_env(monkeypatch):
    monkeypatch.setenv("COOKBOOK_TODAY", DAY)
    monkeypatch.delenv("COOKBOOK_IMAGE_MODEL", raising=False)
    for name, value in CANARIES.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(budget, "KERNEL_CAP", None)


def rehearse(simulator, argv, tmp_path, monkeypatch, capsys, ask=lambda _: "y"):
    out = tmp_path / "reports"
    with serve(simulator) as base_url:
        monkeypatch.setenv("OPENAI_BASE_URL", base_url)
        code = verify_facts.main([*argv, "--out", str(out)], ask=ask)
    captured = capsys.readouterr()
    md = next(out.glob("*.md"), None)
    js = next(out.glob("*.json"), None)
    return code, captured.out, captured.err, md.read_text() if md else None, json.loads(js.read_text()) if js else None


def printed_bound(stdout: str) -> float:
    return float(re.search(r"Upper bound of what the spending cap will record: \$([0-9.]+)", stdout)[1])


def test_rehearsal_against_the_default_simulator_agrees_and_says_simulated(live_env, tmp_path, monkeypatch, capsys,
                                                                           lessons_on_mini):
    code, out, _, md, report = rehearse(Counting(), ["--all", "--yes"], tmp_path, monkeypatch, capsys)
    assert code == 0
    assert md.startswith(f"# Registry fact check, {DAY} (SIMULATED)") and "> **SIMULATED.**" in md
    assert report["simulated"] is True and report["checked_on"] == DAY
    assert [f for f in report["facts"] if f["verdict"] == verify_facts.DIFFER] == []
    assert {f["model"] for f in report["facts"] if f["fact"] == "listed"} == set(registry.MODELS)
    usage = {f["id"]: f for f in report["facts"] if f["fact"].startswith("output_tokens")}
    assert usage[f"{MINI}/output_tokens[low,1024x1024]"]["verdict"] == verify_facts.AGREE
    # the official calculator's 196 tokens (registry) and the simulator's answer agree
    assert usage["gpt-image-2/output_tokens[low,1024x1024]"]["verdict"] == verify_facts.AGREE
    retired = next(f for f in report["facts"] if f["id"] == "gpt-image-1/error_when_shut_down")
    assert retired["status"] == 400 and retired["verdict"] == verify_facts.NEW and "invalid_value" in retired["observed"]
    # unpriced: DALL·E has no prices; flare's count and its [3P] transparency rule rest on undocumented counts
    assert {n["probe"] for n in report["not_run"]} >= {"retired:dall-e-2", "usage:gpt-image-2.6-flare",
                                                       "rule:gpt-image-2.6-flare:transparent_background"}


def test_rehearsal_names_each_difference(live_env, tmp_path, monkeypatch, capsys, lessons_on_mini):
    code, out, _, md, report = rehearse(Disagreeing(), ["--all", "--yes"], tmp_path, monkeypatch, capsys)
    assert code == 1
    differing = {f["id"]: f for f in report["facts"] if f["verdict"] == verify_facts.DIFFER}
    # gpt-image-2's transparency now rests on [OAI] wording, so it is no longer a third-party rule to probe.
    assert set(differing) == {"gpt-image-2/lifecycle.shutdown_date", f"{MINI}/output_tokens[low,1024x1024]"}
    date = differing["gpt-image-2/lifecycle.shutdown_date"]
    assert (date["registry"], date["observed"]) == ("none announced", OBSERVED_SHUTDOWN)
    assert "the [3P] report of 2027-02-10 is confirmed" in date["note"]
    tokens = differing[f"{MINI}/output_tokens[low,1024x1024]"]
    assert (tokens["registry"], tokens["observed"]) == ("272", str(OBSERVED_MINI_TOKENS))
    section = md.split("## Differences")[1].split("## Every fact checked")[0]
    for fact_id, fact in differing.items():
        assert f"| `{fact_id}` | {fact['registry']} |" in section
        assert fact["request"]["path"] in section


def test_the_printed_cost_bounds_what_the_cap_recorded(live_env, tmp_path, monkeypatch, capsys):
    code, out, _, _, report = rehearse(Disagreeing(), ["--all", "--yes"], tmp_path, monkeypatch, capsys)
    bound = printed_bound(out)
    assert out.index("Upper bound") < out.index("facts checked")  # printed before anything was sent
    assert report["bound_usd"] == pytest.approx(bound, abs=1e-6)
    assert 0 < report["spent_usd"] <= bound <= verify_facts.DEFAULT_BUDGET_USD


def test_a_budget_below_the_bound_sends_nothing(live_env, tmp_path, monkeypatch, capsys):
    simulator = Counting()
    code, _, err, md, _ = rehearse(simulator, ["--all", "--yes", "--budget", "0.01"], tmp_path, monkeypatch, capsys)
    assert code == 2 and simulator.requests == [] and md is None
    assert "more than the budget of $0.010000" in err


@pytest.mark.parametrize("probe, message", [
    ("usage:dall-e-3", "unknown probe 'usage:dall-e-3'"),
    ("rule:gpt-image-2.6-flare:batch", "not reliably free"),
])
def test_bad_probe_names_are_refused_before_sending(live_env, tmp_path, monkeypatch, capsys, probe, message):
    simulator = Counting()
    code, _, err, _, _ = rehearse(simulator, ["--probe", probe, "--yes"], tmp_path, monkeypatch, capsys)
    assert code == 2 and simulator.requests == [] and message in err


def test_a_declined_confirmation_sends_nothing(live_env, tmp_path, monkeypatch, capsys):
    simulator, asked = Counting(), []
    code, out, _, md, _ = rehearse(simulator, ["--probe", "usage:gpt-image-2"], tmp_path, monkeypatch, capsys,
                                   ask=lambda prompt: asked.append(prompt) or "n")
    assert code == 0 and asked and simulator.requests == [] and md is None
    assert "usage:gpt-image-2" in out and "Nothing sent." in out


def test_free_checks_alone_cost_nothing(live_env, tmp_path, monkeypatch, capsys):
    simulator = Counting()
    code, out, _, _, report = rehearse(simulator, ["--yes"], tmp_path, monkeypatch, capsys)
    assert code == 0 and printed_bound(out) == 0 and report["spent_usd"] == 0
    assert {m for m, _ in simulator.requests} == {"GET"} and len(simulator.requests) == len(registry.MODELS)


def test_unpriced_probes_run_only_when_allowed(live_env, tmp_path, monkeypatch, capsys, lessons_on_mini):
    flare = "usage:gpt-image-2.6-flare"
    code, out, _, _, report = rehearse(Counting(), ["--probe", flare, "--yes"], tmp_path, monkeypatch, capsys)
    assert [n["probe"] for n in report["not_run"] if n["probe"] == flare] == [flare]
    assert not any(f["fact"].startswith("output_tokens") for f in report["facts"])
    code, out, _, _, report = rehearse(Counting(), ["--probe", flare, "--yes", "--allow-unpriced"], tmp_path,
                                       monkeypatch, capsys)
    assert "plus 1 request(s) the registry cannot price" in out
    fact = next(f for f in report["facts"] if f["id"] == "gpt-image-2.6-flare/output_tokens[low,1024x1024]")
    assert fact["registry"] == registry.NOT_FOUND and fact["verdict"] == verify_facts.NEW


def test_no_key_organization_or_project_id_reaches_the_report(live_env, tmp_path, monkeypatch, capsys):
    code, out, err, md, report = rehearse(Echoing(), ["--all", "--yes"], tmp_path, monkeypatch, capsys)
    echoed = next(f for f in report["facts"] if f["model"] == "dall-e-2")
    assert echoed["status"] == 403 and verify_facts.REDACTED in echoed["observed"]  # the echo happened
    js = json.dumps(report)
    for canary in CANARIES.values():
        assert canary not in md and canary not in js and canary not in out and canary not in err


def test_scrub_removes_secret_shapes_and_keeps_ordinary_words():
    text = "key sk-abcdEFGH1234 org org-AbCd1234 project proj_Xy12zz; task-1234 and gpt-image-2 stay"
    assert verify_facts.scrub(text, env={}) == (
        "key [redacted] org [redacted] project [redacted]; task-1234 and gpt-image-2 stay")
    assert verify_facts.scrub("token abc123secret", env={"OPENAI_API_KEY": "abc123secret"}) == "token [redacted]"


# --- which probes the registry implies ------------------------------------------------------------

def test_usage_probes_start_with_the_lesson_model():
    day = registry.as_of_day()
    assert verify_facts.usage_models(day, env={})[0] == registry.lesson_image_model(day, env={})


def test_usage_probes_follow_the_lesson_model_and_its_successors(lessons_on_mini):
    before = registry.as_of_day()
    assert verify_facts.usage_models(before, env={}) == [MINI, "gpt-image-2.6-flare", "gpt-image-2.6-sunburst",
                                                          "gpt-image-2"]
    after = registry.on(MINI, before).record.lifecycle.shutdown()
    assert verify_facts.usage_models(after, env={}) == ["gpt-image-2.6-flare", "gpt-image-2"]


def test_rule_probes_come_from_third_party_capabilities(monkeypatch):
    gpt2 = registry.get("gpt-image-2")
    day = registry.as_of_day()
    names = lambda: {p.name for p in verify_facts.rule_probes(day)[0]}  # noqa: E731
    assert "rule:gpt-image-2:transparent_background" not in names(), "an [OAI] rule is not probed"
    third_party = dataclasses.replace(gpt2.capabilities, field_sources={
        **gpt2.capabilities.field_sources, "transparent_background": registry.Source("[3P] a test claim")})
    monkeypatch.setitem(registry.MODELS, gpt2.id, dataclasses.replace(gpt2, capabilities=third_party))
    assert "rule:gpt-image-2:transparent_background" in names()
    probe = next(p for p in verify_facts.rule_probes(day)[0] if p.model == gpt2.id)
    assert probe.request.body == {"model": "gpt-image-2", "prompt": verify_facts.PROBE_PROMPT, "quality": "low",
                                  "size": "1024x1024", "background": "transparent", "output_format": "png"}
    assert gpt2.output_tokens.source.tag == "[OAI]", "a documented count prices the probe"
    image = pricing.estimate(gpt2.id, "low", "1024x1024")
    assert image.from_token_table == gpt2.output_tokens.tokens[("low", "1024x1024")] * gpt2.token_prices.image_out / 1e6
    prompt_tokens = len(verify_facts.PROBE_PROMPT) + verify_facts.PROMPT_OVERHEAD_TOKENS
    assert probe.bound_usd == pytest.approx(image.upper + prompt_tokens * gpt2.token_prices.text_in / 1e6)


def test_a_rule_probe_on_an_undocumented_count_is_not_priced():
    day = registry.on(MINI, registry.as_of_day()).record.lifecycle.shutdown()
    flare = registry.lane_model(day)
    assert registry.get(flare).output_tokens is None, "the lane's model has no documented output count"
    probe = next(p for p in verify_facts.rule_probes(day)[0] if p.model == flare)
    assert probe.bound_usd is None and "the registry cannot price it" in probe.cost_note


# --- folding a report into the registry --------------------------------------------------------------

@pytest.fixture
def live_report(live_env, tmp_path, monkeypatch, capsys, lessons_on_mini) -> Path:
    """A report from the disagreeing simulator on mini's lessons, relabelled as if it had come from OpenAI's API."""
    _, _, _, _, report = rehearse(Disagreeing(), ["--all", "--yes"], tmp_path, monkeypatch, capsys)
    report.update(simulated=False, base_url="https://api.openai.com/v1")
    path = tmp_path / "live.json"
    path.write_text(json.dumps(report))
    return path


def test_a_simulated_report_is_never_folded(live_env, tmp_path, monkeypatch, capsys):
    rehearse(Disagreeing(), ["--all", "--yes"], tmp_path, monkeypatch, capsys)
    observations = tmp_path / "observations.json"
    observations.write_text("[]\n")
    report = next((tmp_path / "reports").glob("*.json"))
    code = verify_facts.main(["--fold", str(report), "--observations", str(observations)])
    assert code == 2 and "simulated" in capsys.readouterr().err
    assert observations.read_text() == "[]\n"


def test_fold_writes_and_prints_the_diff_then_the_registry_shows_live_facts(live_report, tmp_path, capsys):
    observations = tmp_path / "observations.json"
    observations.write_text("[]\n")
    assert verify_facts.main(["--fold", str(live_report), "--observations", str(observations)]) == 0
    printed = capsys.readouterr().out
    assert '+    "fact": "lifecycle.shutdown_date",' in printed and str(observations) in printed
    models = registry.apply_observations(registry.MODELS, registry.read_observations(observations))
    gpt2 = models["gpt-image-2"]
    assert gpt2.lifecycle.shutdown_date == OBSERVED_SHUTDOWN
    assert gpt2.lifecycle.source.citation.startswith(f"[LIVE {DAY}] GET /v1/models/gpt-image-2 returned")
    assert models["gpt-image-2-2026-04-21"].lifecycle.shutdown_date == OBSERVED_SHUTDOWN  # the snapshot follows
    on_day = registry.ModelOnDay(gpt2, registry.as_of_day())
    assert on_day.status == registry.DEPRECATED and on_day.status_line().startswith(
        f"deprecated, shuts down {OBSERVED_SHUTDOWN}")
    mini = models[MINI].output_tokens
    assert mini.tokens[("low", "1024x1024")] == OBSERVED_MINI_TOKENS and mini.tokens[("medium", "1024x1024")] == 1056
    assert mini.source.citation.startswith(f"[LIVE {DAY}]") and "other cells: [OAI]" in mini.source.citation
    assert models["gpt-image-1.5"].output_tokens.tokens[("low", "1024x1024")] == 272  # shared table untouched
    assert verify_facts.main(["--fold", str(live_report), "--observations", str(observations)]) == 0
    assert "Nothing to fold" in capsys.readouterr().out


def test_fold_takes_only_the_named_facts(live_report, tmp_path, capsys):
    observations = tmp_path / "observations.json"
    fact = "gpt-image-2/lifecycle.shutdown_date"
    assert verify_facts.main(["--fold", str(live_report), "--fact", fact, "--observations", str(observations)]) == 0
    assert [(e["model"], e["fact"]) for e in json.loads(observations.read_text())] == [
        ("gpt-image-2", "lifecycle.shutdown_date")]
    code = verify_facts.main(["--fold", str(live_report), "--fact", "gpt-5.5/listed", "--observations",
                              str(observations)])
    assert code == 2 and "not a differing or new fact" in capsys.readouterr().err


@pytest.mark.parametrize("entry, message", [
    ({"model": "gpt-image-9", "fact": "output_tokens"}, "no model"),
    ({"model": MINI, "fact": "pricing.image_out"}, "no fact"),
    ({"model": MINI, "fact": "lifecycle.shutdown_date", "value": "1 Dec"}, "Invalid isoformat"),
])
def test_observations_the_registry_cannot_apply_are_refused(entry, message):
    entry = {"value": 1, "observed_on": DAY, "observation": "test", **entry}
    with pytest.raises(ValueError, match=message):
        registry.apply_observations(registry.MODELS, [entry])



@pytest.mark.parametrize("registry_value, answer, verdict, folded", [
    ("no", verify_facts.Answer(400, {"message": "Transparent background is not supported for this model.",
                                     "param": "background"}), verify_facts.AGREE, None),
    ("yes", verify_facts.Answer(200, {"background": "opaque"}), verify_facts.DIFFER, "no"),
    ("yes", verify_facts.Answer(400, {"message": "Invalid prompt", "param": "prompt"}), verify_facts.ERROR, None),
])
def test_a_transparency_rule_is_judged_from_what_came_back(registry_value, answer, verdict, folded):
    request = verify_facts.Request("POST", "/v1/images/generations", {"model": "m", "background": "transparent"})
    probe = verify_facts.Probe("rule:m:transparent_background", "rule", "m", "capabilities.transparent_background",
                               request, registry_value, "[3P] test", 0.01, "")
    (fact,) = verify_facts.judge_rule(probe, answer, registry.as_of_day())
    assert fact.verdict == verdict
    assert (fact.fold or {}).get("value") == folded


def test_a_closed_standard_input_is_never_a_yes(monkeypatch, capsys, tmp_path):
    def closed(prompt):
        raise EOFError

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-closed-stdin")
    assert verify_facts.main(["--all", "--out", str(tmp_path)], ask=closed) == 0
    out = capsys.readouterr().out
    assert "Nothing sent." in out and "--yes" in out
    assert not list(tmp_path.iterdir())
