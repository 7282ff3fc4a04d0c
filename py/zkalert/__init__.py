"""zkalert: provable anomaly alerts for industrial IoT.

The package follows the pipeline, one module per stage:

    data -> detector -> circuit -> prover -> chain -> log

``config`` says where every artifact lives, ``metrics`` records the paper's
Table I figures, ``demo`` runs the whole path and ``cli`` is the one CLI.
"""

__version__ = "0.1.0"
