"""Errors that the command line reports as one clear line (exit code 2, no traceback)."""


class LocoauditError(Exception):
    """A user-facing error: bad input, a missing file, a refused operation."""


class ManifestError(LocoauditError):
    """A manifest is missing, unparsable or invalid; the message names the file and key path."""

    def __init__(self, source: str, key: str, message: str):
        self.source, self.key = source, key
        where = f"{source}: {key}" if key else source
        super().__init__(f"{where}: {message}")


class NonFiniteTraining(LocoauditError):
    """Training produced NaN or inf (actions, losses); the trainer holds the last good iteration."""
