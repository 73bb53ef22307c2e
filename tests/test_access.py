"""The access checks: masked keys, offline answers without a key, registry limits, lifecycle dates."""

import datetime as dt

import httpx2
import openai
import pytest

from helpers import access, registry
from helpers.offline.transport import SimulatorTransport
from helpers.api_errors import error_body
from helpers.offline.simulator import Simulator

# These tests exercise the kit's mechanics with gpt-image-1-mini's facts, on a day it was still the
# lessons' model (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("lessons_on_mini")



def sdk_client(transport: httpx2.BaseTransport) -> openai.OpenAI:
    return openai.OpenAI(api_key="test-placeholder", base_url="https://api.openai.com/v1", max_retries=0,
                         http_client=openai.DefaultHttpx2Client(transport=transport))

MINI = "gpt-image-1-mini"
KEY = "sk-proj-" + "SECRETMIDDLEPART" * 3 + "wxyz"
LIVE = {"OPENAI_API_KEY": KEY}


@pytest.mark.parametrize("key,shown", [
    (KEY, "sk-proj-...wxyz"),
    ("sk-" + "A" * 40 + "abcd", "sk-...abcd"),
    ("org-" + "B" * 20 + "1234", "org-...1234"),
])
def test_mask_key_shows_prefix_and_last_four_only(key, shown):
    assert access.mask_key(key) == shown


def test_mask_key_never_shows_the_middle_of_a_short_key():
    masked = access.mask_key("sk-zzqq1234")
    assert "zzqq" not in masked and "1234" not in masked


def test_offline_checks_need_no_key_and_read_none(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    for check in (access.check_api_key(mode="offline"), access.check_project(mode="replay"),
                  access.check_verification(MINI, mode="offline")):
        assert "no key needed" in check.summary
        assert "wxyz" not in str(check)


def test_record_from_the_simulator_counts_as_offline():
    env = {"COOKBOOK_RECORD_FROM": "simulator"}
    assert not access.uses_real_api("record", env)
    assert access.uses_real_api("record", {})
    assert access.uses_real_api("live", env)


def test_live_key_check_masks_the_key():
    check = access.check_api_key(mode="live", env=LIVE)
    assert check.status == access.OK
    assert "sk-proj-...wxyz" in str(check)
    assert "SECRET" not in str(check)


@pytest.mark.parametrize("env,word", [({}, "not set"), ({"OPENAI_API_KEY": KEY + "\n"}, "spaces"),
                                      ({"OPENAI_API_KEY": "hello"}, "does not look like")])
def test_live_key_problems_say_what_to_do(env, word):
    check = access.check_api_key(mode="live", env=env)
    assert check.status == access.TODO and word in check.summary and check.next_step


def test_project_check_masks_ids():
    env = dict(LIVE, OPENAI_ORG_ID="org-canaryABCDEFGHIJKLMNO9876", OPENAI_PROJECT_ID="proj_canaryABCDEFGHIJKLM5432")
    text = str(access.check_project(mode="live", env=env))
    assert "org-...9876" in text and "proj_...5432" in text and "canary" not in text
    assert "project key" in text


def test_tier_limits_come_from_the_registry():
    ipm, tpm = registry.rate_limits(MINI, 2)
    check = access.check_tier(MINI, 2)
    assert f"{ipm} images/min" in check.summary and f"{tpm:,} tokens/min" in check.summary
    assert check.source == str(registry.get(MINI).rate_limits.source)
    assert access.check_tier(MINI, None).status == access.TODO
    assert registry.NOT_FOUND in access.check_tier(MINI, 9).summary


def test_lifecycle_today_is_stable_offline_and_real_live():
    env = {"COOKBOOK_TODAY": "2030-01-02"}
    assert access.lifecycle_today("replay", env) == dt.date.fromisoformat(registry.AS_OF)
    assert access.lifecycle_today("live", env) == dt.date(2030, 1, 2)


def test_lifecycle_before_shutdown_warns_with_days_and_successor():
    shutdown = registry.get(MINI).lifecycle.shutdown_date
    today = dt.date.fromisoformat(shutdown) - dt.timedelta(days=11)
    check = access.lifecycle_verdict(MINI, shutdown, today)
    assert check.status == access.WARN
    assert "2026-12-01, 11 days after 2026-11-20." in check.summary
    assert registry.recommended_successor(MINI) in check.next_step


def test_lifecycle_after_shutdown_says_switch_now():
    shutdown = registry.get(MINI).lifecycle.shutdown_date
    check = access.lifecycle_verdict(MINI, shutdown, dt.date.fromisoformat(shutdown) + dt.timedelta(days=3))
    assert check.status == access.TODO and "3 days before" in check.summary and "Switch now" in check.next_step


def test_lifecycle_flags_a_registry_that_disagrees_with_the_api():
    check = access.lifecycle_verdict(MINI, None, dt.date(2026, 11, 20))
    assert check.status == access.OK and "update helpers/registry.py" in check.summary


def test_check_lifecycle_asks_the_api():
    client = sdk_client(SimulatorTransport(Simulator()))
    check = access.check_lifecycle(client, MINI, mode="offline")
    expected_days = registry.on(MINI, registry.as_of_day()).days_until_shutdown
    assert f"{registry.days_phrase(expected_days)} after {registry.as_of_day()}." in check.summary


def test_check_lifecycle_turns_an_api_error_into_a_diagnosis():
    status, body, headers = error_body("invalid_api_key")
    client = sdk_client(httpx2.MockTransport(lambda request: httpx2.Response(status, json=body, headers=headers)))
    check = access.check_lifecycle(client, MINI, mode="live")
    assert check.status == access.TODO and "invalid_api_key" in check.summary


def test_run_all_follows_the_documented_order():
    client = sdk_client(SimulatorTransport(Simulator()))
    checks = access.run_all(client, MINI, 1, mode="offline")
    assert [c.step for c in checks] == list(access.STEPS)
