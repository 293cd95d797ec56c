"""Load and save images: any mode in, float sRGB out; atomic saves that keep the run's params.

    image = load_image("photo.jpg")          # LoadedImage: rgb float32 (H, W, 3), alpha or None
    save_image("out.png", rgb, params=p)     # params embedded; read_params("out.png") == p

Loading applies the EXIF orientation, converts embedded ICC profiles to sRGB,
keeps 16-bit precision and returns alpha separately (the colour of transparent
pixels is kept, never premultiplied). Every failure a file can cause is an
:class:`ImageLoadError` (or :class:`ImageTooLargeError`) whose message names
the file and the problem.

Saving writes PNG (8 or 16 bit), JPEG, WebP or TIFF (8 or 16 bit). The params
of the run are embedded in all four: a PNG iTXt chunk under :data:`PARAMS_KEY`,
an XMP packet in the others. JPEG has no alpha, so a transparent image is
composited on white. Files are written atomically: a failed save raises
:class:`ImageSaveError` and leaves any previous file untouched.
"""

from __future__ import annotations

from nst_desktop.core.imageload import (
    DEFAULT_MAX_PIXELS,
    LoadedImage,
    load_image,
    load_image_bytes,
    read_params,
)
from nst_desktop.core.imagemeta import PARAMS_KEY
from nst_desktop.core.imagesave import SAVE_FILE_FILTER, SAVE_FORMATS, save_image, unique_path
from nst_desktop.core.imagesniff import IMAGE_FILE_FILTER, LOAD_SUFFIXES, is_image_file

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "IMAGE_FILE_FILTER",
    "LOAD_SUFFIXES",
    "PARAMS_KEY",
    "SAVE_FILE_FILTER",
    "SAVE_FORMATS",
    "LoadedImage",
    "is_image_file",
    "load_image",
    "load_image_bytes",
    "read_params",
    "save_image",
    "unique_path",
]
