from helpers import pricing, registry
from helpers.exercises import check

EXERCISE = "04.cheaper_model"

MODEL = registry.lesson_image_model()
per_accepted = {}
for model_id in pricing.comparison_models(MODEL):
    price = pricing.per_image_price(model_id, "medium", "1024x1024")
    if price is not None:
        per_accepted[model_id] = pricing.cost_per_accepted_image(price, 0.25 if model_id == MODEL else 0.9)
answer = min(per_accepted, key=per_accepted.get)
print(answer, pricing.usd(per_accepted[answer]))

# Run, this checks the answer and prints "Correct: ..." with why.
result = check(EXERCISE, answer)
