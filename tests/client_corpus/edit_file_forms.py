"""Every way a learner hands an image to images.edit: bytes with a name, a typed tuple, BytesIO, a Path, lists."""

import io


def main(client, aclient, workdir):
    cat = (workdir / "cat.png").read_bytes()
    named = io.BytesIO(cat)
    named.name = "cat.png"  # the SDK reads the file name, and the content type from it
    forms = [
        ("cat.png", cat),                      # bytes with a name
        ("cat.png", cat, "image/png"),         # tuple with a type
        named,                                 # BytesIO with a name
        workdir / "cat.png",                   # pathlib.Path
        [workdir / "cat.png", ("ref.png", cat, "image/png")],  # a list of inputs
    ]
    for image in forms:
        result = client.images.edit(model="gpt-image-2", image=image, prompt="Make it a sketch", size="1024x640",
                                    quality="low", output_format="jpeg")
        assert result.output_format == "jpeg" and result.data[0].b64_json
    masked = client.images.edit(model="gpt-image-2", image=[workdir / "cat.png"], mask=workdir / "mask.png",
                                prompt="Fill the hole with flowers", size="1024x640", quality="low")
    assert masked.size == "1024x640"
