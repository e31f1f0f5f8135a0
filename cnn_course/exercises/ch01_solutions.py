"""Reference solutions for the chapter 1 exercises (the code the book shows), then the known
wrong answers the checkers must recognise.

The solutions are learner code: plain numpy and loops, no ``cnn_course`` engine.
"""

import numpy as np

from cnn_course.exercises.core import Mistake

__all__ = ["corr2d", "convolve2d_true", "valid_output_size", "ANTI_DIAGONAL_KERNEL",
           "PARAM_COUNTS", "CORR2D_MISTAKES", "CONVOLVE_MISTAKES", "OUTPUT_SIZE_MISTAKES",
           "DIAGONAL_KERNEL_MISTAKES", "PARAM_COUNT_MISTAKES"]


def corr2d(X, K):
    """Valid 2-D cross-correlation of X (H, W) with a kernel K (FH, FW); returns (OH, OW)."""
    H, W = X.shape
    FH, FW = K.shape
    Y = np.zeros((H - FH + 1, W - FW + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = np.sum(X[i:i + FH, j:j + FW] * K)
    return Y


def convolve2d_true(X, K):
    """True (valid) 2-D convolution: cross-correlation with K flipped in both axes."""
    return corr2d(X, K[::-1, ::-1])


def valid_output_size(H, W, FH, FW):
    """Output size (OH, OW) of a valid convolution of an H x W input with an FH x FW kernel."""
    return H - FH + 1, W - FW + 1


#: A 3x3 kernel for edges along the anti-diagonal "/" (bright below-right of the edge).
ANTI_DIAGONAL_KERNEL = np.array([[-1, -1, 0],
                                 [-1, 0, 1],
                                 [0, 1, 1]], dtype=float)

#: Parameters (weights + biases) of Conv2D(1 -> 32, 5x5) and of Dense(784 -> 32).
PARAM_COUNTS = (32 * 1 * 5 * 5 + 32, 784 * 32 + 32)


# --- known wrong answers (each must be rejected with a specific message) -------------------

def _corr2d_flipped(X, K):
    return corr2d(X, K[::-1, ::-1])


def _corr2d_short(X, K):
    H, W = X.shape
    FH, FW = K.shape
    Y = np.zeros((H - FH, W - FW))             # forgot the + 1
    for i in range(H - FH):
        for j in range(W - FW):
            Y[i, j] = np.sum(X[i:i + FH, j:j + FW] * K)
    return Y


def _corr2d_input_size(X, K):
    FH, FW = K.shape
    Y = np.zeros_like(X, dtype=float)          # output allocated with the input's size
    for i in range(X.shape[0] - FH + 1):
        for j in range(X.shape[1] - FW + 1):
            Y[i, j] = np.sum(X[i:i + FH, j:j + FW] * K)
    return Y


def _corr2d_transposed(X, K):
    return corr2d(X, K).T                      # rows and columns swapped


CORR2D_MISTAKES = [
    Mistake(_corr2d_flipped, expect="flipped", why="computes a true convolution"),
    Mistake(_corr2d_short, expect="H - FH + 1", why="output size H - FH: one row/column short"),
    Mistake(_corr2d_input_size, expect="input's size", why="output as large as the input"),
    Mistake(_corr2d_transposed, expect="swapped", why="rows and columns swapped"),
]


def _convolve_no_flip(X, K):
    return corr2d(X, K)


def _convolve_flip_rows(X, K):
    return corr2d(X, K[::-1, :])


def _convolve_flip_cols(X, K):
    return corr2d(X, K[:, ::-1])


def _convolve_transposed(X, K):
    return corr2d(X, K.T)


CONVOLVE_MISTAKES = [
    Mistake(_convolve_no_flip, expect="not flipped", why="plain cross-correlation"),
    Mistake(_convolve_flip_rows, expect="only one axis", why="K[::-1] flips the rows only"),
    Mistake(_convolve_flip_cols, expect="only one axis", why="K[:, ::-1] flips the columns only"),
    Mistake(_convolve_transposed, expect="transposed", why="K.T is not a flip"),
]

OUTPUT_SIZE_MISTAKES = [
    Mistake(lambda H, W, FH, FW: (H - FH, W - FW), expect="one too few",
            why="forgot the + 1"),
    Mistake(lambda H, W, FH, FW: (H + FH - 1, W + FW - 1), expect="full",
            why="the size of a full convolution"),
    Mistake(lambda H, W, FH, FW: (H - FW + 1, W - FH + 1), expect="swapped",
            why="height paired with the kernel's width"),
    Mistake(lambda H, W, FH, FW: (H - FH + 1) * (W - FW + 1), expect="pair",
            why="returned the number of outputs, not (OH, OW)"),
]

DIAGONAL_KERNEL_MISTAKES = [
    Mistake(np.array([[-1, 0, 1]] * 3, dtype=float), expect="vertical edge",
            why="the vertical-edge kernel"),
    Mistake(np.ones((3, 3)), expect="blurs", why="an all-ones blur kernel"),
    Mistake(ANTI_DIAGONAL_KERNEL + np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]]),
            expect="flat region", why="weights sum to 1, not 0"),
    Mistake(np.array([[0, 1, 1], [-1, 0, 1], [-1, -1, 0]], dtype=float),
            expect="other diagonal", why="the main-diagonal kernel"),
    Mistake(np.array([[-1, -1], [1, 1]], dtype=float), expect="3x3", why="a 2x2 kernel"),
]

PARAM_COUNT_MISTAKES = [
    Mistake((800, 25088), expect="bias", why="weights only"),
    Mistake((32 * 28 * 28, 32), expect="outputs", why="counted outputs, not parameters"),
    Mistake((800 + 32 * 28 * 28, 25088 + 32), expect="one bias per filter",
            why="a bias per output position"),
    Mistake((25 + 1, 784 * 32 + 32), expect="32 filters", why="counted one filter only"),
]
