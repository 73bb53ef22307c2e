from helpers import registry
from helpers.exercises import check
from helpers.exercises.lesson_01 import USAGE

EXERCISE = "01.usage_cost"

rates = registry.get(registry.lesson_image_model()).token_prices
answer = (USAGE["input_tokens_details"]["text_tokens"] * rates.text_in
          + USAGE["output_tokens"] * rates.image_out) / 1_000_000

# Run, this checks the answer and prints "Correct: ..." with why.
result = check(EXERCISE, answer)
