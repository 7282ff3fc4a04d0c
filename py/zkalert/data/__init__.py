"""Sensor data: CSV and Tennessee Eastman loaders, checks with row and column, scaling.

* :mod:`.loaders`  ``load_csv``, ``load_te_file``, ``load_tennessee_eastman``, ``check_matrix``, ``Scaler``
* :mod:`.source`   ``DataSource`` (a plant's CSV/Parquet file or the bundled demo data), ``load``
  into train/validation/test splits, ``load_windows`` by the detector's column names
* :mod:`.datasets` labelled evaluation splits (Tennessee Eastman, Edge-IIoTset, any labelled CSV)
"""

__all__ = ["datasets", "loaders", "source"]
