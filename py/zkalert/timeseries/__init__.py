"""Time-series mode: an extended Kalman filter detector with chained proofs.

Per interval of D time steps a temporal-consistency (TC) proof shows that the
EKF steps ran from the previous interval's posterior state (only Poseidon
hashes of state in/out are public, each state carrying fresh random nonces);
per detection window a statistical-consistency (SC) proof shows the alarm is
the outcome of a Hotelling-type T² test on the window's accumulated residuals.
``contracts/TimeSeriesRegistry.sol`` enforces the hash linkage on-chain.

Modules, in pipeline order:

* :mod:`.ekf`      subsystems, the learned EKF (training, float reference run)
* :mod:`.circuits` TC and SC ONNX graphs, EZKL compile/setup, witness and proof
* :mod:`.store`    durable per-interval witness inputs (lazy proving)
* :mod:`.stream`   operating a stream: interval by interval, eager or lazy
* :mod:`.proving`  TC and SC proofs as tasks on the proving cluster
* :mod:`.chain`    deploy the companion contract, submit TC/SC proofs
* :mod:`.audit`    the regulator's check, read back from the chain

Its demo, bench and fixtures are lab tooling (:mod:`zkalert.lab.timeseries`);
its commands are ``zkalert ts`` (:mod:`zkalert.cli.timeseries`).
"""

__all__ = ["audit", "chain", "circuits", "ekf", "graphs", "proving", "store", "stream"]
