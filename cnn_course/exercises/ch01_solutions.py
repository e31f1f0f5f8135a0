"""Reference solutions for the chapter 1 exercises (the code the book shows), then the known
wrong answers the checkers must recognise.

The solutions are learner code: plain numpy and loops, no ``cnn_course`` engine, and only names
the chapter's notebook defines (``np``, and the learner's own ``corr2d`` from exercise 1.1), so
that each one, pasted into the notebook, passes its check. Each value solution is named like
the notebook's answer variable.

Each ``Mistake`` carries a realistic wrong answer and the whole message it earns; the checkers
in ``ch01`` find them through ``known_mistakes`` and never repeat the messages.
"""

import numpy as np

from cnn_course.exercises.core import Mistake

__all__ = ["corr2d", "convolve2d_true", "conv_matrix", "equivariance_mask", "kernel",
           "param_counts", "CORR2D_MISTAKES", "CONVOLVE_MISTAKES", "CONV_MATRIX_MISTAKES",
           "EQUIVARIANCE_MISTAKES", "DIAGONAL_KERNEL_MISTAKES", "PARAM_COUNT_MISTAKES"]


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


def conv_matrix(K, H, W):
    """The (OH*OW, H*W) matrix M of the valid cross-correlation with K (FH, FW) on an H x W
    input: M @ X.ravel() equals corr2d(X, K).ravel()."""
    FH, FW = K.shape
    OH, OW = H - FH + 1, W - FW + 1
    M = np.zeros((OH * OW, H * W))
    for i in range(OH):
        for j in range(OW):
            for a in range(FH):
                for b in range(FW):
                    # row of output (i, j), column of input pixel (i + a, j + b)
                    M[i * OW + j, (i + a) * W + (j + b)] = K[a, b]
    return M


def equivariance_mask(X, K, dy, dx):
    """Where shifting X by (dy, dx) and then correlating with K equals correlating and then
    shifting the result; a boolean array of corr2d(X, K)'s shape."""
    def shift(A):                        # content moves dy rows down, dx columns right
        out = np.zeros_like(A)
        for r in range(A.shape[0]):
            for c in range(A.shape[1]):
                if 0 <= r - dy < A.shape[0] and 0 <= c - dx < A.shape[1]:
                    out[r, c] = A[r - dy, c - dx]
        return out

    return np.isclose(corr2d(shift(X), K), shift(corr2d(X, K)))


# A 3x3 kernel for edges along the anti-diagonal "/" (bright below-right of the edge).
kernel = np.array([[-1, -1, 0],
                   [-1, 0, 1],
                   [0, 1, 1]], dtype=float)

# (conv_params, dense_params) for a 3 x 32 x 32 input: 16 filters of 3 x 3 over 3 channels
# (valid, so 16 x 30 x 30 outputs), and a dense layer with one unit per such output.
param_counts = (16 * 3 * 3 * 3 + 16, (3 * 32 * 32) * (16 * 30 * 30) + 16 * 30 * 30)


# --- known wrong answers (each must be rejected with its message) ---------------------------

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


def _corr2d_last_missed(X, K):
    H, W = X.shape
    FH, FW = K.shape
    Y = np.zeros((H - FH + 1, W - FW + 1))
    for i in range(H - FH):                    # the right shape, but the loops stop one early
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


def _corr2d_width_from_fh(X, K):
    H, W = X.shape
    FH, FW = K.shape
    Y = np.zeros((H - FH + 1, W - FH + 1))     # a square-kernel formula for the width
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = np.sum(X[i:i + FH, j:j + FW] * K)
    return Y


def _corr2d_int_output(X, K):
    H, W = X.shape
    FH, FW = K.shape
    Y = np.zeros((H - FH + 1, W - FW + 1), dtype=int)   # an integer array truncates each sum
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = np.sum(X[i:i + FH, j:j + FW] * K)
    return Y


def _corr2d_transposed(X, K):
    return corr2d(X, K).T                      # rows and columns swapped


CORR2D_MISTAKES = [
    Mistake(_corr2d_flipped,
            "the kernel was flipped: that is true convolution; cross-correlation uses K as it "
            "is, K[a, b] times X[i + a, j + b].",
            why="computes a true convolution"),
    Mistake(_corr2d_short,
            "your output is one row and one column short. A window of FH rows fits at "
            "H - FH + 1 positions (its top row at 0, 1, ..., H - FH), so allocate "
            "(H - FH + 1) x (W - FW + 1) and loop over all of them.",
            why="output size H - FH: one row/column short"),
    Mistake(_corr2d_last_missed,
            "the shape is right but the last row and the last column are still zero: your loops "
            "stop one position early. Loop over range(H - FH + 1) (or range(Y.shape[0])), "
            "not range(H - FH).",
            why="right shape, loops one short"),
    Mistake(_corr2d_input_size,
            "your output has the input's size, with zeros where no window fits. Allocate "
            "(H - FH + 1) x (W - FW + 1): a valid output is smaller than its input.",
            why="output as large as the input"),
    Mistake(_corr2d_width_from_fh,
            "the output's width is computed from the kernel's height: OW = W - FH + 1 works "
            "only for square kernels. The width uses the kernel's width, OW = W - FW + 1.",
            why="a square-only formula for OW"),
    Mistake(_corr2d_int_output,
            "your values are cut to whole numbers: the output array holds integers, so each "
            "sum loses its fractional part when it is stored. Allocate a float array "
            "(np.zeros(shape) is float by default; dtype=int, or np.zeros_like of an integer "
            "array, is not).",
            why="an integer output array"),
    Mistake(_corr2d_transposed,
            "rows and columns are swapped: your output is the transpose of the right one. "
            "Index Y[i, j] with i for the rows (the height) and j for the columns.",
            why="rows and columns swapped"),
]


def _convolve_no_flip(X, K):
    return corr2d(X, K)


def _convolve_flip_rows(X, K):
    return corr2d(X, K[::-1, :])


def _convolve_flip_cols(X, K):
    return corr2d(X, K[:, ::-1])


def _convolve_transposed(X, K):
    return corr2d(X, K.T)


def _convolve_rot90(X, K):
    return corr2d(X, np.rot90(K))


CONVOLVE_MISTAKES = [
    Mistake(_convolve_no_flip,
            "the kernel is not flipped: this is plain cross-correlation. Turn K by 180 degrees "
            "first.",
            why="plain cross-correlation"),
    Mistake(_convolve_flip_rows,
            "you flipped only the rows (K[::-1]): that mirrors the kernel top to bottom. A turn "
            "by 180 degrees flips the columns too.",
            why="K[::-1] flips the rows only"),
    Mistake(_convolve_flip_cols,
            "you flipped only the columns (K[:, ::-1]): that mirrors the kernel left to right. "
            "A turn by 180 degrees flips the rows too.",
            why="K[:, ::-1] flips the columns only"),
    Mistake(_convolve_transposed,
            "you transposed the kernel (K.T): a transpose mirrors it across its diagonal (and "
            "swaps its height and width), a turn by 180 degrees keeps its shape and flips "
            "both axes.",
            why="K.T is not a flip"),
    Mistake(_convolve_rot90,
            "np.rot90(K) turns the kernel by 90 degrees only (and swaps its height and width); "
            "true convolution turns it by 180: np.rot90(K, 2), or flip both axes.",
            why="np.rot90(K) turns by 90 degrees"),
]


def _conv_matrix_flipped(K, H, W):
    return conv_matrix(K[::-1, ::-1], H, W)


def _conv_matrix_transposed(K, H, W):
    return conv_matrix(K, H, W).T


def _conv_matrix_4d(K, H, W):
    FH, FW = K.shape
    return conv_matrix(K, H, W).reshape(H - FH + 1, W - FW + 1, H, W)


def _conv_matrix_rows_by_column(K, H, W):
    FH, FW = K.shape
    OH, OW = H - FH + 1, W - FW + 1
    M = np.zeros((OH * OW, H * W))
    for i in range(OH):
        for j in range(OW):
            for a in range(FH):
                for b in range(FW):
                    M[j * OH + i, (i + a) * W + (j + b)] = K[a, b]   # rows column by column
    return M


def _conv_matrix_rows_by_oh(K, H, W):
    FH, FW = K.shape
    OH, OW = H - FH + 1, W - FW + 1
    M = np.zeros((OH * OW, H * W))
    for i in range(OH):
        for j in range(OW):
            for a in range(FH):
                for b in range(FW):
                    M[i * OH + j, (i + a) * W + (j + b)] = K[a, b]   # i * OH: square-only
    return M


def _conv_matrix_columns_by_h(K, H, W):
    FH, FW = K.shape
    OH, OW = H - FH + 1, W - FW + 1
    M = np.zeros((OH * OW, H * W))
    for i in range(OH):
        for j in range(OW):
            for a in range(FH):
                for b in range(FW):
                    M[i * OW + j, (i + a) * H + (j + b)] = K[a, b]   # k * H: square-only
    return M


def _conv_matrix_int(K, H, W):
    return conv_matrix(K, H, W).astype(int)


CONV_MATRIX_MISTAKES = [
    Mistake(_conv_matrix_flipped,
            "your rows hold the kernel turned by 180 degrees (true convolution). The weight "
            "of output (i, j) on input pixel (i + a, j + b) is K[a, b] itself.",
            why="kernel flipped"),
    Mistake(_conv_matrix_transposed,
            "your matrix is transposed. It needs one row per output and one column per input "
            "pixel, (OH*OW, H*W), so that M @ X.ravel() is defined and gives the outputs.",
            why="(H*W, OH*OW) instead of (OH*OW, H*W)"),
    Mistake(_conv_matrix_4d,
            "you returned the 4-D tensor (OH, OW, H, W) of section 1.3. The exercise asks for "
            "the matrix: one row per output, one column per input pixel, (OH*OW, H*W).",
            why="the 4-D weight tensor, not reshaped"),
    Mistake(_conv_matrix_rows_by_column,
            "your rows are in the wrong order: you numbered the outputs column by column "
            "(j * OH + i). X.ravel() and Y.ravel() go row by row, so output (i, j) is row "
            "i * OW + j.",
            why="outputs numbered column-major"),
    Mistake(_conv_matrix_rows_by_oh,
            "your rows are in the wrong place: output (i, j) is row i * OW + j, since each row "
            "of the output holds OW values. i * OH + j works only when the output is square.",
            why="row index i * OH + j (square-only)"),
    Mistake(_conv_matrix_columns_by_h,
            "your columns are in the wrong place: input pixel (k, l) is column k * W + l, "
            "since each row of the input holds W pixels. k * H + l works only for square "
            "inputs.",
            why="column index k * H + l (square-only)"),
    Mistake(_conv_matrix_int,
            "your weights are cut to whole numbers: the matrix holds integers. Allocate a "
            "float matrix (np.zeros(shape) is float by default).",
            why="an integer matrix"),
]


def _shift_by(A, dy, dx, sign=1, wrap=False, swap=False):
    """Helper of the wrong answers below: shift A's content by (dy, dx), or the wrong way."""
    dy, dx = sign * dy, sign * dx
    if swap:
        dy, dx = dx, dy
    if wrap:
        return np.roll(A, (dy, dx), axis=(0, 1))
    out = np.zeros_like(A)
    H, W = A.shape
    for r in range(H):
        for c in range(W):
            if 0 <= r - dy < H and 0 <= c - dx < W:
                out[r, c] = A[r - dy, c - dx]
    return out


def _mask_shift_reversed(X, K, dy, dx):
    return np.isclose(corr2d(_shift_by(X, dy, dx, sign=-1), K),
                      _shift_by(corr2d(X, K), dy, dx, sign=-1))


def _mask_roll(X, K, dy, dx):
    return np.isclose(corr2d(_shift_by(X, dy, dx, wrap=True), K),
                      _shift_by(corr2d(X, K), dy, dx, wrap=True))


def _mask_invariance(X, K, dy, dx):
    return np.isclose(corr2d(_shift_by(X, dy, dx), K), corr2d(X, K))


def _mask_axes_swapped(X, K, dy, dx):
    return np.isclose(corr2d(_shift_by(X, dy, dx, swap=True), K),
                      _shift_by(corr2d(X, K), dy, dx, swap=True))


def _mask_inverted(X, K, dy, dx):
    return ~equivariance_mask(X, K, dy, dx)


def _mask_all_true(X, K, dy, dx):
    return np.ones((X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1), dtype=bool)


def _mask_shifted_in_strip(X, K, dy, dx):
    """False on the whole strip of |dy| rows and |dx| columns that the shift brings in."""
    OH, OW = X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1
    mask = np.ones((OH, OW), dtype=bool)
    mask[:dy] = dy <= 0
    mask[OH + dy:] = dy >= 0
    mask[:, :dx] = mask[:, :dx] & (dx <= 0)
    mask[:, OW + dx:] = mask[:, OW + dx:] & (dx >= 0)
    return mask


EQUIVARIANCE_MISTAKES = [
    Mistake(_mask_shift_reversed,
            "your shift moves the content the wrong way: a positive dy moves it DOWN (the "
            "value at row r goes to row r + dy, so out[r, c] = A[r - dy, c - dx]), a positive "
            "dx moves it right. Your mask is the one for the shift (-dy, -dx).",
            why="shift direction reversed"),
    Mistake(_mask_roll,
            "your shift wraps around (np.roll): what leaves at one border comes back at the "
            "other. This shift fills the rows and columns that enter with zeros, like a camera "
            "that moves: new, unseen pixels enter, nothing comes back.",
            why="np.roll instead of a zero-filled shift"),
    Mistake(_mask_invariance,
            "you compared corr2d(shift(X), K) with corr2d(X, K) unshifted: that asks whether "
            "the output stays the same (invariance, chapter 4), and it almost never does. "
            "Equivariance compares it with the output shifted the same way, shift(corr2d(X, "
            "K)).",
            why="tested invariance instead of equivariance"),
    Mistake(_mask_axes_swapped,
            "dy and dx are swapped: dy moves the rows (axis 0, down), dx the columns (axis 1, "
            "right).",
            why="dy applied to the columns"),
    Mistake(_mask_inverted,
            "your mask is the opposite of the one asked: True where the two sides differ. "
            "Return True where they agree (np.isclose(a, b), not ~np.isclose(a, b)).",
            why="mask inverted"),
    Mistake(_mask_all_true,
            "your mask is True everywhere, but the two sides differ near one border: there the "
            "window of corr2d(shift(X), K) covers some of the zeros that the shift brought in "
            "and some of X's pixels, while shift(corr2d(X, K)) has only zeros. Compute both "
            "sides and compare them.",
            why="assumed perfect equivariance"),
    Mistake(_mask_shifted_in_strip,
            "your mask is False on the whole strip the shift brought in, but far enough inside "
            "that strip the window of corr2d(shift(X), K) sees only the zeros that came in, so "
            "both sides are 0 and agree. They differ only where the window straddles the "
            "border between zeros and X's pixels: compute both sides and compare them.",
            why="the whole shifted-in strip marked False"),
]


DIAGONAL_KERNEL_MISTAKES = [
    Mistake(np.array([[-1, 0, 1]] * 3, dtype=float),
            "That is the vertical-edge kernel of section 1.7: its zeros run down the middle "
            "column, so it answers a vertical edge at least as strongly as a slanted one. Turn "
            "the pattern so that its zeros lie along the anti-diagonal.",
            why="the vertical-edge kernel"),
    Mistake(np.array([[0, 1, 1], [-1, 0, 1], [-1, -1, 0]], dtype=float),
            "That kernel's zeros lie along the main diagonal (\\, top-left to bottom-right): it "
            "detects the other diagonal. Turn it by 90 degrees.",
            why="the main-diagonal kernel"),
    Mistake(np.ones((3, 3)), "blurs", why="an all-ones blur kernel", rule=True),
    Mistake(kernel + np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]]), "flat region",
            why="weights sum to 1, not 0", rule=True),
    Mistake(np.array([[-1, -1], [1, 1]], dtype=float), "3x3", why="a 2x2 kernel", rule=True),
]


# Each wrong answer gets one part wrong, so that the checker can name the part and say why
# (and combine the messages when both parts are wrong).
_CONV, _DENSE = param_counts
PARAM_COUNT_MISTAKES = [
    Mistake((16 * 3 * 3 * 3, _DENSE),
            "conv_params counts the weights only: each of the 16 filters also has one bias.",
            why="conv: weights only"),
    Mistake((16 * 3 * 3 + 16, _DENSE),
            "conv_params leaves out the input channels: each filter holds a 3x3 kernel for "
            "every one of the 3 input channels.",
            why="conv: one channel only"),
    Mistake((16 * 3 * 3 * 3 + 16 * 30 * 30, _DENSE),
            "conv_params has a bias per output value: a filter has one bias, shared by every "
            "position, like its weights.",
            why="conv: a bias per output position"),
    Mistake((3 * 3 * 3 + 1, _DENSE),
            "conv_params counts one filter: the layer has 16, each with its own weights and "
            "bias.",
            why="conv: one filter only"),
    Mistake((16 * 30 * 30, _DENSE),
            "conv_params is the number of values the convolution outputs, not the number of "
            "its weights and biases.",
            why="conv: outputs, not parameters"),
    Mistake((_CONV, (3 * 32 * 32) * (16 * 30 * 30)),
            "dense_params counts the weights only: each unit also has one bias.",
            why="dense: weights only"),
    Mistake((_CONV, (32 * 32) * (16 * 30 * 30) + 16 * 30 * 30),
            "dense_params leaves out the input channels: the dense layer sees all 3 x 32 x 32 "
            "input values, and each is connected to every unit.",
            why="dense: one channel only"),
    Mistake((_CONV, (3 * 32 * 32) * (16 * 32 * 32) + 16 * 32 * 32),
            "dense_params has too many units: a valid 3x3 convolution of a 32 x 32 image has "
            "30 x 30 positions per filter, not 32 x 32, and the dense layer has one unit per "
            "output of the convolution.",
            why="dense: units from a 32x32 output"),
]
