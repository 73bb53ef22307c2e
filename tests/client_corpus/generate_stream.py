"""Stream a generation with partial images, saving each one as it arrives (the SDK's streaming example)."""

import base64


def main(client, aclient, workdir):
    stream = client.images.generate(model="gpt-image-2", prompt="A lighthouse at dusk", size="1024x640",
                                    quality="low", stream=True, partial_images=2)
    kinds = []
    for event in stream:
        kinds.append(event.type)
        if event.type == "image_generation.partial_image":
            (workdir / f"partial-{event.partial_image_index}.png").write_bytes(base64.b64decode(event.b64_json))
        elif event.type == "image_generation.completed":
            (workdir / "final.png").write_bytes(base64.b64decode(event.b64_json))
    assert kinds == ["image_generation.partial_image"] * 2 + ["image_generation.completed"]
    assert (workdir / "final.png").stat().st_size > 0
