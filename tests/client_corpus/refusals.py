"""What the API refuses, caught the way a learner would: gpt-image-2 transparency and sizes, streaming rules."""

import openai


def main(client, aclient, workdir):
    refused = []
    attempts = [
        lambda: client.images.generate(model="gpt-image-2", prompt="A logo", background="transparent"),
        lambda: client.images.generate(model="gpt-image-2", prompt="A banner", size="4000x1000"),
        lambda: client.responses.create(model="gpt-5.5", input="A banner", stream=True,
                                        tools=[{"type": "image_generation"}]),
        lambda: client.images.generate(model="dall-e-3", prompt="A logo"),
    ]
    for attempt in attempts:
        try:
            attempt()
        except openai.APIStatusError as error:
            refused.append((error.status_code, error.body["message"]))
    assert refused[0] == (400, "Transparent background is not supported for this model.")
    assert refused[1][0] == 400 and "4000x1000" in refused[1][1]
    assert refused[2] == (400, "Streaming must have non-zero partial images.")
    assert refused[3] == (400, "The model 'dall-e-3' does not exist.")
    logo = client.images.generate(model="gpt-image-2.5-flare", prompt="A logo", background="transparent",
                                  quality="low")
    assert logo.background == "transparent"
