from helpers import pricing
from helpers.exercises import check, priced_model

EXERCISE = "04.accepted_cost"

MODEL = priced_model()  # the lessons' model, or a priced stand-in when it has no per-image table
price = pricing.per_image_price(MODEL, "medium", "1024x1024")
answer = pricing.cost_per_accepted_image(price, 0.6)
print(pricing.usd(answer))

# Run, this checks the answer and prints "Correct: ..." with why.
result = check(EXERCISE, answer)
