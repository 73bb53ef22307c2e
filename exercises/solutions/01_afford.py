from helpers import pricing, registry
from helpers.exercises import check
from helpers.exercises.lesson_01 import BUDGET_USD, IMAGES, SIZE

EXERCISE = "01.afford"

MODEL = registry.lesson_image_model()
answer = None
for quality in ("low", "medium", "high"):
    if pricing.estimate(MODEL, quality, SIZE, images=IMAGES).upper <= BUDGET_USD:
        answer = quality

# Run, this checks the answer and prints "Correct: ..." with why.
result = check(EXERCISE, answer)
