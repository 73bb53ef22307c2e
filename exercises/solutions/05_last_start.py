import math

EXERCISE = "05.last_start"


def answer(count, images_per_minute):
    return (math.ceil(count / images_per_minute) - 1) * 60
