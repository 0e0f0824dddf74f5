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

    def __reduce__(self):
        # Subclasses take other arguments than (code, message): rebuild the same class from its
        # state, so errors raised in a training worker process reach the page intact.
        return _restore, (type(self), self.code, str(self), self.params)


def _restore(cls: type, code: str, message: str, params: dict) -> CoreError:
    err = cls.__new__(cls)
    CoreError.__init__(err, code, message, **params)
    return err


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


# ---- Errors of the lesson computations (toy, imaging, worked example, BatchNorm) ----


class BadChoice(CoreError):
    def __init__(self, name: str, value, options):
        super().__init__(
            "bad_choice",
            f"{name} must be one of {', '.join(map(str, options))}; got {value!r}.",
            name=name, value=value, options=tuple(options),
        )


class BadShape(CoreError):
    def __init__(self, name: str, got: tuple, expected: tuple):
        super().__init__(
            "bad_shape",
            f"{name} must have shape {expected}; got {got}.",
            name=name, got=tuple(got), expected=tuple(expected),
        )


class NotANumber(CoreError):
    def __init__(self, name: str):
        super().__init__(
            "not_a_number",
            f"{name} must hold finite numbers only (no text, NaN or infinity).",
            name=name,
        )


class BadCell(CoreError):
    """A table cell the student typed that is not a usable number (text, empty, too large)."""

    def __init__(self, name: str, row: int, column: int, text: str, limit: int):
        super().__init__(
            "bad_cell",
            f"{name}, row {row}, column {column}: {text!r} is not a number between -{limit:,} and {limit:,}.",
            name=name, row=row, column=column, text=text, limit=limit,
        )


class NotAnImage(CoreError):
    def __init__(self):
        super().__init__("not_an_image", "The file could not be read as an image.")


class ImageFormat(CoreError):
    def __init__(self, fmt: str, allowed):
        super().__init__(
            "image_format",
            f"Images must be {' or '.join(allowed)}; this file is {fmt}.",
            format=fmt, allowed=tuple(allowed),
        )


class FileTooLarge(CoreError):
    def __init__(self, size: int, limit: int):
        super().__init__(
            "file_too_large",
            f"The file has {size:,} bytes; the limit is {limit:,} bytes.",
            size=size, limit=limit,
        )


class ImageTooSmall(CoreError):
    def __init__(self, width: int, height: int, minimum: int):
        super().__init__(
            "image_too_small",
            f"The image is {width}×{height} pixels; each side needs at least {minimum}.",
            width=width, height=height, minimum=minimum,
        )


class ImageTooLarge(CoreError):
    def __init__(self, width: int, height: int, maximum: int):
        super().__init__(
            "image_too_large",
            f"The image is {width}×{height} pixels; each side may have at most {maximum}.",
            width=width, height=height, maximum=maximum,
        )


class BatchNormOneValue(CoreError):
    def __init__(self, n: int, height: int, width: int):
        super().__init__(
            "bn_one_value",
            f"BatchNorm in training mode needs more than one value per channel; a batch of {n} "
            f"with {height}×{width} maps gives N·H·W = {n * height * width}. "
            "Use a larger batch or larger maps, or switch to eval mode.",
            n=n, height=height, width=width,
        )


# ---- Errors of training (core.training.data, core.training.engine, core.training.jobs) ----


class DataMissing(CoreError):
    def __init__(self, dataset: str, path: str):
        super().__init__(
            "data_missing",
            f"The {dataset} files were not found under {path!r}. Nothing is downloaded: put the "
            "four IDX files (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], "
            "t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]) there.",
            dataset=dataset, path=path,
        )


class BadDataFile(CoreError):
    """A data file that cannot be used. ``path`` names the file; ``reason`` is a code the pages translate
    (under ``error.idx.<reason>``, filled with ``details``): gzip, magic, type, header, size, unreadable,
    not_images, not_labels, pairing, image_shape, label_range, label_type, not_finite, too_few."""

    def __init__(self, path: str, reason: str, **details):
        said = ", ".join(f"{k} {v}" for k, v in details.items())
        super().__init__("bad_data_file", f"{path} cannot be used as an IDX file: {reason}"
                         + (f" ({said})." if said else "."), path=path, reason=reason, **details)


class DeviceUnavailable(CoreError):
    def __init__(self, device: str):
        super().__init__(
            "device_unavailable",
            f"The device {device!r} is not available on this machine; use 'auto' or 'cpu'.",
            device=device,
        )


class TimeLimit(CoreError):
    def __init__(self, seconds: float):
        super().__init__(
            "time_limit",
            f"Training stopped after the wall-time limit of {seconds:g} s; the curve so far is kept.",
            seconds=seconds,
        )


class QueueFull(CoreError):
    def __init__(self, limit: int):
        super().__init__(
            "queue_full",
            f"{limit} training runs are already waiting; try again when one has finished.",
            limit=limit,
        )


class WorkerLost(CoreError):
    def __init__(self, exitcode: int | None):
        super().__init__(
            "worker_lost",
            f"The process training this run ended unexpectedly (exit code {exitcode}); "
            "a fresh one has taken its place.",
            exitcode="?" if exitcode is None else exitcode,
        )


class ClusterWorkerLost(CoreError):
    """A Ray worker (core.training.cluster) died mid-run: killed, its node gone, out of memory."""

    def __init__(self, reason: str):
        super().__init__("cluster_worker_lost", f"The cluster worker training this run was lost ({reason}); "
                         "the next run gets a fresh one.", reason=reason)


class RegistryLost(CoreError):
    """The shared registry actor restarted (core.training.cluster): the runs it held are gone."""

    def __init__(self):
        super().__init__("registry_lost", "The shared training registry restarted and this run was lost with it.")


class TrainingFailed(CoreError):
    def __init__(self, reason: str):
        super().__init__("training_failed", f"Training failed unexpectedly: {reason}", reason=reason)


# ---- Bad input found by hardening: folders a user types, whole numbers typed into a box ----


class DataPathError(CoreError):
    """A data folder the server cannot look into. ``problem``: too_long (a name over the file
    system's limit), denied (no permission), not_a_folder (a file, or a path through a file),
    unreadable (anything else: a NUL byte, an unknown ~user, an I/O error)."""

    PROBLEMS = ("too_long", "denied", "not_a_folder", "unreadable")

    def __init__(self, dataset: str, path: str, problem: str):
        super().__init__(
            f"data_path.{problem}",
            f"The folder {path!r} for {dataset} cannot be read ({problem.replace('_', ' ')}).",
            dataset=dataset, path=path,
        )


class NotWhole(CoreError):
    def __init__(self, name: str, value):
        super().__init__("number.not_whole", f"{name} must be a whole number; got {value}.", name=name, value=value)


# ---- Errors of the CIFAR-10 reproduction (core.training.cifar, reproduce, results) ----


class CifarMissing(CoreError):
    def __init__(self, path: str, missing: str):
        super().__init__(
            "cifar_missing",
            f"CIFAR-10's python batches were not found under {path!r} (missing: {missing}). Nothing is "
            "downloaded: unpack cifar-10-python.tar.gz there (the folder cifar-10-batches-py with "
            "data_batch_1 … data_batch_5 and test_batch).",
            path=path, missing=missing,
        )


class BadCifarFile(CoreError):
    def __init__(self, path: str, reason: str):
        super().__init__("bad_cifar_file", f"{path} is not a valid CIFAR-10 batch: {reason}.", path=path, reason=reason)


class BadResults(CoreError):
    def __init__(self, path: str, field: str):
        # ``field``: the JSON field that is missing or invalid (a name, the same in every language).
        super().__init__("bad_results", f"{path} is not a results file of `python -m core reproduce`: "
                         f"the field {field!r} is missing or invalid.", path=path, field=field)


class ResumeMismatch(CoreError):
    def __init__(self, path: str, field: str, saved, wanted):
        super().__init__(
            "resume_mismatch",
            f"The checkpoint {path} was written with {field} = {saved}, not {wanted}; use another --out "
            "folder or delete the checkpoint to start afresh.",
            path=path, field=field, saved=saved, wanted=wanted,
        )


class BatchNotDivisible(CoreError):
    def __init__(self, batch: int, world: int, micro: int):
        super().__init__(
            "batch_not_divisible",
            f"The global batch of {batch} must split evenly over {world} process(es) × {micro} micro-batch(es).",
            batch=batch, world=world, micro=micro,
        )


# ---- Errors of lesson 7 (kinds of skip connections) ----


class BadDenseDepth(CoreError):
    def __init__(self, depth: int, per: int, nearest: int):
        super().__init__(
            "kinds.bad_dense_depth",  # catalog key error.kinds.bad_dense_depth
            f"A CIFAR DenseNet has {per}n + 4 layers (3 dense blocks of n layers, {per // 3} conv(s) each, "
            f"plus the first conv, 2 transitions and the classifier); {depth} is not of that form. "
            f"The nearest valid depth is {nearest}.",
            depth=depth, per=per, nearest=nearest,
        )


class NotPresenter(CoreError):
    def __init__(self, action: str):
        super().__init__("not_presenter", f"Only the presenter can {action} a poll.", action=action)


class PollClosed(CoreError):
    def __init__(self):
        super().__init__("poll_closed", "This poll is closed: votes are no longer counted.")


class AlreadyVoted(CoreError):
    def __init__(self, answer: str):
        super().__init__("already_voted", f"This session has already voted ({answer}); one vote per session.",
                         answer=answer)
