"""The pixel-budget size rule of gpt-image-2, 2.5 and 2.6 (registry.ARBITRARY_SIZE_RULE, SIZE_RULE_26), held
the same way live (refused before sending) and offline (the simulator's 400), each citing the rule's source."""

import datetime as dt

import httpx2
import openai
import pytest

from helpers import registry
from helpers import transports
from helpers.offline.transport import SimulatorTransport
from helpers.offline.simulator import Simulator

DAY = dt.date(2026, 12, 2)
MODELS = ("gpt-image-2", "gpt-image-2.5-flare", "gpt-image-2.5-sunburst", "gpt-image-2.6-flare",
          "gpt-image-2.6-sunburst")
REFUSED = ("512x512", "768x768")  # under 655,360 pixels
ACCEPTED = ("1024x640", "2880x2880")  # 655,360 pixels exactly; a square above the old 2160 short-edge cap


class Answered(httpx2.BaseTransport):
    """Stands in for the network: counts what reached it and answers an empty image list."""

    def __init__(self):
        self.sent = []

    def handle_request(self, request):
        self.sent.append(request)
        return httpx2.Response(200, json={"created": 0, "data": []}, request=request)


def client(inner) -> openai.OpenAI:
    return openai.OpenAI(api_key="sk-test", base_url="http://kit.invalid/v1", max_retries=0,
                         http_client=openai.DefaultHttpx2Client(transport=inner))


def test_the_rule_is_the_guides_and_covers_every_current_model():
    for model in MODELS:
        caps = registry.get(model).capabilities
        assert caps.arbitrary_sizes and caps.size_rule is not None, model
        assert "[OAI] image generation guide" in caps.source_of_param("size").citation, model
    assert registry.get("gpt-image-2.6-flare").capabilities.source_of_param("size").tag == "[3P]", (
        "2.6 follows the rule on third-party evidence, and says so")


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("size", REFUSED)
def test_a_size_under_the_pixel_budget_is_refused_live_before_sending(model, size):
    network = Answered()
    live = client(transports.PreSendCheckTransport(network, day=lambda: DAY))
    with pytest.raises(openai.BadRequestError) as refused:
        live.images.generate(model=model, prompt="A kite", size=size, quality="low")
    assert network.sent == [], "nothing left the machine"
    assert refused.value.response.headers[transports.NOT_SENT_HEADER]
    message = refused.value.body["message"]
    assert f"Invalid size '{size}'" in message and "at least 655,360 pixels" in message
    assert registry.get(model).capabilities.source_of_param("size").citation in message


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("size", REFUSED)
def test_a_size_under_the_pixel_budget_is_refused_by_the_simulator(model, size):
    offline = client(SimulatorTransport(Simulator(day=DAY)))
    with pytest.raises(openai.BadRequestError) as refused:
        offline.images.generate(model=model, prompt="A kite", size=size, quality="low")
    assert (refused.value.body["param"], refused.value.body["code"]) == ("size", "invalid_value")
    assert refused.value.body["message"].startswith("(simulated) ") and "at least 655,360 pixels" in refused.value.body["message"]


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("size", ACCEPTED)
def test_sizes_inside_the_budget_are_sent_live(model, size):
    network = Answered()
    client(transports.PreSendCheckTransport(network, day=lambda: DAY)).images.generate(
        model=model, prompt="A kite", size=size, quality="low")
    assert len(network.sent) == 1


@pytest.mark.parametrize("size", ACCEPTED)
def test_sizes_inside_the_budget_are_drawn_by_the_simulator(size):
    image = client(SimulatorTransport(Simulator(day=DAY))).images.generate(
        model=registry.lane_model(DAY), prompt="A kite", size=size, quality="low")
    assert image.size == size and image.data[0].b64_json


def test_a_model_without_a_size_rule_is_not_refused_live_only_bounded_where_the_simulator_draws():
    import datetime as dt

    from helpers import api_errors, rules

    served = dt.date(2026, 11, 20)  # chatgpt-image-latest was served then; the registry gives it no size rule
    caps = registry.get("chatgpt-image-latest").capabilities
    assert caps.size_rule is None and caps.arbitrary_sizes is None
    fields = {"model": "chatgpt-image-latest", "prompt": "A red fox", "size": "512x512"}
    assert rules.check_image_request(fields, route="generate", day=served).size == "512x512"
    with pytest.raises(api_errors.Rejected) as info:
        rules.check_image_request(fields, route="generate", day=served, drawn=True)
    assert info.value.args[0][1]["error"]["message"].startswith(api_errors.SIMULATED)
