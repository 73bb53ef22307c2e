"""Stream a Responses call and save the partial images (the guide's streaming example)."""

import base64


def main(client, aclient, workdir):
    stream = client.responses.create(
        model="gpt-5.4-mini", input="Draw a river of white feathers", stream=True,
        tools=[{"type": "image_generation", "partial_images": 2, "quality": "low", "model": "gpt-image-2",
                "size": "1024x640"}])
    partials = 0
    for event in stream:
        if event.type == "response.image_generation_call.partial_image":
            (workdir / f"river{event.partial_image_index}.png").write_bytes(base64.b64decode(event.partial_image_b64))
            partials += 1
        elif event.type == "response.completed":
            assert event.response.status == "completed"
    assert partials == 2
