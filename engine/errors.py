"""Domain errors of the engine; the web layer maps them to HTTP status codes."""
from __future__ import annotations

from dataclasses import dataclass


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a diagram, tied to the element it concerns."""

    element_id: str
    message: str
    #: the file it is in, when a deploy holds several files (a set, a diagram's DMN files)
    file: str = ""

    def __str__(self) -> str:
        where = f"{self.file}: " if self.file and self.file != self.element_id else ""
        return f"{where}{self.element_id}: {self.message}"


class DeployError(EngineError):
    """A diagram was refused; ``problems`` lists every reason, element by element."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class NotFoundError(EngineError):
    """The process, instance or task does not exist."""


class ConflictError(EngineError):
    """Someone else changed the instance or task first; reload and try again."""


class TaskStateError(EngineError):
    """The task is not in a state that allows the operation (completed, not claimed...)."""


class PermissionDeniedError(EngineError):
    """The user may not act on this task."""


class FormValidationError(EngineError):
    """Submitted form data does not match the task's JSON Schema.

    ``errors`` maps a field path ("" for the whole form, "a.b" for nested) to messages.
    """

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        text = "; ".join(f"{k or '(form)'}: {', '.join(v)}" for k, v in errors.items())
        super().__init__(f"invalid form data: {text}")


class InstanceErrorState(EngineError):
    """The instance has an open incident; it must be retried before it can go on."""
