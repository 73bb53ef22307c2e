from helpers import pricing, registry
from helpers.exercises import check

EXERCISE = "04.accepted_cost"

MODEL = registry.lesson_image_model()
price = pricing.per_image_price(MODEL, "medium", "1024x1024")
answer = None if price is None else pricing.cost_per_accepted_image(price, 0.6)
print(pricing.usd(answer))

# Run, this checks the answer and prints "Correct: ..." with why.
result = check(EXERCISE, answer)
