"""The window detector: model, threshold, baseline and detection quality.

* :mod:`.model`    the sparse denoising autoencoder scorer, training, thresholds
* :mod:`.baseline` the PCA T²/Q monitor every figure is compared with
* :mod:`.quality`  detection-quality metrics of scores, labels and a threshold
"""

__all__ = ["baseline", "family", "model", "quality"]
