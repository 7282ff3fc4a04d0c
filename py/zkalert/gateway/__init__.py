"""The gateway: prove and submit durably.

* :mod:`.outbox`     the durable SQLite outbox and its state machine
* :mod:`.sender`     the worker: prove, send, confirm; survives crashes, reorgs and outages
* :mod:`.networks`   per-network settings read from ``networks.toml``
* :mod:`.replay`     Tennessee Eastman fault runs replayed as live sensor streams
* :mod:`.ape_bridge` what ``ape run submit_alert`` needs
* :mod:`.doctor`     ``zkalert doctor``: is this gateway set up? one line per check
"""

__all__ = ["ape_bridge", "doctor", "networks", "outbox", "replay", "sender"]
