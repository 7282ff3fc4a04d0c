"""Zero knowledge: what is proven about a window and how.

* :mod:`.circuit`      ONNX export, the EZKL circuit, keys, SRS and the Solidity verifier
* :mod:`.tuning`       the smallest circuit that keeps every validation decision
* :mod:`.statement`    the public statement: commitments, scores, the gateway binding
* :mod:`.prover`       witness and proof for one window or a batch
* :mod:`.commitment`   a window's commitment recomputed from the window (Poseidon or KZG)
* :mod:`.verifiercode` is a deployed verifier the code EZKL generates from a key?
* :mod:`.srsid`        which SRS a key or verifier was made with ([τ]G2 and its id)
* :mod:`.ceremony`     powers-of-tau ceremonies (snarkjs) imported as EZKL SRS files
"""

__all__ = [
    "ceremony",
    "circuit",
    "commitment",
    "prover",
    "srsid",
    "statement",
    "tuning",
    "verifiercode",
]
