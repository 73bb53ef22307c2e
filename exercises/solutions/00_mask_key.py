from helpers import access
from helpers.exercises import check

EXERCISE = "00.mask_key"


def answer(key: str) -> str:
    key = key.strip()
    # KEY_PREFIXES lists the longest prefixes first, so the first match is the key's own type.
    prefix = next((p for p in access.KEY_PREFIXES if key.startswith(p)), "")
    return prefix + "..." + key[-4:]


# Run, this checks the answer and prints "Correct: ..." with why.
result = check(EXERCISE, answer)
