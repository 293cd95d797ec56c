"""Typed errors whose messages are fit to show a person.

Every failure that bad input or a hostile environment can cause is raised as a
subclass of :class:`NSTError`; the CLI prints ``str(err)`` and exits 2, the
window shows it in a message box. Nothing else should escape to the user.
"""

from __future__ import annotations


class NSTError(Exception):
    """Base class: ``str(err)`` is a complete, human-readable sentence."""


class ImageLoadError(NSTError):
    """A file is missing, unreadable, not an image, corrupt, truncated or empty."""


class ImageTooLargeError(ImageLoadError):
    """The image has more pixels than the configured limit (decompression bomb guard)."""


class ImageSaveError(NSTError):
    """The result could not be written (missing folder, full disk, bad format...)."""


class ParameterError(NSTError, ValueError):
    """A parameter value is invalid (out of range, unknown choice, unknown layer)."""


class UnknownLayerError(ParameterError):
    """A VGG-19 layer name that does not exist (or is not a ReLU output)."""


class TooThinError(ParameterError):
    """The photo, at the size asked for, is too thin for the deepest layer's poolings;
    ``suggested_size`` is the least size that serves it (None when no size can)."""

    def __init__(self, message: str, suggested_size: int | None = None) -> None:
        super().__init__(message)
        self.suggested_size = suggested_size


class WeightsError(NSTError):
    """Network weights are missing, cannot be downloaded or do not fit VGG-19."""


class DeviceError(NSTError):
    """The requested compute device is not available."""


class OutOfMemoryError(NSTError):
    """The device ran out of memory, or would: ``suggested_size`` is a size that should fit,
    ``low_memory_fits`` whether turning on Low memory would let the asked size fit."""

    def __init__(self, message: str, suggested_size: int | None = None,
                 low_memory_fits: bool = False) -> None:
        super().__init__(message)
        self.suggested_size = suggested_size
        self.low_memory_fits = low_memory_fits


class GalleryError(NSTError):
    """The style gallery (or the run history) cannot be read or written."""


class DuplicateStyleError(GalleryError):
    """The image is already in the gallery; ``existing`` is its record."""

    def __init__(self, message: str, existing: object = None) -> None:
        super().__init__(message)
        self.existing = existing


class ArchiveError(GalleryError):
    """A style archive is unreadable, not one of ours, or unsafe to unpack."""
