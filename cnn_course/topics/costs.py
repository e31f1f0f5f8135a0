"""What a layer costs: parameters to store and multiply-adds to compute.

A multiply-add (MAC, 乘加) is one ``acc += w * x``: the innermost step of both a convolution
and a dense layer. Counting them is how papers compare the compute of architectures
(a FLOP count is usually 2 x MACs). Bias additions are not counted as MACs (there is one per
output value, a small term next to the products).

For a convolution with C input channels, FN filters of size FH x FW and an OH x OW output::

    params = FN * C * FH * FW  (+ FN biases)
    MACs   = FN * OH * OW * C * FH * FW     (one C x FH x FW dot product per output value)

For a dense layer from D_in to D_out features: ``params = D_in * D_out (+ D_out)`` and
``MACs = D_in * D_out``.

``conv2d_cost``/``dense_cost`` describe one layer (shapes included) and ``cost_table`` prints
several side by side.
"""

import dataclasses

from cnn_course._validation import as_int, as_pair
from cnn_course.functional import conv_output_size

__all__ = ["conv2d_params", "conv2d_macs", "dense_params", "dense_macs", "LayerCost",
           "conv2d_cost", "dense_cost", "cost_table"]


def conv2d_params(in_channels, out_channels, kernel_size, bias=True):
    """Number of learnable numbers in a conv layer.

    Inputs:
    - in_channels: C; out_channels: FN (the number of filters)
    - kernel_size: FH or an (FH, FW) pair
    - bias: whether each filter has a bias (one per output channel)

    Returns FN * C * FH * FW (+ FN with a bias), an int.
    """
    C = as_int(in_channels, "in_channels", minimum=1)
    FN = as_int(out_channels, "out_channels", minimum=1)
    FH, FW = as_pair(kernel_size, "kernel_size", minimum=1)
    return FN * C * FH * FW + (FN if bias else 0)


def conv2d_macs(in_channels, out_channels, kernel_size, output_size):
    """Number of multiply-adds of a conv layer on one input (batch size 1).

    Inputs:
    - in_channels: C; out_channels: FN
    - kernel_size: FH or an (FH, FW) pair
    - output_size: OH or an (OH, OW) pair: the size of the OUTPUT (after padding and stride)

    Returns FN * OH * OW * C * FH * FW, an int (bias additions not counted). Multiply by N for
    a batch.
    """
    C = as_int(in_channels, "in_channels", minimum=1)
    FN = as_int(out_channels, "out_channels", minimum=1)
    FH, FW = as_pair(kernel_size, "kernel_size", minimum=1)
    OH, OW = as_pair(output_size, "output_size", minimum=1)
    return FN * OH * OW * C * FH * FW


def dense_params(in_features, out_features, bias=True):
    """Number of learnable numbers in a dense layer: D_in * D_out (+ D_out biases)."""
    D_in = as_int(in_features, "in_features", minimum=1)
    D_out = as_int(out_features, "out_features", minimum=1)
    return D_in * D_out + (D_out if bias else 0)


def dense_macs(in_features, out_features):
    """Number of multiply-adds of a dense layer on one input: D_in * D_out."""
    D_in = as_int(in_features, "in_features", minimum=1)
    D_out = as_int(out_features, "out_features", minimum=1)
    return D_in * D_out


@dataclasses.dataclass(frozen=True)
class LayerCost:
    """The cost of one layer on one input: its name, shapes, parameters and multiply-adds."""

    name: str
    input_shape: tuple
    output_shape: tuple
    params: int
    macs: int

    @property
    def outputs(self):
        """Number of output values (neurons) the layer produces per input."""
        n = 1
        for s in self.output_shape:
            n *= s
        return n


def conv2d_cost(input_shape, out_channels, kernel_size, *, stride=1, padding=0, bias=True,
                name=None):
    """The LayerCost of a conv layer applied to one input of shape (C, H, W)."""
    if len(input_shape) != 3:
        raise ValueError(f"conv2d_cost: input_shape must be (C, H, W), got {input_shape!r}")
    C, H, W = (as_int(v, "input_shape", minimum=1) for v in input_shape)
    FN = as_int(out_channels, "out_channels", minimum=1)
    FH, FW = as_pair(kernel_size, "kernel_size", minimum=1)
    (sh, sw), (ph, pw) = as_pair(stride, "stride", minimum=1), as_pair(padding, "padding",
                                                                       minimum=0)
    OH = conv_output_size(H, FH, ph, sh)
    OW = conv_output_size(W, FW, pw, sw)
    if name is None:
        name = f"conv {FH}x{FW} {C}->{FN}" + (f" pad {ph}" if ph or pw else "")
    return LayerCost(name, (C, H, W), (FN, OH, OW), conv2d_params(C, FN, (FH, FW), bias),
                     conv2d_macs(C, FN, (FH, FW), (OH, OW)))


def dense_cost(in_features, out_features, *, bias=True, name=None):
    """The LayerCost of a dense layer from ``in_features`` to ``out_features``."""
    D_in = as_int(in_features, "in_features", minimum=1)
    D_out = as_int(out_features, "out_features", minimum=1)
    if name is None:
        name = f"dense {D_in}->{D_out}"
    return LayerCost(name, (D_in,), (D_out,), dense_params(D_in, D_out, bias),
                     dense_macs(D_in, D_out))


def _shape(shape):
    return "x".join(str(s) for s in shape)


def cost_table(costs):
    """A plain-text table of LayerCosts: layer, input and output shapes, parameters, MACs.

    Numbers are printed with thousands separators. Returns a str (print it).
    """
    header = ("layer", "input", "output", "params", "MACs")
    rows = [(c.name, _shape(c.input_shape), _shape(c.output_shape), f"{c.params:,}",
             f"{c.macs:,}") for c in costs]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for k, row in enumerate([header, *rows]):
        cells = [row[0].ljust(widths[0])] + [v.rjust(w) for v, w in zip(row[1:], widths[1:])]
        lines.append("  ".join(cells))
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
