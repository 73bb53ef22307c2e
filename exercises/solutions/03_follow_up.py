from helpers.exercises import check

EXERCISE = "03.follow_up"

answer = [
    {"role": "user", "content": "Keep the lighthouse, make the sky stormy"},
    {"type": "image_generation_call", "id": "ig_sample_lighthouse"},
]

# Run, this checks the answer and prints "Correct: ..." with why.
result = check(EXERCISE, answer)
