EXERCISE = "00.mask_key"


def answer(key: str) -> str:
    return "sk-..." + key.strip()[-4:]
