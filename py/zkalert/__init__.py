"""zkalert: provable anomaly alerts for industrial IoT.

The subpackages follow the pipeline, lower layers first; a module imports only
from its own layer or the ones below it (``py/tests/test_layout.py`` checks it):

    config, errors, toolchain   where artifacts live, the exception root, the offline toolchain
    keys        the signing key: keystores, Foundry accounts, the development-chain rule
    data/       sensor data: loaders, schemas, scaling, evaluation data sets
    detector/   the autoencoder scorer, thresholds, the PCA baseline, detection quality
    zk/         EZKL circuit, tuning, the public statement, prover, verifier code
    evm/        JSON-RPC, the AlertRegistry and WindowLog clients, the on-chain log, receipts
    timeseries/ the EKF detector with chained TC/SC proofs and its TimeSeriesRegistry client
    gateway/    the durable outbox and sender, network settings, dataset replay
    services/   the utility's and the regulator's REST services, the lazy audit
    cli/        the one ``zkalert`` command line
    lab/        bench, soak, fault injection, fixtures, evaluation, demos: uses the product,
                never used by it (only the CLI's lab commands import it)
"""

__version__ = "0.1.0"
__all__ = [
    "__version__",
    "cli",
    "config",
    "data",
    "detector",
    "errors",
    "evm",
    "gateway",
    "keys",
    "lab",
    "services",
    "timeseries",
    "toolchain",
    "zk",
]
