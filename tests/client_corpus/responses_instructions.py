"""The prompt given only as instructions or a system message, with several mainline models."""


def main(client, aclient, workdir):
    tool = [{"type": "image_generation", "model": "gpt-image-2", "size": "1024x640", "quality": "low"}]
    for model in ("gpt-5", "gpt-5-mini", "gpt-5.2", "gpt-6-astra"):
        answer = client.responses.create(model=model, instructions="Draw a paper crane", input=[], tools=tool)
        call = next(item for item in answer.output if item.type == "image_generation_call")
        assert call.status == "completed" and answer.model == model
    answer = client.responses.create(model="gpt-5.4", tools=tool,
                                     input=[{"role": "system", "content": "Draw a paper crane"}])
    assert answer.tool_usage.image_gen.output_tokens > 0
