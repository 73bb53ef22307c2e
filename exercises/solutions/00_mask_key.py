from helpers.exercises import check

EXERCISE = "00.mask_key"


def answer(key: str) -> str:
    return "sk-..." + key.strip()[-4:]


# Run, this checks the answer and prints "Correct: ..." with why.
result = check(EXERCISE, answer)
