"""The one exception type a user sees: a clear line, never a traceback."""


class ZkAlertError(Exception):
    """A user-facing error: the message names what is wrong and how to fix it."""


class DataError(ZkAlertError):
    """Input data has the wrong shape, contains NaN/inf, or is otherwise unusable."""


class ChainError(ZkAlertError):
    """The chain is unreachable, a deployment is missing, or a transaction reverted."""


class ToolchainError(ZkAlertError):
    """A required tool (forge, anvil, solc) is missing or failed."""


class TooManyRecords(ChainError):
    """A log read found more records than the reader was allowed to hold."""

    def __init__(self, what: str, limit: int, from_block: int, at_block: int) -> None:
        super().__init__(
            f"more than {limit:,} {what} from block {from_block} (limit reached at block {at_block}): "
            "read the history in parts (--from-block/--to-block) or raise --max-records"
        )
        self.limit, self.at_block = limit, at_block
