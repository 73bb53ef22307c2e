"""AsyncOpenAI: two generations at once with asyncio.gather, then an edit from a BytesIO and a list."""

import asyncio
import io


async def run(aclient, workdir):
    prompts = ["A red balloon", "A blue balloon"]
    results = await asyncio.gather(*(aclient.images.generate(model="gpt-image-2", prompt=p, size="1024x640",
                                                              output_format="jpeg") for p in prompts))
    assert [r.output_format for r in results] == ["jpeg", "jpeg"]
    picture = io.BytesIO((workdir / "cat.png").read_bytes())
    picture.name = "cat.png"
    edited = await aclient.images.edit(model="gpt-image-2", image=[picture, workdir / "cat.png"],
                                       prompt="Add balloons", size="1024x640", quality="low")
    assert edited.data
    raw = await aclient.images.with_raw_response.generate(model="gpt-image-2", prompt="A kite", size="1024x640")
    assert raw.headers["x-request-id"] and raw.parse().data


def main(client, aclient, workdir):
    asyncio.run(run(aclient, workdir))
