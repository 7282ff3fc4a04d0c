"""The chain: contracts' clients and the records they keep.

* :mod:`.registry`  deploy the verifier and AlertRegistry, submit alerts, decode reverts
* :mod:`.windowlog` WindowLog: the utility's per-window commitments
* :mod:`.log`       read the alert log back and check its hash chain
* :mod:`.receipts`  one offline-checkable receipt per recorded alert
* :mod:`.localnode` a local anvil that outlives the command
* :mod:`.srs`       the SRS each model records, the development-SRS rule, the audits' SRS check
* :mod:`.vkaverifier` a model's verifier against its key, VkaVerifiers (past EIP-170) included
"""

__all__ = ["localnode", "log", "receipts", "registry", "srs", "vkaverifier", "windowlog"]
