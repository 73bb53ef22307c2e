"""The Responses image tool: generate, follow up with previous_response_id, then with the image call's id."""

import base64


def main(client, aclient, workdir):
    first = client.responses.create(model="gpt-5.5", input="Draw a cozy cabin in the woods",
                                    tools=[{"type": "image_generation", "model": "gpt-image-2", "size": "1024x640", "quality": "low"}])
    calls = [item for item in first.output if item.type == "image_generation_call"]
    (workdir / "cabin.png").write_bytes(base64.b64decode(calls[0].result))
    night = client.responses.create(model="gpt-5.5", previous_response_id=first.id, input="Make it night",
                                    tools=[{"type": "image_generation", "model": "gpt-image-2", "size": "1024x640", "quality": "low"}])
    assert night.previous_response_id == first.id
    snow = client.responses.create(
        model="gpt-5.5", tools=[{"type": "image_generation", "model": "gpt-image-2", "size": "1024x640", "quality": "low"}],
        input=[{"role": "user", "content": [{"type": "input_text", "text": "Add snow"}]},
               {"type": "image_generation_call", "id": calls[0].id}])
    assert snow.output_text and client.responses.retrieve(snow.id).id == snow.id
