"""cnn_course: convolutional neural networks from first principles in numpy.

The engine every chapter of the course imports. One concept per module:

- ``functional``  pure array ops (cross-correlation, conv2d, pooling, im2col, col2im)
- ``naive``       loop versions of the ops: readable references and test oracles
- ``layers``      layers with ``forward``/``backward`` and named ``params``/``grads``
- ``models``      ``Sequential``, LeNet-5 (classic and modern), SimpleConvNet
- ``optim``       SGD, Momentum, Adam
- ``train``       the training loop (progress bar, history, seeding)
- ``gradcheck``   numerical gradients and one-call gradient checks
- ``data``        MNIST and Fashion-MNIST from the original IDX files
- ``widgets``     interactive figures (live in Jupyter, precomputed in the book)
- ``exercises``   auto-checked exercises with hints and reference solutions

Array letters used throughout: N batch, C channels, H/W height/width,
FN number of filters, FH/FW filter height/width, OH/OW output height/width.
"""

__version__ = "0.1.0"
