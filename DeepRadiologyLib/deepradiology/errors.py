"""Errors a user can act on: each names the input and the problem in one sentence."""

from __future__ import annotations

__all__ = ["DeepRadiologyError", "InputError", "ModelError", "OutputExistsError"]


class DeepRadiologyError(Exception):
    """Base class for every error DeepRadiology raises on purpose."""


class InputError(DeepRadiologyError, ValueError):
    """An input file, folder or value cannot be used.

    Args:
        source: the file, folder or argument at fault ("" when there is none).
        problem: what is wrong with it, in words a user understands.
    """

    def __init__(self, source: object, problem: str) -> None:
        self.source = str(source) if source is not None else ""
        self.problem = problem
        super().__init__(f"{self.source}: {problem}" if self.source else problem)


class ModelError(DeepRadiologyError):
    """A model is missing, corrupt, or does not fit the task it is asked to do."""


class OutputExistsError(DeepRadiologyError, FileExistsError):
    """Writing would overwrite something the user made; pass force=True (``--force``) to allow it."""

    def __init__(self, path: object) -> None:
        self.path = str(path)
        super().__init__(f"{self.path}: already exists; refusing to overwrite it (use --force to replace it)")
