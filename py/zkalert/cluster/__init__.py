"""Proving beyond one machine: proofs as tasks on a Dask distributed cluster.

* :mod:`.backend`  :class:`~.backend.ProvingCluster`: an embedded ``LocalCluster`` sized to this
  machine, or a plant's cluster by its scheduler's address; jobs in, timed results out
* :mod:`.folder`   a compiled circuit as the cluster ships it: the detector's, a time-series TC or SC
* :mod:`.worker`   what runs on the workers: each circuit installed once per model id, the tasks
* :mod:`.sizing`   what one proof needs (measured peak RSS, or an estimate) and how many fit
"""

__all__ = ["backend", "folder", "sizing", "worker"]
