import math

from helpers.exercises import check

EXERCISE = "05.last_start"


def answer(count, images_per_minute):
    return (math.ceil(count / images_per_minute) - 1) * 60


# Run, this checks the answer and prints "Correct: ..." with why.
result = check(EXERCISE, answer)
