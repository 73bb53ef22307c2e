from helpers.exercises import check

EXERCISE = "00.which_diagnosis"

# A: 429 with code insufficient_quota is billing; B: a true rate limit; C: organization verification.
answer = {"A": "insufficient_quota", "B": "rate_limit", "C": "org_not_verified"}

# Run, this checks the answer and prints "Correct: ..." with why.
result = check(EXERCISE, answer)
