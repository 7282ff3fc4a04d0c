"""The window detector: model, threshold, baseline and detection quality.

* :mod:`.family`   the members: the paper's autoencoder, a smaller one, whitened norms, PCA T²/Q
* :mod:`.kinds`    the members' names (torch-free)
* :mod:`.model`    a trained detector: scaler, scorer, threshold; training and thresholds
* :mod:`.baseline` the PCA T²/Q monitor every figure is compared with
* :mod:`.quality`  detection-quality metrics of scores, labels and a threshold
"""

__all__ = ["baseline", "family", "kinds", "model", "quality"]
