"""Models: the ``Sequential`` container and the networks of the course.

- ``lenet5("classic")``: d2l's simplified LeNet-5 (*Dive into Deep Learning*, "Convolutional
  Neural Networks"): sigmoid activations, average pooling, a dense 120-84-10 head and
  LeCun-normal initial weights. It is not the network of LeCun, Bottou, Bengio and Haffner
  (1998): that one read 32x32 images, squashed with a scaled tanh, subsampled with a trainable
  coefficient and bias per map, connected C3 to S2 through a partial table and ended in 10
  Euclidean RBF units with fixed codes (``LENET5_1998`` lists its layers and
  ``lenet5_1998_param_counts`` counts its parameters). ``lenet5("modern")``: the same layers with
  ReLU, max pooling and He-normal initial weights.
- ``simple_convnet()``: the one-convolution network of Saito, *Deep Learning from Scratch*, ch. 7.
- ``dense_net()``: a multilayer perceptron with about as many parameters as LeNet-5, to compare a
  convolutional network with a dense one on the same budget.

A model maps images x of shape (N, C, H, W) to logits of shape (N, K) for K classes. Its
parameters and gradients are flat dicts named ``"<layer index>.<param>"`` (``"0.W"``, ``"3.b"``),
the form the optimisers in ``cnn_course.optim`` and ``save_params``/``load_params`` use.
"""

import numpy as np

from cnn_course.functional import conv_output_size
from cnn_course.layers import (AvgPool2D, Conv2D, ConvReLUPool2D, Dense, Flatten, MaxPool2D,
                               ReLU, Sigmoid, SoftmaxCrossEntropy)

__all__ = ["Sequential", "count_params", "Summary", "summary", "layer_name", "save_params",
           "load_params", "gradient_norms", "lenet5", "LENET5_1998", "C3_TABLE", "lenet5_1998_param_counts",
           "simple_convnet", "dense_net", "MODELS", "build_model"]


def _layer_params(layer):
    return getattr(layer, "params", None) or {}


def _layer_grads(layer):
    return getattr(layer, "grads", None) or {}


class Sequential:
    """Layers applied one after another, with a softmax cross-entropy loss on top.

    Inputs:
    - layers: Layer objects, applied in order
    - loss: the loss layer (default SoftmaxCrossEntropy())
    - need_input_grad: compute the gradient of the loss with respect to the input images in
      ``backward()``. Off by default: training never needs it, and skipping it saves the most
      expensive part of the first convolution's backward pass. Turn it on (here or with
      ``model.need_input_grad = True``) for saliency maps or gradient checks of the input.
    """

    def __init__(self, *layers, loss=None, need_input_grad=False):
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        if not layers:
            raise ValueError("Sequential needs at least one layer")
        for i, layer in enumerate(layers):
            if not (hasattr(layer, "forward") and hasattr(layer, "backward")):
                raise TypeError(f"layer {i} ({type(layer).__name__}) has no forward/backward")
        self.layers = list(layers)
        self.loss_layer = SoftmaxCrossEntropy() if loss is None else loss
        self.need_input_grad = need_input_grad

    # -- the input gradient switch ------------------------------------------------------------

    @property
    def need_input_grad(self):
        """Whether ``backward()`` returns dL/dx for the input images (else None)."""
        return self._need_input_grad

    @need_input_grad.setter
    def need_input_grad(self, value):
        self._need_input_grad = bool(value)
        # Layers up to the first one with parameters never need their input gradient unless the
        # caller wants dL/dx: nothing upstream of them learns.
        first = self._first_param_layer()
        for i, layer in enumerate(self.layers):
            layer.need_input_grad = self._need_input_grad or i > first

    def _first_param_layer(self):
        for i, layer in enumerate(self.layers):
            if _layer_params(layer):
                return i
        return len(self.layers) - 1

    # -- forward and backward -----------------------------------------------------------------

    def forward(self, x):
        """Return the logits of a batch.

        Inputs:
        - x: array of shape (N, C, H, W) (or (N, D) for a dense network)

        Returns:
        - logits: array of shape (N, K)
        """
        for layer in self.layers:
            x = layer.forward(x)
        return x

    __call__ = forward

    def loss(self, x, labels):
        """Run forward and the loss; return the mean cross-entropy over the batch (a float).

        Inputs:
        - x: array of shape (N, C, H, W)
        - labels: int array of shape (N,), class indices
        """
        return self.loss_layer.forward(self.forward(x), labels)

    def backward(self, dlogits=None):
        """Backpropagate from the last ``loss()``; fill every layer's grads.

        Inputs:
        - dlogits: optional gradient with respect to the logits of the last ``forward``,
          shape (N, K); by default it comes from the loss layer

        Returns dL/dx of shape (N, C, H, W) when ``need_input_grad`` is on, else None.
        """
        dout = self.loss_layer.backward() if dlogits is None else dlogits
        stop = 0 if self._need_input_grad else self._first_param_layer()
        for layer in reversed(self.layers[stop:]):
            dout = layer.backward(dout)
        return dout if self._need_input_grad else None

    # -- parameters ---------------------------------------------------------------------------

    @property
    def params(self):
        """Dict "<layer index>.<name>" -> parameter array (the layers' own arrays, not copies)."""
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers)
                for k, v in _layer_params(layer).items()}

    @property
    def grads(self):
        """Dict "<layer index>.<name>" -> gradient array, same keys as ``params``."""
        return {f"{i}.{k}": _layer_grads(layer).get(k) for i, layer in enumerate(self.layers)
                for k in _layer_params(layer)}

    @property
    def dtype(self):
        """The dtype of the parameters (float32 or float64)."""
        params = self.params
        return next(iter(params.values())).dtype if params else None

    def num_params(self):
        """Return the number of trainable scalars."""
        return count_params(self)

    def summary(self, input_shape):
        """Return a table of layer, output shape and parameter count for an input shape.

        Inputs:
        - input_shape: (C, H, W) of one image, or (N, C, H, W)
        """
        return summary(self, input_shape)

    def save(self, path):
        """Save the parameters to an .npz file; see ``save_params``."""
        save_params(self, path)

    def load(self, path):
        """Load parameters saved by ``save``; see ``load_params``."""
        load_params(self, path)

    # -- container protocol -------------------------------------------------------------------

    def __getitem__(self, index):
        if isinstance(index, slice):
            raise TypeError("Sequential does not support slicing; index one layer at a time")
        return self.layers[index]

    def __len__(self):
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def __repr__(self):
        lines = [f"  ({i}) {layer!r}" for i, layer in enumerate(self.layers)]
        return "Sequential(\n" + "\n".join(lines) + "\n)"


def count_params(model):
    """Return the number of trainable scalars of a model (or of one layer)."""
    params = model.params if isinstance(model, Sequential) else _layer_params(model)
    return int(sum(p.size for p in params.values()))


class Summary:
    """The result of ``model.summary(input_shape)``: rows of (layer, output shape, #params)."""

    def __init__(self, input_shape, rows):
        self.input_shape = input_shape
        self.rows = rows
        self.total_params = sum(r[2] for r in rows)

    def __str__(self):
        header = ("Layer", "Output shape", "Params")
        body = [(name, str(shape), f"{n:,}") for name, shape, n in self.rows]
        cells = [header, ("input", str(self.input_shape), "")] + body
        widths = [max(len(row[j]) for row in cells) for j in range(3)]
        rule = "-" * (sum(widths) + 4)

        def line(row):
            return f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:>{widths[2]}}"

        lines = [line(header), rule, line(cells[1])] + [line(r) for r in body]
        lines += [rule, f"Total params: {self.total_params:,}"]
        return "\n".join(lines)

    __repr__ = __str__


def _pair_text(pair):
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}x{pair[1]}"


def layer_name(layer):
    """The short name of a layer: "Conv2D 1->6 5x5 padding 2", "ReLU", "MaxPool2D 2x2",
    "Dense 400->120", "Flatten", and for a fused block the names of its steps joined by "+"
    ("Conv2D 1->6 5x5 padding 2 + ReLU + MaxPool2D 2x2"); any other layer by its class name.

    Settings at their defaults are left out (a convolution's stride 1, padding 0, dilation 1
    and bias; a pool's stride equal to its window and padding 0). This is the one naming of
    layers: ``summary`` ("0: Conv2D 1->6 5x5"), ``topics.inspect_model.feature_maps`` and the
    chapter 6 figures use it.
    """
    kind = type(layer).__name__
    if isinstance(layer, ConvReLUPool2D):
        return " + ".join(layer_name(step) for step in layer.steps())
    params = _layer_params(layer)
    W = params.get("W")
    no_bias = "" if "b" in params else " no bias"
    if kind == "Conv2D" and W is not None:
        FN, C, FH, FW = W.shape
        name = f"{kind} {C}->{FN} {FH}x{FW}"
        for setting, default in (("stride", (1, 1)), ("padding", (0, 0)), ("dilation", (1, 1))):
            value = tuple(getattr(layer, setting, default))
            if value != default:
                name += f" {setting} {_pair_text(value)}"
        return name + no_bias
    if kind == "Dense" and W is not None:
        return f"{kind} {W.shape[0]}->{W.shape[1]}{no_bias}"
    if kind in ("MaxPool2D", "AvgPool2D"):
        window = tuple(layer.kernel_size)
        name = f"{kind} {window[0]}x{window[1]}"
        if tuple(layer.stride) != window:
            name += f" stride {_pair_text(layer.stride)}"
        if tuple(layer.padding) != (0, 0):
            name += f" padding {_pair_text(layer.padding)}"
        return name
    return kind


def summary(model, input_shape):
    """Return a Summary table of a Sequential for images of ``input_shape``.

    The output shapes come from running one image of zeros through the model.

    Inputs:
    - model: a Sequential
    - input_shape: (C, H, W) of one image, or (N, C, H, W) (N is shown as given); for a
      network that starts with Flatten, any per-example shape such as (D,)
    """
    shape = tuple(int(s) for s in input_shape)
    if not 1 <= len(shape) <= 4:
        raise ValueError(f"input_shape must be (C, H, W) or (N, C, H, W), got {input_shape!r}")
    batch = shape[0] if len(shape) == 4 else None
    one = (1,) + (shape[1:] if batch is not None else shape)
    x = np.zeros(one, dtype=model.dtype or np.float32)
    rows = []
    for i, layer in enumerate(model.layers):
        try:
            x = layer.forward(x)
        except (ValueError, TypeError) as e:
            raise ValueError(f"summary: layer {i} ({type(layer).__name__}) rejects input of "
                             f"shape {x.shape}: {e}") from e
        out = ("N" if batch is None else batch,) + x.shape[1:]
        rows.append((f"{i}: {layer_name(layer)}", "(" + ", ".join(map(str, out)) + ")",
                     count_params(layer)))
    show = ("N",) + one[1:] if batch is None else shape
    return Summary("(" + ", ".join(map(str, show)) + ")", rows)


# -- saving and loading ------------------------------------------------------------------------


def save_params(model, path):
    """Write a model's parameters to ``path`` as an .npz archive (no pickling).

    The archive holds one array per name of ``model.params`` ("0.W", "0.b", ...). The file is
    written at exactly ``path`` (numpy would otherwise add ".npz" to a name without it).
    """
    with open(path, "wb") as f:
        np.savez(f, **model.params)


def load_params(model, path):
    """Copy parameters saved by ``save_params`` into ``model``, in place.

    The names and shapes in the file must match ``model.params`` exactly; otherwise a
    ValueError lists the differences and the model is left unchanged. Values are cast to the
    model's dtype.
    """
    params = model.params
    with np.load(path, allow_pickle=False) as archive:
        saved = {name: archive[name] for name in archive.files}
    missing = sorted(set(params) - set(saved))
    extra = sorted(set(saved) - set(params))
    wrong = [f"{k}: file {saved[k].shape} vs model {params[k].shape}"
             for k in params if k in saved and saved[k].shape != params[k].shape]
    if missing or extra or wrong:
        problems = []
        if missing:
            problems.append(f"missing from the file: {missing}")
        if extra:
            problems.append(f"not in the model: {extra}")
        if wrong:
            problems.append("shape mismatch: " + "; ".join(wrong))
        raise ValueError(f"{path} does not fit this model ({'; '.join(problems)})")
    for name, p in params.items():
        p[...] = saved[name]


def gradient_norms(model, x, labels):
    """The size of the loss gradient of each weight array, for one batch at the current weights.

    Runs ``model.loss(x, labels)`` and ``model.backward()`` (which overwrites ``model.grads``)
    and returns a dict "<layer index>.W" -> Euclidean norm of dL/dW (a float), in layer order.
    Comparing the first layer's norm with the last layer's shows whether the gradient shrinks on
    its way back (the vanishing gradients of a sigmoid network).

    Inputs:
    - x: array of shape (N, C, H, W), the model's dtype
    - labels: int array of shape (N,)
    """
    model.loss(x, labels)
    model.backward()
    return {name: float(np.linalg.norm(g)) for name, g in model.grads.items()
            if name.endswith(".W")}


# -- the course's networks ---------------------------------------------------------------------


def _conv_out(size, kernel_size, stride=1, padding=0):
    """``functional.conv_output_size``, or 0 when the window does not fit (callers say so)."""
    try:
        return conv_output_size(size, kernel_size, padding, stride)
    except ValueError:
        return 0


def lenet5(variant="modern", *, in_channels=1, input_size=28, num_classes=10, seed=0,
           dtype=np.float32):
    """Return d2l's simplified LeNet-5 as a Sequential (not the 1998 network: see
    ``LENET5_1998``).

    classic: Conv(C->6, 5x5, padding 2) - Sigmoid - AvgPool(2, 2) - Conv(6->16, 5x5) - Sigmoid -
             AvgPool(2, 2) - Flatten - Dense(400->120) - Sigmoid - Dense(120->84) - Sigmoid -
             Dense(84->10) (12 layers), weights drawn from N(0, 1/fan_in): LeCun-normal
             initialisation (``init="lecun"``; Saito's book calls it "Xavier", but Glorot and
             Bengio's formula, ``init="glorot"``, also counts fan_out).
    modern:  the same with ReLU and max pooling, and weights drawn from N(0, 2/fan_in):
             He-normal initialisation (``init="he"``), which keeps the signal's size through
             ReLUs. Three changes, not two: activation, pooling and initialisation. Each
             Conv - ReLU - MaxPool is one fused ``ConvReLUPool2D`` layer (same function and
             gradients, about twice as fast), so the Sequential has 8 layers:
             ConvReLUPool2D(C->6, padding 2) - ConvReLUPool2D(6->16) - Flatten - Dense - ReLU -
             Dense - ReLU - Dense. The same seed gives the same weights as the layer-by-layer
             network.

    Inputs:
    - variant: "classic" or "modern"
    - in_channels: C of the input images
    - input_size: H = W of the input images (28 for MNIST; smaller sizes keep the same layers
      with a smaller first dense layer, e.g. for fast gradient checks)
    - num_classes: K, the number of logits
    - seed: seeds the initial weights
    - dtype: float32 or float64
    """
    if variant not in ("classic", "modern"):
        raise ValueError(f"variant must be 'classic' or 'modern', got {variant!r}")
    classic = variant == "classic"
    act = Sigmoid if classic else ReLU
    pool = AvgPool2D if classic else MaxPool2D
    init = "lecun" if classic else "he"
    rng = np.random.default_rng(seed)
    size = (_conv_out(_conv_out(input_size, 5, padding=2) // 2, 5)) // 2
    if size < 1:
        raise ValueError(f"input_size={input_size} is too small for LeNet-5 (needs at least 12)")
    flat = 16 * size * size

    def conv(c_in, c_out, padding=0, cls=Conv2D):
        return cls.create(c_in, c_out, 5, padding=padding, init=init, rng=rng, dtype=dtype)

    def dense(d_in, d_out):
        return Dense.create(d_in, d_out, init=init, rng=rng, dtype=dtype)

    if classic:
        blocks = [conv(in_channels, 6, padding=2), act(), pool(2, stride=2),
                  conv(6, 16), act(), pool(2, stride=2)]
    else:                                  # the same three steps, fused: see ConvReLUPool2D
        blocks = [conv(in_channels, 6, padding=2, cls=ConvReLUPool2D),
                  conv(6, 16, cls=ConvReLUPool2D)]
    return Sequential(
        *blocks,
        Flatten(),
        dense(flat, 120), act(),
        dense(120, 84), act(),
        dense(84, num_classes),
    )


#: The C3 connection table of LeNet-5 (LeCun et al. 1998, Table I): C3_TABLE[j] lists the S2
#: maps that C3 map j reads. Maps 0-5 read 3 neighbouring maps, 6-11 read 4 neighbouring maps,
#: 12-14 read 4 non-neighbouring maps and 15 reads all 6 (the paper: to break the symmetry
#: between maps and to keep the number of connections down).
C3_TABLE = (
    *((j, (j + 1) % 6, (j + 2) % 6) for j in range(6)),
    *((j, (j + 1) % 6, (j + 2) % 6, (j + 3) % 6) for j in range(6)),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)

#: LeNet-5 as published (LeCun, Bottou, Bengio and Haffner 1998), layer by layer:
#: (name, what it is, output shape (C, H, W) or (units,)). Not built by the engine.
LENET5_1998 = (
    ("input", "32x32 image, background -0.1 and ink 1.175", (1, 32, 32)),
    ("C1", "6 convolutions 5x5", (6, 28, 28)),
    ("S2", "subsampling: sum of each 2x2 block times a trainable coefficient, plus a trainable "
           "bias, then the squashing function", (6, 14, 14)),
    ("C3", "16 convolutions 5x5, each reading the S2 maps of C3_TABLE", (16, 10, 10)),
    ("S4", "subsampling as S2", (16, 5, 5)),
    ("C5", "120 convolutions 5x5 over all 16 maps (1x1 outputs)", (120, 1, 1)),
    ("F6", "84 units, fully connected", (84,)),
    ("output", "10 Euclidean RBF units, each with a fixed 7x12 bitmap code (84 values of +-1); "
               "not trained", (10,)),
)


def lenet5_1998_param_counts():
    """Trainable parameters of each layer of LeNet-5 as published; see ``LENET5_1998``.

    C-layers have one 5x5 kernel per (input map, output map) pair they connect and one bias per
    output map; S-layers one coefficient and one bias per map; F6 a weight per input and a bias
    per unit; the RBF output has none (its codes are fixed). The squashing function is the
    scaled tanh 1.7159 tanh(2a/3) and has no parameters.

    Returns a dict name -> count, in layer order: C1 156, S2 12, C3 1,516 (2,416 with every
    S2 map connected, as in d2l's network), S4 32, C5 48,120, F6 10,164, output 0; 60,000 in all.
    """
    k = 5 * 5
    return {
        "C1": 6 * (1 * k + 1),
        "S2": 6 * 2,
        "C3": sum(len(inputs) * k + 1 for inputs in C3_TABLE),
        "S4": 16 * 2,
        "C5": 120 * (16 * k + 1),
        "F6": 84 * (120 + 1),
        "output": 0,
    }


def simple_convnet(*, in_channels=1, input_size=28, num_filters=30, kernel_size=5, hidden=100,
                   num_classes=10, seed=0, dtype=np.float32):
    """Return SimpleConvNet (Saito, *Deep Learning from Scratch*, ch. 7) as a Sequential.

    Conv(C->30, 5x5, stride 1, padding 0) - ReLU - MaxPool(2, 2) - Flatten -
    Dense(30*12*12->100) - ReLU - Dense(100->10), with He-scaled initial weights; the
    Conv - ReLU - MaxPool block is one fused ``ConvReLUPool2D`` layer (5 layers in all).

    Inputs:
    - in_channels, input_size: C and H = W of the input images
    - num_filters, kernel_size, hidden: FN, FH = FW, and the width of the hidden dense layer
    - num_classes: K, the number of logits
    - seed: seeds the initial weights
    - dtype: float32 or float64
    """
    rng = np.random.default_rng(seed)
    size = _conv_out(input_size, kernel_size) // 2
    if size < 1:
        raise ValueError(f"input_size={input_size} is too small for kernel_size={kernel_size}")
    return Sequential(
        ConvReLUPool2D.create(in_channels, num_filters, kernel_size, rng=rng, dtype=dtype),
        Flatten(),
        Dense.create(num_filters * size * size, hidden, rng=rng, dtype=dtype), ReLU(),
        Dense.create(hidden, num_classes, rng=rng, dtype=dtype),
    )


def dense_net(hidden=(74, 43), *, in_features=784, num_classes=10, activation="relu", seed=0,
              dtype=np.float32):
    """Return a multilayer perceptron: Flatten - (Dense - activation) per hidden width - Dense.

    The default widths give a parameter count within 0.1% of LeNet-5's, so the two can be
    compared on the same budget.

    Inputs:
    - hidden: widths of the hidden layers
    - in_features: D = C*H*W of the flattened input (784 for MNIST)
    - num_classes: K, the number of logits
    - activation: "relu" or "sigmoid"
    - seed: seeds the initial weights
    - dtype: float32 or float64
    """
    acts = {"relu": (ReLU, "he"), "sigmoid": (Sigmoid, "lecun")}
    if activation not in acts:
        raise ValueError(f"activation must be 'relu' or 'sigmoid', got {activation!r}")
    act, init = acts[activation]
    rng = np.random.default_rng(seed)
    layers = [Flatten()]
    widths = [in_features, *hidden]
    for d_in, d_out in zip(widths[:-1], widths[1:]):
        layers += [Dense.create(d_in, d_out, init=init, rng=rng, dtype=dtype), act()]
    layers.append(Dense.create(widths[-1], num_classes, init=init, rng=rng, dtype=dtype))
    return Sequential(*layers)


MODELS = {
    "lenet-classic": lambda **kw: lenet5("classic", **kw),
    "lenet-modern": lambda **kw: lenet5("modern", **kw),
    "simple-convnet": simple_convnet,
    "dense": dense_net,
}


def build_model(name, *, seed=0, dtype=np.float32):
    """Return a fresh model by name: "lenet-classic", "lenet-modern", "simple-convnet", "dense"."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose from {sorted(MODELS)}")
    return MODELS[name](seed=seed, dtype=dtype)
