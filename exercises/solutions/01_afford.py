from helpers import pricing
from helpers.exercises import check, priced_model
from helpers.exercises.lesson_01 import BUDGET_USD, IMAGES, SIZE

EXERCISE = "01.afford"

MODEL = priced_model()  # the lessons' model, or a priced stand-in when it has no per-image table
answer = None
for quality in ("low", "medium", "high"):
    if pricing.estimate(MODEL, quality, SIZE, images=IMAGES).upper <= BUDGET_USD:
        answer = quality

# Run, this checks the answer and prints "Correct: ..." with why.
result = check(EXERCISE, answer)
