"""The three tiers agree: cnn_course.fast (what the layers train with) == cnn_course.functional
(the reference the book derives) == cnn_course.naive (loops), for the forward pass and every
gradient, on random seeded shapes; plus the fast tier's own code paths (row blocks, tiled
pooling, batch-last layouts)."""

import numpy as np
import pytest

from cnn_course import fast, naive
from cnn_course import functional as F

TOL = {np.float64: 1e-10, np.float32: 1e-4}
TIERS = {"fast": fast, "reference": F}


def max_rel(a, b):
    """Largest entrywise gap relative to the largest entry (0 for equal arrays)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


# ------------------------------------------------------------------ random cases

def _conv_cases(n=24, seed=2024):
    """(x_shape, W_shape, stride, padding, dilation): non-square everything, pairs throughout."""
    rng = np.random.default_rng(seed)
    cases = []
    for _ in range(n):
        FH, FW = (int(v) for v in rng.integers(1, 6, size=2))
        stride = tuple(int(v) for v in rng.integers(1, 4, size=2))
        padding = tuple(int(v) for v in rng.integers(0, 3, size=2))
        dilation = (1, 1)
        if rng.random() < 0.4:
            dilation = tuple(int(v) for v in rng.integers(1, 4, size=2))
        H = max(1, dilation[0] * (FH - 1) + 1 - 2 * padding[0]) + int(rng.integers(0, 7))
        W = max(1, dilation[1] * (FW - 1) + 1 - 2 * padding[1]) + int(rng.integers(0, 7))
        N, C, FN = (int(v) for v in rng.integers(1, 4, size=3))
        cases.append(((N, C, H, W), (FN, C, FH, FW), stride, padding, dilation))
    return cases


def _pool_cases(n=16, seed=77):
    """(x_shape, kernel, stride or None, padding) with padding <= kernel // 2."""
    rng = np.random.default_rng(seed)
    cases = []
    for _ in range(n):
        k = tuple(int(v) for v in rng.integers(1, 5, size=2))
        s = None if rng.random() < 0.3 else tuple(int(v) for v in rng.integers(1, 4, size=2))
        p = tuple(int(rng.integers(0, kk // 2 + 1)) for kk in k)
        H, W = (kk + int(rng.integers(0, 7)) for kk in k)
        N, C = (int(v) for v in rng.integers(1, 4, size=2))
        cases.append(((N, C, H, W), k, s, p))
    return cases


CONV_CASES = _conv_cases()
POOL_CASES = _pool_cases()


def _leftover(n, k, p, s, d=1):
    """Input rows no window reaches at the far end (0 when the stride divides evenly)."""
    return (n + 2 * p - d * (k - 1) - 1) % s


def test_the_random_cases_cover_what_they_claim():
    xs, ws = [c[0] for c in CONV_CASES], [c[1] for c in CONV_CASES]
    assert any(x[0] > 1 for x in xs) and any(x[1] > 1 for x in xs)       # batch, channels
    assert any(x[2] != x[3] for x in xs) and any(w[2] != w[3] for w in ws)  # non-square
    for i in (2, 3, 4):                                     # stride, padding, dilation pairs
        assert any(c[i][0] != c[i][1] for c in CONV_CASES)
    assert any(_leftover(x[2], w[2], p[0], s[0], d[0]) > 0          # strides that leave rows
               for x, w, s, p, d in CONV_CASES)
    assert any(s is None for _, _, s, _ in POOL_CASES)                   # default stride
    assert any(s is not None and (s[0] < k[0] or s[1] < k[1]) for _, k, s, _ in POOL_CASES)
    assert any(p != (0, 0) for *_, p in POOL_CASES)


def _conv_data(case, dtype, seed):
    x_shape, w_shape, *_ = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape).astype(dtype)
    W = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    return x, W, b, rng


def _f64(*arrays):
    return [a.astype(np.float64) for a in arrays]


# ------------------------------------------------------------------ convolution

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_conv2d_forward_fast_equals_reference_equals_naive(case, dtype):
    _, _, stride, padding, dilation = case
    x, W, b, _ = _conv_data(case, dtype, seed=1)
    want = naive.conv2d_naive(*_f64(x, W, b), stride, padding, dilation)
    got = {name: tier.conv2d(x, W, b, stride, padding, dilation) for name, tier in TIERS.items()}
    for name, y in got.items():
        assert y.dtype == dtype, name
        assert max_rel(y, want) <= TOL[dtype], name
    assert max_rel(got["fast"], got["reference"]) <= TOL[dtype]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_conv2d_gradients_fast_equal_reference_equal_naive(case, dtype):
    _, _, stride, padding, dilation = case
    x, W, b, rng = _conv_data(case, dtype, seed=2)
    dy = rng.standard_normal(naive.conv2d_naive(x, W, b, stride, padding, dilation).shape)
    dy = dy.astype(dtype)
    want = naive.conv2d_backward_naive(*_f64(dy, x, W), stride, padding, dilation)
    for name, tier in TIERS.items():
        y, cache = tier.conv2d_forward(x, W, b, stride, padding, dilation)
        got = tier.conv2d_backward(dy, x, W, stride, padding, dilation=dilation, cols=cache)
        for which, g, w in zip(("dx", "dW", "db"), got, want):
            assert g.dtype == dtype, (name, which)
            assert max_rel(g, w) <= TOL[dtype], (name, which)


@pytest.mark.parametrize("name", TIERS)
def test_conv2d_backward_without_the_cache_or_without_dx_gives_the_same_gradients(name):
    tier = TIERS[name]
    rng = np.random.default_rng(3)
    x, W = rng.standard_normal((3, 2, 9, 7)), rng.standard_normal((4, 2, 3, 2))
    y, cache = tier.conv2d_forward(x, W, None, (2, 1), (1, 0))
    dy = rng.standard_normal(y.shape)
    with_cache = tier.conv2d_backward(dy, x, W, (2, 1), (1, 0), cols=cache)
    recomputed = tier.conv2d_backward(dy, x, W, (2, 1), (1, 0))
    no_dx = tier.conv2d_backward(dy, x, W, (2, 1), (1, 0), need_dx=False)
    assert no_dx[0] is None
    for a, b in zip(with_cache, recomputed):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(no_dx[1], with_cache[1])
    np.testing.assert_array_equal(no_dx[2], with_cache[2])


def test_the_tiers_caches_hold_the_same_windows_in_different_layouts():
    # reference: im2col's (N*OH*OW, C*FH*FW); fast: (C*FH*FW, OH*OW*N), batch last
    rng = np.random.default_rng(4)
    x, W = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((4, 3, 3, 2))
    col = F.conv2d_forward(x, W, padding=1, stride=(1, 2))[1]     # odd: no polyphase
    cols = fast.conv2d_forward(x, W, padding=1, stride=(1, 2))[1]
    N, OHW, K = 2, 6 * 3, 3 * 3 * 2
    assert col.shape == (N * OHW, K) and cols.shape == (K, OHW * N)
    np.testing.assert_array_equal(col, F.im2col(x, 3, 2, stride=(1, 2), pad=1))
    np.testing.assert_array_equal(cols, col.reshape(N, OHW, K).transpose(2, 1, 0).reshape(K, -1))


@pytest.mark.parametrize("case", CONV_CASES[1::3], ids=str)
def test_fast_input_gradient_in_row_blocks_matches_naive(monkeypatch, case):
    # Real layers compute dx a few output rows at a time once the patch gradients pass about
    # 1 MB; tiny blocks force that path on small shapes.
    monkeypatch.setattr(fast, "_BLOCK_FLOATS", 1)
    _, _, stride, padding, dilation = case
    x, W, _, rng = _conv_data(case, np.float64, seed=5)
    dy = rng.standard_normal(fast.conv2d(x, W, None, stride, padding, dilation).shape)
    dx = fast.conv2d_backward(dy, x, W, stride, padding, dilation=dilation)[0]
    want = naive.conv2d_backward_naive(dy, x, W, stride, padding, dilation)[0]
    assert max_rel(dx, want) <= 1e-10


def test_fast_blocks_of_several_rows_match_one_block(monkeypatch):
    rng = np.random.default_rng(9)
    x, W = rng.standard_normal((3, 2, 11, 9)), rng.standard_normal((4, 2, 3, 3))
    dy = rng.standard_normal((3, 4, 6, 5))
    whole = fast.conv2d_backward(dy, x, W, 2, 1)[0]
    monkeypatch.setattr(fast, "_BLOCK_FLOATS", 2 * 18 * 5 * 3)     # two output rows per block
    assert max_rel(fast.conv2d_backward(dy, x, W, 2, 1)[0], whole) <= 1e-14


# ------------------------------------------------------------------ pooling

def _pool_input(x_shape, dtype, values, seed):
    rng = np.random.default_rng(seed)
    if values == "ties":                      # values in {-1, 0, 1}: most windows tie
        return rng.integers(-1, 2, size=x_shape).astype(dtype), rng
    return rng.standard_normal(x_shape).astype(dtype), rng


@pytest.mark.parametrize("values", ["distinct", "ties"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", POOL_CASES, ids=str)
def test_pooling_fast_equals_reference_equals_naive(case, dtype, values):
    x_shape, k, s, p = case
    x, rng = _pool_input(x_shape, dtype, values, seed=6)
    x64 = x.astype(np.float64)
    y_max = naive.max_pool2d_naive(x64, k, s, p)
    y_avg = naive.avg_pool2d_naive(x64, k, s, p)
    dy = rng.standard_normal(y_max.shape).astype(dtype)
    dx_max = naive.max_pool2d_backward_naive(dy.astype(np.float64), x64, k, s, p)
    dx_avg = naive.avg_pool2d_backward_naive(dy.astype(np.float64), x64, k, s, p)
    for name, tier in TIERS.items():
        got = {"max": tier.max_pool2d(x, k, s, p), "avg": tier.avg_pool2d(x, k, s, p),
               "dmax": tier.max_pool2d_backward(dy, x, k, s, p),
               "davg": tier.avg_pool2d_backward(dy, x.shape, k, s, p)}
        for key, want in (("max", y_max), ("avg", y_avg), ("dmax", dx_max), ("davg", dx_avg)):
            assert got[key].dtype == dtype, (name, key)
            assert max_rel(got[key], want) <= TOL[dtype], (name, key)
        np.testing.assert_array_equal(got["max"], y_max.astype(dtype))       # max is exact


def test_tie_inputs_really_tie():
    x, _ = _pool_input((2, 2, 6, 6), np.float64, "ties", seed=6)
    windows = x.reshape(2, 2, 3, 2, 3, 2).transpose(0, 1, 2, 4, 3, 5).reshape(-1, 4)
    assert np.mean([(w == w.max()).sum() > 1 for w in windows]) > 0.3


@pytest.mark.parametrize("name", TIERS)
@pytest.mark.parametrize("x_shape", [(2, 3, 8, 8), (2, 3, 7, 9)])     # exact cover and ragged
def test_max_pool_ties_send_the_gradient_to_the_first_maximum(name, x_shape):
    # stride == kernel, no padding: the fast tier's tiled path
    x = np.zeros(x_shape)
    x[:, :, 1::2, 1::2] = 1.0                 # every full 2x2 window: one 1 at its bottom right
    x[0, 0] = 0.0                             # and image 0, channel 0: all ties at 0
    dy = np.random.default_rng(7).standard_normal((2, 3, x_shape[2] // 2, x_shape[3] // 2))
    dx = TIERS[name].max_pool2d_backward(dy, x, 2)
    np.testing.assert_array_equal(dx, naive.max_pool2d_backward_naive(dy, x, 2))
    OH, OW = dy.shape[2:]
    np.testing.assert_array_equal(dx[0, 0, 0:2 * OH:2, 0:2 * OW:2], dy[0, 0])   # top-left wins
    np.testing.assert_array_equal(dx[1, 2, 1:2 * OH:2, 1:2 * OW:2], dy[1, 2])   # the lone 1s


# ------------------------------------------------------------------ memory layouts

def _layouts(a):
    """The same values in three memory layouts: NCHW, batch-last (C, H, W, N), and W-first."""
    return [np.ascontiguousarray(a),
            np.ascontiguousarray(a.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2),
            np.ascontiguousarray(a.transpose(3, 2, 1, 0)).transpose(3, 2, 1, 0)]


def test_fast_results_do_not_depend_on_memory_layout():
    rng = np.random.default_rng(8)
    x, W = rng.standard_normal((3, 2, 7, 6)), rng.standard_normal((4, 2, 3, 3))
    dy = rng.standard_normal((3, 4, 4, 3))
    ref_y, ref_grads = naive.conv2d_naive(x, W, None, 2, 1), naive.conv2d_backward_naive(
        dy, x, W, 2, 1)
    p = np.maximum(x, 0)
    dyp = rng.standard_normal((3, 2, 7, 6))
    for xl, dyl, pl, dypl in zip(_layouts(x), _layouts(dy), _layouts(p), _layouts(dyp)):
        assert max_rel(fast.conv2d(xl, W, None, 2, 1), ref_y) <= 1e-12
        for got, want in zip(fast.conv2d_backward(dyl, xl, W, 2, 1), ref_grads):
            assert max_rel(got, want) <= 1e-12
        y = fast.max_pool2d(pl, 3, 1, 1)
        np.testing.assert_array_equal(y, naive.max_pool2d_naive(p, 3, 1, 1))
        assert max_rel(fast.max_pool2d_backward(dypl, pl, 3, 1, 1, y=y),
                       naive.max_pool2d_backward_naive(dyp, p, 3, 1, 1)) <= 1e-14


def test_fast_conv_output_is_a_batch_last_view_that_the_next_op_accepts():
    rng = np.random.default_rng(9)
    x, W = rng.standard_normal((4, 1, 8, 8)), rng.standard_normal((3, 1, 3, 3))
    y = fast.conv2d(x, W, padding=1)
    assert not y.flags.c_contiguous and y.strides[0] == y.itemsize   # batch innermost
    np.testing.assert_array_equal(fast.max_pool2d(y, 2), F.max_pool2d(np.ascontiguousarray(y), 2))


# ------------------------------------------------------------------ polyphase and the fused block

def _phase_cases(n=14, seed=314):
    """Stride-1 convolutions, most with an even output size (polyphase), some odd (fallback)."""
    rng = np.random.default_rng(seed)
    cases = []
    for k in range(n):
        FH, FW = (int(v) for v in rng.integers(1, 6, size=2))
        padding = tuple(int(v) for v in rng.integers(0, 3, size=2))
        OH, OW = (2 * int(v) for v in rng.integers(1, 5, size=2))
        if k % 4 == 3:                                  # odd output height or width
            OH, OW = (OH + 1, OW) if k % 8 == 3 else (OH, OW - 1)
        H, W = OH + FH - 1 - 2 * padding[0], OW + FW - 1 - 2 * padding[1]
        if H < 1 or W < 1:
            padding, H, W = (0, 0), OH + FH - 1, OW + FW - 1
        N, C, FN = (int(v) for v in rng.integers(1, 4, size=3))
        cases.append(((N, C, H, W), (FN, C, FH, FW), padding))
    return cases


PHASE_CASES = _phase_cases()


def _out_hw(case):
    (_, _, H, W), (_, _, FH, FW), (ph, pw) = case
    return H + 2 * ph - FH + 1, W + 2 * pw - FW + 1


def _phase_data(case, dtype, values, seed):
    x_shape, w_shape, _ = case
    rng = np.random.default_rng(seed)
    if values == "ties":            # small integers: exact sums, many equal outputs per window
        draw = lambda shape: rng.integers(-1, 2, size=shape).astype(dtype)   # noqa: E731
    else:
        draw = lambda shape: rng.standard_normal(shape).astype(dtype)        # noqa: E731
    return draw(x_shape), draw(w_shape), draw(w_shape[:1]), rng


def test_the_polyphase_cases_cover_both_paths_and_ties():
    paths = {fast.uses_polyphase(np.zeros(c[1]), 1, 1, _out_hw(c)) for c in PHASE_CASES}
    assert paths == {True, False}
    assert any(c[2] != (0, 0) for c in PHASE_CASES)
    x, W, b, _ = _phase_data(PHASE_CASES[0], np.float64, "ties", seed=1)
    y = naive.conv2d_naive(x, W, b, 1, PHASE_CASES[0][2])
    OH, OW = y.shape[2] // 2 * 2, y.shape[3] // 2 * 2
    windows = np.maximum(y[:, :, :OH, :OW], 0).reshape(*y.shape[:2], OH // 2, 2, OW // 2, 2)
    windows = windows.transpose(0, 1, 2, 4, 3, 5).reshape(-1, 4)
    assert np.mean([(w == w.max()).sum() > 1 for w in windows]) > 0.2


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", PHASE_CASES, ids=str)
def test_polyphase_conv2d_equals_reference_equals_naive(case, dtype):
    _, _, padding = case
    x, W, b, rng = _phase_data(case, dtype, "distinct", seed=11)
    y, cache = fast.conv2d_forward(x, W, b, 1, padding)
    assert isinstance(cache, fast.Polyphase) == fast.uses_polyphase(W, 1, 1, _out_hw(case))
    want = naive.conv2d_naive(*_f64(x, W, b), 1, padding)
    assert y.dtype == dtype
    assert max_rel(y, want) <= TOL[dtype]
    assert max_rel(y, F.conv2d(x, W, b, 1, padding)) <= TOL[dtype]
    dy = rng.standard_normal(want.shape).astype(dtype)
    grads = naive.conv2d_backward_naive(*_f64(dy, x, W), 1, padding)
    ref = F.conv2d_backward(dy, x, W, 1, padding)
    for got in (fast.conv2d_backward(dy, x, W, 1, padding, cols=cache),
                fast.conv2d_backward(dy, x, W, 1, padding)):            # cache recomputed
        for which, g, w, r in zip(("dx", "dW", "db"), got, grads, ref):
            assert g.dtype == dtype, which
            assert max_rel(g, w) <= TOL[dtype], which
            assert max_rel(g, r) <= TOL[dtype], which


def _conv_relu_pool_reference(tier, x, W, b, padding, dy):
    """The three ops one after the other, with a tier's functions (naive: the loops)."""
    if tier is naive:
        y = naive.conv2d_naive(x, W, b, 1, padding)
        r = np.maximum(y, 0)
        p = naive.max_pool2d_naive(r, 2)
        dr = naive.max_pool2d_backward_naive(dy, r, 2)
        return p, naive.conv2d_backward_naive(dr * (y > 0), x, W, 1, padding)
    y = tier.conv2d(x, W, b, 1, padding)
    r = np.maximum(y, 0)
    p = tier.max_pool2d(r, 2)
    dr = tier.max_pool2d_backward(dy, r, 2)
    return p, tier.conv2d_backward(dr * (y > 0), x, W, 1, padding)


@pytest.mark.parametrize("values", ["distinct", "ties"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", PHASE_CASES, ids=str)
def test_conv_relu_pool2d_equals_the_three_ops_in_every_tier(case, dtype, values):
    _, _, padding = case
    x, W, b, rng = _phase_data(case, dtype, values, seed=12)


    y, cache = fast.conv_relu_pool2d_forward(x, W, b, 1, padding)
    assert cache[0] == ("polyphase" if _out_hw(case)[0] % 2 == 0 == _out_hw(case)[1] % 2
                        else "separate")
    dy = rng.standard_normal(y.shape).astype(dtype)
    got = fast.conv_relu_pool2d_backward(dy, x, W, cache, 1, padding)
    no_dx = fast.conv_relu_pool2d_backward(dy, x, W, cache, 1, padding, need_dx=False)
    assert no_dx[0] is None
    np.testing.assert_array_equal(no_dx[1], got[1])
    np.testing.assert_array_equal(no_dx[2], got[2])
    tol = 0 if values == "ties" else TOL[dtype]           # integer data: every output exact
    for name, tier in (("naive", naive), ("reference", F), ("fast", fast)):
        args = _f64(x, W, b) if tier is naive else (x, W, b)
        p, grads = _conv_relu_pool_reference(tier, *args, padding,
                                             dy.astype(np.float64) if tier is naive else dy)
        assert y.dtype == dtype
        assert max_rel(y, p) <= tol, name
        for which, g, w in zip(("dx", "dW", "db"), got, grads):
            assert g.dtype == dtype, which
            assert max_rel(g, w) <= TOL[dtype], (name, which)    # a misrouted tie: O(1)
    np.testing.assert_array_equal(fast.conv_relu_pool2d(x, W, b, 1, padding), y)


def test_conv_relu_pool2d_falls_back_for_strides_and_dilations():
    rng = np.random.default_rng(13)
    x, W, b = rng.standard_normal((2, 2, 11, 10)), rng.standard_normal((3, 2, 3, 3)), \
        rng.standard_normal(3)
    for stride, dilation in (((2, 1), 1), (1, 2)):
        y, cache = fast.conv_relu_pool2d_forward(x, W, b, stride, 1, dilation)
        assert cache[0] == "separate"
        yc = naive.conv2d_naive(x, W, b, stride, 1, dilation)
        want = naive.max_pool2d_naive(np.maximum(yc, 0), 2)
        assert max_rel(y, want) <= 1e-12
        dy = rng.standard_normal(y.shape)
        dr = naive.max_pool2d_backward_naive(dy, np.maximum(yc, 0), 2) * (yc > 0)
        grads = naive.conv2d_backward_naive(dr, x, W, stride, 1, dilation)
        got = fast.conv_relu_pool2d_backward(dy, x, W, cache, stride, 1, dilation=dilation)
        for g, w in zip(got, grads):
            assert max_rel(g, w) <= 1e-12


def test_polyphase_in_chunks_of_one_row_matches_one_chunk(monkeypatch):
    rng = np.random.default_rng(14)
    x, W, b = (rng.standard_normal(s) for s in ((3, 2, 12, 10), (4, 2, 5, 3), (4,)))
    dy = rng.standard_normal((3, 4, 5, 6))
    whole = fast.conv_relu_pool2d_forward(x, W, b, 1, (1, 2))
    grads = fast.conv_relu_pool2d_backward(dy, x, W, whole[1], 1, (1, 2))
    monkeypatch.setattr(fast, "_CHUNK_FLOATS", 1)
    monkeypatch.setattr(fast, "_MIN_CHUNK_COLS", 1)
    monkeypatch.setattr(fast, "_PHASE_BLOCK_FLOATS", 1)
    assert len(fast._chunks(5, 100)) == 5
    assert len(fast._chunks(5, 100, 10)) == 5
    assert len(fast._chunks(5, 100, 10, budget=fast._PHASE_BLOCK_FLOATS)) == 5
    rows = fast.conv_relu_pool2d_forward(x, W, b, 1, (1, 2))
    assert max_rel(rows[0], whole[0]) <= 1e-14
    for g, w in zip(fast.conv_relu_pool2d_backward(dy, x, W, rows[1], 1, (1, 2)), grads):
        assert max_rel(g, w) <= 1e-14
    y = fast.conv2d(x, W, b, stride=(1, 2), padding=1)             # plain path in chunks too
    assert max_rel(y, naive.conv2d_naive(x, W, b, (1, 2), 1)) <= 1e-12


def test_polyphase_filters_and_their_gradient_are_adjoint():
    rng = np.random.default_rng(15)
    W, G = rng.standard_normal((3, 2, 4, 5)), rng.standard_normal((12, 2 * 5 * 6))
    W4 = fast._phase_filters(W)
    assert W4.shape == (12, 60)
    np.testing.assert_array_equal(W4.reshape(2, 2, 3, 2, 5, 6)[1, 0, :, :, 1:, :5], W)
    # <W4(W), G> == <W, W4^T(G)>
    assert np.isclose((W4 * G).sum(), (W * fast._phase_filter_grad(G, W.shape)).sum())


def test_polyphase_bias_gradient_from_the_ones_row_matches_the_sum():
    # conv2d_forward's Polyphase carries its patch matrix with a row of ones below it, so the
    # filter-gradient product also gives db; a bare patch matrix falls back to summing dy.
    rng = np.random.default_rng(16)
    x, W, b = (rng.standard_normal(s) for s in ((3, 2, 10, 8), (4, 2, 3, 3), (4,)))
    y, cache = fast.conv2d_forward(x, W, b, 1, 1)
    assert isinstance(cache, fast.Polyphase) and cache.ext is not None
    np.testing.assert_array_equal(cache.ext[-1], 1)
    assert np.shares_memory(cache.cols, cache.ext)
    dy = rng.standard_normal(y.shape)
    with_ones = fast.conv2d_backward(dy, x, W, 1, 1, cols=cache)
    bare = fast.conv2d_backward(dy, x, W, 1, 1, cols=cache.cols)
    want = naive.conv2d_backward_naive(dy, x, W, 1, 1)
    for g, h, w in zip(with_ones, bare, want):
        assert max_rel(g, w) <= 1e-12 and max_rel(h, w) <= 1e-12


@pytest.mark.parametrize("m, k, n", [(24, 36, 2500), (4, 3, 1024), (64, 216, 300)])
def test_small_products_in_pieces_equal_one_product(m, k, n):
    """_matmul_wide / _matmul_long split a small operand's product into pieces of
    _SMALL_PRODUCT_COLS columns (2500: two full pieces and a partial one); a large one is one
    product. Both give the plain product."""
    rng = np.random.default_rng(17)
    a, b = rng.standard_normal((m, k)), rng.standard_normal((k, n))
    out = np.full((m, n), np.nan)
    np.testing.assert_allclose(fast._matmul_wide(a, b, out), a @ b, rtol=1e-12, atol=1e-12)
    c = rng.standard_normal((m, n))
    np.testing.assert_allclose(fast._matmul_long(c, b), c @ b.T, rtol=1e-12, atol=1e-11)


def test_lenet_first_layer_sized_polyphase_equals_naive():
    """A LeNet-like first layer whose products run in several pieces (14*14*8 = 1568 patch
    columns, more than _SMALL_PRODUCT_COLS): forward and gradients equal the loops."""
    rng = np.random.default_rng(18)
    x, W, b = (rng.standard_normal(s) for s in ((8, 1, 28, 28), (6, 1, 5, 5), (6,)))
    assert 14 * 14 * 8 > fast._SMALL_PRODUCT_COLS
    y, cache = fast.conv2d_forward(x, W, b, 1, 2)
    assert isinstance(cache, fast.Polyphase)
    assert max_rel(y, naive.conv2d_naive(x, W, b, 1, 2)) <= 1e-12
    dy = rng.standard_normal(y.shape)
    for g, w in zip(fast.conv2d_backward(dy, x, W, 1, 2, cols=cache),
                    naive.conv2d_backward_naive(dy, x, W, 1, 2)):
        assert max_rel(g, w) <= 1e-12


def test_polyphase_patch_matrix_built_in_chunks_is_rebuilt_not_kept(monkeypatch):
    """A stride-2 patch matrix built in several chunks is not kept (Polyphase.ext is None):
    the backward pass rebuilds each chunk from the window view. Forward and every gradient
    (with and without dx, from the cache, recomputed, and from a bare patch matrix) equal the
    loops, with chunks of one pooled row for both the forward and the filter-gradient
    products."""
    rng = np.random.default_rng(19)
    x, W, b = (rng.standard_normal(s) for s in ((3, 2, 12, 10), (4, 2, 5, 3), (4,)))
    monkeypatch.setattr(fast, "_CHUNK_FLOATS", 1)
    monkeypatch.setattr(fast, "_MIN_CHUNK_COLS", 1)
    monkeypatch.setattr(fast, "_GRAD_CHUNK_FLOATS", 1)
    y, cache = fast.conv2d_forward(x, W, b, 1, (1, 2))
    assert isinstance(cache, fast.Polyphase)
    assert cache.ext is None and cache.cols is None
    assert cache.view.shape == (2, 6, 4, 5, 6, 3)            # (C, FH+1, FW+1, P, Q, N)
    assert max_rel(y, naive.conv2d_naive(x, W, b, 1, (1, 2))) <= 1e-12
    dy = rng.standard_normal(y.shape)
    want = naive.conv2d_backward_naive(dy, x, W, 1, (1, 2))
    kept = fast.conv2d_forward(x, W, b, 1, (1, 2))[1]
    for cols in (cache, None):
        got = fast.conv2d_backward(dy, x, W, 1, (1, 2), cols=cols)
        for g, w in zip(got, want):
            assert max_rel(g, w) <= 1e-12
        no_dx = fast.conv2d_backward(dy, x, W, 1, (1, 2), need_dx=False, cols=cols)
        assert no_dx[0] is None
        for g, w in zip(no_dx[1:], want[1:]):
            assert max_rel(g, w) <= 1e-12
    monkeypatch.setattr(fast, "_CHUNK_FLOATS", 1 << 18)           # now built whole: kept
    whole = fast.conv2d_forward(x, W, b, 1, (1, 2))[1]
    assert whole.ext is not None and kept.ext is None
    for g, w in zip(fast.conv2d_backward(dy, x, W, 1, (1, 2), cols=whole.cols), want):
        assert max_rel(g, w) <= 1e-12


def test_lenet_first_layer_at_a_real_batch_is_built_in_chunks_and_equals_the_reference():
    """LeNet's first layer at 128 images: its 37 x 25088 patch matrix is built in chunks and
    not kept; the forward pass and the gradients still equal the reference tier's."""
    rng = np.random.default_rng(20)
    x, W, b = (rng.standard_normal(s) for s in ((128, 1, 28, 28), (6, 1, 5, 5), (6,)))
    y, cache = fast.conv2d_forward(x, W, b, 1, 2)
    assert isinstance(cache, fast.Polyphase) and cache.ext is None
    assert len(fast._chunks(14, 36 * 14 * 128, 14 * 128)) > 1
    assert max_rel(y, F.conv2d(x, W, b, 1, 2)) <= 1e-12
    dy = rng.standard_normal(y.shape)
    want = F.conv2d_backward(dy, x, W, 1, 2)
    for g, w in zip(fast.conv2d_backward(dy, x, W, 1, 2, cols=cache), want):
        assert max_rel(g, w) <= 1e-12
    _, dW, db = fast.conv2d_backward(dy, x, W, 1, 2, need_dx=False, cols=cache)
    assert max_rel(dW, want[1]) <= 1e-12 and max_rel(db, want[2]) <= 1e-12
