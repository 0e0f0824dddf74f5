"""Errors that core/ raises for bad user input: a code and parameters the UI can translate."""

from __future__ import annotations


class CoreError(ValueError):
    """A user-facing error: ``code`` names the message, ``params`` fill it in.

    ``str(err)`` is an English sentence (for the command line and logs); pages look the code up
    in their language's catalog under ``error.<code>`` and format it with ``params``.
    """

    def __init__(self, code: str, message: str, **params):
        super().__init__(message)
        self.code = code
        self.params = params


class InputTooSmall(CoreError):
    def __init__(self, size: int, minimum: int, model: str):
        super().__init__(
            "input_too_small",
            f"{model} needs an input of at least {minimum}×{minimum} pixels; got {size}×{size}. "
            "Below that a downsampling layer would see only zero padding.",
            size=size, minimum=minimum, model=model,
        )


class BadDepth(CoreError):
    def __init__(self, depth: int, nearest: int):
        super().__init__(
            "bad_depth",
            f"A CIFAR ResNet has 6n + 2 layers (8, 14, 20, 32, 44, 56, 110, …); "
            f"{depth} is not of that form. The nearest valid depth is {nearest}.",
            depth=depth, nearest=nearest,
        )


class BadChannels(CoreError):
    def __init__(self, got: int, expected: int):
        super().__init__(
            "bad_channels",
            f"The model expects {expected} input channel(s); the input has {got}.",
            got=got, expected=expected,
        )


class OutOfRange(CoreError):
    def __init__(self, name: str, value, low, high):
        super().__init__(
            "out_of_range",
            f"{name} must lie between {low} and {high}; got {value}.",
            name=name, value=value, low=low, high=high,
        )
