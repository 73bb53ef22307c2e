from helpers.exercises import check

EXERCISE = "02.sofa_mask"

# On the grid the sofa spans about x 150-850 and y 560-830 in room.png; a little margin keeps its outline
# inside. A box is (left, top, right, bottom); rectangle_mask((1024, 1024), answer) is the mask it makes.
answer = (140, 550, 860, 840)

# Run, this checks the answer and prints "Correct: ..." with why.
result = check(EXERCISE, answer)
