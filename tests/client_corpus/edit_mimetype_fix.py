"""Raw bytes go up as application/octet-stream and are refused; the fix is a named, typed tuple."""

import openai


def main(client, aclient, workdir):
    cat = (workdir / "cat.png").read_bytes()
    try:
        client.images.edit(model="gpt-image-1-mini", image=cat, prompt="Add a hat")
    except openai.BadRequestError as error:
        assert "unsupported mimetype ('application/octet-stream')" in error.message
    else:
        raise AssertionError("raw bytes should be refused")
    fixed = client.images.edit(model="gpt-image-2", image=("cat.png", cat, "image/png"), prompt="Add a hat",
                               size="1024x640", quality="low")
    assert fixed.data
