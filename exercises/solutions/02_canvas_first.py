from helpers.exercises import check

EXERCISE = "02.canvas_first"

# The first image is the canvas the model preserves most: the product, then the logo to place on it.
answer = ["../sample_inputs/product.png", "../sample_inputs/logo.png"]

# Run, this checks the answer and prints "Correct: ..." with why.
result = check(EXERCISE, answer)
