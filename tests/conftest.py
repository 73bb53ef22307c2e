import base64
import functools
import io

import httpx2
import openai
import pytest
from PIL import Image


def png_bytes(size=(64, 64), color=(200, 30, 30, 255), compress_level=6) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, color).save(out, "PNG", compress_level=compress_level)
    return out.getvalue()


@functools.lru_cache(maxsize=None)  # pure, and a noisy 1024x1024 PNG takes a fifth of a second to encode
def b64_png(size=(1024, 1024), color=(10, 120, 200, 255)) -> str:
    # Noise keeps the PNG large enough to be treated as an image payload (> 1000 base64 chars).
    img = Image.effect_noise(size, 40).convert("RGBA")
    img.paste(Image.new("RGBA", (size[0] // 2, size[1] // 2), color))
    out = io.BytesIO()
    img.save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


def sdk_client(transport: httpx2.BaseTransport, **kwargs) -> openai.OpenAI:
    kwargs.setdefault("api_key", "test-placeholder")
    kwargs.setdefault("max_retries", 0)
    return openai.OpenAI(base_url="https://api.openai.com/v1",
                         http_client=openai.DefaultHttpx2Client(transport=transport), **kwargs)


@pytest.fixture
def images_response():
    return {
        "created": 1767225600,
        "background": "opaque",
        "data": [{"b64_json": b64_png()}],
        "output_format": "png",
        "quality": "medium",
        "size": "1024x1024",
        "usage": {"input_tokens": 12, "input_tokens_details": {"image_tokens": 0, "text_tokens": 12},
                  "output_tokens": 1056, "total_tokens": 1068},
    }


# The last day gpt-image-1-mini was served. Most unit tests exercise the kit's mechanics (replay, the
# spending cap, the simulator, Batch) with mini's facts, the one model with both official price tables,
# Batch and an input_fidelity limit, so they run on a day it was served. Tests of today's model, the
# calendar or a rollover set their own day (COOKBOOK_TODAY, or a day passed in).
MINI_SERVED_DAY = "2026-11-29"


@pytest.fixture(autouse=True)
def on_a_day_mini_was_served(monkeypatch):
    monkeypatch.setenv("COOKBOOK_TODAY", MINI_SERVED_DAY)


@pytest.fixture
def lessons_on_mini(monkeypatch):
    """For tests of mini's move to its successor: the registry's facts (and so the recordings' day) as of
    a day mini was still the lessons' model."""
    from helpers import registry

    monkeypatch.setattr(registry, "AS_OF", MINI_SERVED_DAY)
    monkeypatch.delenv("COOKBOOK_IMAGE_MODEL", raising=False)
