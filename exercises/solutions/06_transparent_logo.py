"""Solution to 06.transparent_logo: png keeps transparency, and png takes no compression."""

import dataclasses

from helpers.exercises import check
from helpers.exercises.lesson_06 import starting_settings

EXERCISE = "06.transparent_logo"

answer = dataclasses.replace(starting_settings(), output_format="png", compression=None)

# Run, this checks the answer and prints "Correct: ..." with why.
result = check(EXERCISE, answer)
