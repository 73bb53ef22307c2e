"""Upload an image and a mask with the Files API, then edit by file_id in the Responses tool."""


def main(client, aclient, workdir):
    with open(workdir / "cat.png", "rb") as handle:
        picture = client.files.create(file=handle, purpose="vision")
    mask = client.files.create(file=workdir / "mask.png", purpose="vision")
    answer = client.responses.create(
        model="gpt-6.1-sol",
        input=[{"role": "user", "content": [{"type": "input_text", "text": "Put a crown on the cat"},
                                            {"type": "input_image", "file_id": picture.id}]}],
        tools=[{"type": "image_generation", "model": "gpt-image-2", "size": "1024x640", "quality": "low",
                "input_image_mask": {"file_id": mask.id}}])
    call = next(item for item in answer.output if item.type == "image_generation_call")
    assert call.action == "edit" and call.result
