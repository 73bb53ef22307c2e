EXERCISE = "03.follow_up"

answer = [
    {"role": "user", "content": "Keep the lighthouse, make the sky stormy"},
    {"type": "image_generation_call", "id": "ig_sample_lighthouse"},
]
