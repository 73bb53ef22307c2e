from helpers import pricing, registry
from helpers.exercises import check

EXERCISE = "05.batch_line"

answer = {
    "custom_id": "poster-01",
    "method": "POST",
    "url": "/v1/images/generations",
    "body": {"model": pricing.batch_model(registry.lesson_image_model())[0], "prompt": "Draw a poster of a lighthouse at dusk, flat colours",
             "size": "1024x1024", "quality": "low", "n": 1},
}

# Run, this checks the answer and prints "Correct: ..." with why.
result = check(EXERCISE, answer)
