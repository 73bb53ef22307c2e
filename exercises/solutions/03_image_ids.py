from helpers.exercises import check

EXERCISE = "03.image_ids"


def answer(response):
    """Ids of the completed image_generation_call items, in output order."""
    return [item["id"] for item in response["output"]
            if item["type"] == "image_generation_call" and item["status"] == "completed"]


# Run, this checks the answer and prints "Correct: ..." with why.
result = check(EXERCISE, answer)
