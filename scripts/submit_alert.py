"""`ape run submit_alert`: prove the next unrecorded alert and submit it through Ape.

Uses the registry recorded in deployments/<chainid>/ (from `zkalert deploy` or
`make demo`) and the compiled detector in build/ (or $ZKALERT_HOME).
Environment: ZKALERT_FAULT (Tennessee Eastman fault run, default 1),
ZKALERT_PROOF (submit this proof file instead of proving; ZKALERT_MODEL_ID
names its model if it is not the workspace's), ZKALERT_STREAM.
APE_FOUNDRY_HOST overrides the node in ape-config.yaml.
On a live network set ZKALERT_APE_ACCOUNT to an Ape account alias; locally the
first test account (anvil's account 0, the registered gateway) signs, and only
there: anvil's well-known accounts are refused on a chain that is not a
development chain (docs/keys.md), exit code 3.
"""

import os
import sys

from ape import Contract, accounts, networks

from zkalert.errors import DevelopmentKeyRefused
from zkalert.gateway.ape_bridge import prepare_alert
from zkalert.gateway.networks import dev_chain_ids
from zkalert.keys import development_chains, well_known_index


def main() -> None:
    if "ZKALERT_APE_ACCOUNT" in os.environ:
        sender = accounts.load(os.environ["ZKALERT_APE_ACCOUNT"])
    else:
        sender = accounts.test_accounts[0]
    chain_id = networks.provider.chain_id
    index = well_known_index(sender.address)
    if index is not None and chain_id not in development_chains(extra=dev_chain_ids()):
        print(f"error: {DevelopmentKeyRefused(sender.address, index, chain_id)}", file=sys.stderr)
        raise SystemExit(3)
    alert = prepare_alert(
        networks.provider.web3,
        sender.address,
        fault=int(os.environ.get("ZKALERT_FAULT", "1")),
        proof_file=os.environ.get("ZKALERT_PROOF"),
        stream=os.environ.get("ZKALERT_STREAM"),
        model_id_hex=os.environ.get("ZKALERT_MODEL_ID"),
    )
    registry = Contract(alert.registry, abi=alert.registry_abi)
    if int(registry.streamGateway(alert.stream_id), 16) == 0:
        # only the registry's owner opens a stream; an owner that is also the gateway opens its own
        if registry.owner() != sender.address:
            raise SystemExit(f"stream {alert.stream_name!r} is not open: the registry owner ({registry.owner()}) opens it "
                             f"with `zkalert stream open {alert.stream_name} --gateway {sender.address}`")
        registry.setStreamGateway(alert.stream_id, sender.address, sender=sender)
    prev_hash = registry.head(alert.stream_id)
    receipt = registry.submitAlert(
        alert.stream_id, alert.model_id, prev_hash, alert.index, alert.proof, list(alert.instances), sender=sender
    )
    seq = registry.count(alert.stream_id) - 1
    print(f"stream {alert.stream_name} (window index {alert.index}): recorded as seq {seq}")
    print(f"tx {receipt.txn_hash}  block {receipt.block_number}  gas {receipt.gas_used}")
