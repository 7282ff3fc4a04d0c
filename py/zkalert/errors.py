"""Every error zkalert raises, one tree by domain under :class:`ZkAlertError`.

The CLI turns any of them into one line on stderr and exit code 1 (3 for
:class:`DevelopmentKeyRefused` and :class:`DevelopmentSrsRefused`, 4 for
:class:`ClusterUnavailable`); callers that
want to handle a domain catch its class, and callers that do not catch the root::

    ZkAlertError
    ├── ConfigError          a setting, an argument or a file the user named
    │   ├── NetworkConfigError   networks.toml
    │   ├── TokenFileError       the services' token file
    │   └── SigningKeyError      no key for the chain, or a keystore that does not open
    │       └── DevelopmentKeyRefused   anvil's public key on a chain that is not for development
    │   └── DevelopmentSrsRefused   a circuit on a development SRS, for a chain that is not for development
    ├── ToolchainError       forge, anvil or solc missing or failing
    ├── DataError            sensor data of the wrong shape, NaN/inf, too few rows
    ├── DetectorError        a detector that cannot be trained, loaded or used
    ├── CircuitError         the circuit, its keys, settings or SRS
    │   ├── CeremonyError        a powers-of-tau transcript that cannot be made, checked or imported
    │   └── ProofError           a witness, proof or statement that is not what it must be
    │       ├── WitnessOutOfRange    windows outside the circuit's fixed-point range: no proof exists
    │       └── ReceiptError         an alert receipt that is missing or not a receipt
    ├── ChainError           the node, a deployment, a transaction
    │   ├── RevertedError        a contract refused a call (the decoded custom error)
    │   ├── SenderStopped        a refusal no retry changes
    │   └── TooManyRecords       a log read over its record limit
    ├── OutboxError          the gateway's durable outbox
    ├── ClusterError         the proving cluster cannot run a proof (no worker can hold it, ...)
    │   └── ClusterUnavailable   the cluster cannot be reached or went away; nothing is lost
    └── ServiceError         the utility's and the regulator's services
        ├── StoreError           a window store
        │   └── WindowConflict       a window index not above the stream's last
        ├── UtilityError         the utility is unreachable or answered with an error
        ├── AuditError           an audit that cannot run
        └── AcceptanceError      a reference set, bundle or key of model acceptance that cannot be used

Errors that carry values beyond their message keep them as attributes
(``RevertedError.reason``, ``TooManyRecords.limit`` and ``.at_block``,
``DevelopmentKeyRefused.address`` and ``.chain_id``, ``DevelopmentSrsRefused.circuit`` and
``.chain_id``).
"""

from __future__ import annotations


class ZkAlertError(Exception):
    """A user-facing error: the message names what is wrong and how to fix it."""


class ConfigError(ZkAlertError):
    """A setting, a command-line argument or a file the user named is wrong or missing."""


class NetworkConfigError(ConfigError):
    """networks.toml is missing a network, has a bad value, or does not match the node."""


class TokenFileError(ConfigError):
    """The tokens file is missing or malformed."""


class SigningKeyError(ConfigError):
    """No signing key is configured for a chain that needs one, or a keystore cannot be opened
    (missing file, not a keystore, wrong password, no password given)."""


class DevelopmentKeyRefused(SigningKeyError):
    """One of anvil's well-known development keys on a chain that is not a development chain:
    its private key is public, so anyone could sign in its name."""

    def __init__(self, address: str, index: int, chain_id: int) -> None:
        super().__init__(
            f"refusing anvil's well-known development key {address} (account {index}) on chain "
            f"{chain_id}: its private key is public; sign with a keystore (--keystore PATH or "
            f"--account NAME), or list a local test chain in ZKALERT_DEV_CHAINS"
        )
        self.address, self.index, self.chain_id = address, index, chain_id


class DevelopmentSrsRefused(ConfigError):
    """A circuit built on a development SRS (``gen_srs``, whose τ was on the machine that made it)
    registered for a chain that is not a development chain: whoever kept τ could forge its proofs."""

    def __init__(self, circuit: str, chain_id: int) -> None:
        super().__init__(
            f"refusing to register {circuit} on chain {chain_id}: it was built on a development "
            f"SRS (gen_srs), whose τ was on the machine that made it; compile with --srs "
            f"<ceremony file>, or pass --allow-dev-srs for a test chain"
        )
        self.circuit, self.chain_id = circuit, chain_id


class ToolchainError(ZkAlertError):
    """A required tool (forge, anvil, solc) is missing or failed."""


class DataError(ZkAlertError):
    """Input data has the wrong shape, contains NaN/inf, or is otherwise unusable."""


class DetectorError(ZkAlertError):
    """A detector cannot be trained, loaded or applied to the data given."""


class CircuitError(ZkAlertError):
    """A circuit, its keys, settings or SRS cannot be built, found or used."""


class CeremonyError(CircuitError):
    """A powers-of-tau transcript is unreadable, incomplete, not BN254's, too small, unprepared,
    fails its verification or its published hash, or a ceremony step failed."""


class ProofError(CircuitError):
    """A witness, proof or public statement is missing, malformed or not what it must be."""


class WitnessOutOfRange(ProofError):
    """Windows the circuit has no witness for: a value, or one computed from it, is outside the
    circuit's fixed-point range, so no proof of them can exist."""


class ReceiptError(ProofError):
    """A receipt file is missing, unreadable, or not a receipt."""


class ChainError(ZkAlertError):
    """The chain is unreachable, a deployment is missing, or a transaction reverted."""


class RevertedError(ChainError):
    """A contract refused a call; ``reason`` is the decoded custom error."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"the registry refused the alert: {reason}")
        self.reason = reason


class SenderStopped(ChainError):
    """The registry or the node refuses in a way no retry changes; the outbox is left as it is."""


class TooManyRecords(ChainError):
    """A log read found more records than the reader was allowed to hold."""

    def __init__(self, what: str, limit: int, from_block: int, at_block: int) -> None:
        super().__init__(
            f"more than {limit:,} {what} from block {from_block} (limit reached at block {at_block}): "
            "read the history in parts (--from-block/--to-block) or raise --max-records"
        )
        self.limit, self.at_block = limit, at_block


class OutboxError(ZkAlertError):
    """The outbox cannot be used: corrupted, locked, or made for another chain/registry/gateway."""


class ClusterError(ZkAlertError):
    """The proving cluster cannot run a proof: no worker declares the memory it needs, a worker
    runs another EZKL, or a proof killed every worker it was given."""


class ClusterUnavailable(ClusterError):
    """The proving cluster's scheduler cannot be reached, has no workers, or went away while
    proving; what was to be proven stays queued (the outbox, the store), to be proven again."""


class ServiceError(ZkAlertError):
    """The utility's or the regulator's service cannot run or answer."""


class StoreError(ServiceError):
    """The store cannot be opened or used."""


class WindowConflict(StoreError):
    """A window index is not above the stream's last stored index."""


class UtilityError(ServiceError):
    """The utility cannot be reached or answered with an error."""


class LoadTestError(ServiceError):
    """The services' load test could not run, or what it checks after the load did not hold."""


class AuditError(ServiceError):
    """The audit cannot run: bad block range, unknown stream, no deployment."""


class AcceptanceError(ServiceError):
    """Model acceptance cannot go on: a reference set, a bundle or the model's key material is
    missing, malformed, or made for another reference set or model."""
