"""Read headers with with_raw_response, and bodies with with_streaming_response."""

import json


def main(client, aclient, workdir):
    raw = client.images.with_raw_response.generate(model="gpt-image-2", prompt="A kite", size="1024x640",
                                                   quality="low")
    assert raw.headers["x-request-id"] and int(raw.headers["x-ratelimit-limit-requests"]) > 0
    assert raw.parse().data[0].b64_json
    with client.images.with_streaming_response.generate(model="gpt-image-2", prompt="A kite", size="1024x640",
                                                        quality="low") as response:
        assert response.headers.get("x-ratelimit-remaining-requests") is not None
        body = json.loads(response.read())
    assert body["data"][0]["b64_json"]
    with client.responses.with_streaming_response.create(
            model="gpt-5.5", input="A kite", stream=True,
            tools=[{"type": "image_generation", "model": "gpt-image-2", "size": "1024x640", "partial_images": 1}]) as response:
        lines = [line for line in response.iter_lines() if line.startswith("data:")]
    assert json.loads(lines[-1][len("data:"):])["type"] == "response.completed"
