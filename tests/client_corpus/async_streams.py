"""AsyncOpenAI streams: an image stream, a Responses stream, and with_streaming_response."""

import asyncio


async def run(aclient, workdir):
    kinds = [event.type async for event in await aclient.images.generate(
        model="gpt-image-2", prompt="A sailboat", size="1024x640", quality="low", stream=True, partial_images=1)]
    assert kinds == ["image_generation.partial_image", "image_generation.completed"]
    stream = await aclient.responses.create(
        model="gpt-5.6-sol", input="Draw a sailboat", stream=True,
        tools=[{"type": "image_generation", "model": "gpt-image-2", "size": "1024x640", "partial_images": 1}])
    last = None
    async for event in stream:
        last = event
    assert last.type == "response.completed"
    async with aclient.responses.with_streaming_response.create(
            model="gpt-5.5", input="Draw a sailboat", stream=True,
            tools=[{"type": "image_generation", "model": "gpt-image-2", "size": "1024x640",
                     "partial_images": 1}]) as response:
        assert response.headers["x-request-id"]
        lines = [line async for line in response.iter_lines() if line]
    assert lines


def main(client, aclient, workdir):
    asyncio.run(run(aclient, workdir))
