"""The one exception type a user sees: a clear line, never a traceback."""


class ZkAlertError(Exception):
    """A user-facing error: the message names what is wrong and how to fix it."""


class DataError(ZkAlertError):
    """Input data has the wrong shape, contains NaN/inf, or is otherwise unusable."""


class ChainError(ZkAlertError):
    """The chain is unreachable, a deployment is missing, or a transaction reverted."""


class ToolchainError(ZkAlertError):
    """A required tool (forge, anvil, solc) is missing or failed."""
