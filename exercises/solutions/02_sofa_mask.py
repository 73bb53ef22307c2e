from helpers.edits import rectangle_mask
from helpers.exercises import check

EXERCISE = "02.sofa_mask"

# The sofa spans about x 150-850 and y 560-830 in room.png; a little margin keeps its outline inside.
answer = rectangle_mask((1024, 1024), (140, 550, 860, 840))

# Run, this checks the answer and prints "Correct: ..." with why.
result = check(EXERCISE, answer)
