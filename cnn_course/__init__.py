"""cnn_course: convolutional neural networks from first principles in numpy.

The package every chapter of the course imports, in three groups. Each group imports only
from the groups above it.

The engine (top level): what a network is made of.

- ``functional``   array ops, the reference tier: cross-correlation, im2col/col2im, and the
                   convolution and pooling forward and backward passes built on them, exactly
                   as chapter 5 derives them
- ``fast``         the fast tier: the same ops, rearranged for speed (batch-last layout,
                   strided windows, blocked col2im); tested equal to ``functional`` and ``naive``
- ``naive``        loop versions of the ops: readable references and test oracles
- ``layers``       layers with ``forward``/``backward`` and named ``params``/``grads``
- ``models``       ``Sequential``, LeNet-5 (classic and modern), SimpleConvNet
- ``optim``        SGD, Momentum, Adam
- ``train``        the training loop (progress bar, history, seeding)
- ``gradcheck``    numerical gradients and one-call gradient checks
- ``data``         MNIST and Fashion-MNIST from the original IDX files
- ``_validation``  the argument checks every module shares

Chapter helpers (``topics``): one module per lesson, e.g. ``topics.kernels`` (chapter 1) or
``topics.conv1d`` (chapter 5); ``cnn_course.topics`` lists them all.

The book machinery: what makes the chapters interactive.

- ``widgets``      interactive figures (live in Jupyter, precomputed in the book): ``core``
                   (the framework), ``draw`` (the shared drawing kit), ``chNN_*`` (one module
                   per chapter) and ``timing`` (the timing lines the notebooks print)
- ``exercises``    auto-checked exercises with hints and reference solutions: ``core`` (the
                   framework), ``chNN`` (checkers) and ``chNN_solutions``

Array letters used throughout: N batch, C channels, H/W height/width,
FN number of filters, FH/FW filter height/width, OH/OW output height/width.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
