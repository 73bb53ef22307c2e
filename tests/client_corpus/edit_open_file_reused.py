"""One open file handle used for two edits: rewind it between uploads (openai-cookbook PR #2903)."""

import base64


def main(client, aclient, workdir):
    with open(workdir / "cat.png", "rb") as image, open(workdir / "mask.png", "rb") as mask:
        first = client.images.edit(model="gpt-image-1-mini", image=image, mask=mask, prompt="Add a red hat",
                                   quality="low")
        image.seek(0)
        mask.seek(0)
        second = client.images.edit(model="gpt-image-1-mini", image=image, mask=mask, prompt="Add a blue scarf",
                                    quality="low")
    assert first.data[0].b64_json != second.data[0].b64_json
    (workdir / "hat.png").write_bytes(base64.b64decode(first.data[0].b64_json))
