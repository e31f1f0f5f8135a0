"""Chapter helpers: small modules that each serve one chapter's lesson.

They sit between the engine (which they import) and the book machinery (``widgets``,
``exercises``, which import them); none of them is needed to build or train a network.

- ``kernels``          ch. 1  hand-made 3x3 kernels, ``apply_kernel``, learning a kernel
- ``receptive_field``  ch. 2  receptive-field recursion, same/full padding, window geometry
- ``images``           ch. 3  a synthetic RGB picture and grayscale conversion
- ``costs``            ch. 3  parameter and multiply-add (MAC) counts of layers
- ``invariance``       ch. 4  shifting images and measuring what pooling keeps
- ``conv1d``           ch. 5  1-D convolution loops and their gradients, derived by hand
- ``transposed``       ch. 5  transposed convolution as the input gradient of a convolution
- ``inspect_model``    ch. 6  feature maps, confusion matrices, transformed digits, model comparisons
- ``experiments``      ch. 6  the measured experiments (schedules, ablation, augmentation, Weidman's
                              and Saito's networks): their networks and tables of stored results
"""

__all__ = ["kernels", "receptive_field", "images", "costs", "invariance", "conv1d",
           "transposed", "inspect_model", "experiments"]
