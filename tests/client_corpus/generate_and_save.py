"""Generate one image with the lesson model and save it, as in the image generation guide."""

import base64

from PIL import Image


def main(client, aclient, workdir):
    result = client.images.generate(model="gpt-image-1-mini", prompt="A watercolor fox in the snow",
                                    size="1024x1024", quality="low")
    path = workdir / "fox.png"
    path.write_bytes(base64.b64decode(result.data[0].b64_json))
    assert Image.open(path).size == (1024, 1024)
    assert result.usage.output_tokens > 0 and result.created > 0
