"""Solution to 07.fix_call: drop the DALL·E-only parameters, give quality and size GPT image values."""

from helpers import registry
from helpers.exercises import check
from helpers.exercises.lesson_07 import OLD_CALL

EXERCISE = "07.fix_call"

answer = dict(OLD_CALL, model=registry.lesson_image_model(), quality="medium", size="1024x1536")
del answer["style"], answer["response_format"]  # GPT image models refuse both

# Run, this checks the answer and prints "Correct: ..." with why.
result = check(EXERCISE, answer)
