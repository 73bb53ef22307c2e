"""Saving returned images, and the file-format rules to check before a request is sent.

``save_image`` never overwrites: each save claims a new numbered name (``stem-001.jpeg``,
``stem-002.jpeg``, ...) with an exclusive create, so two saves, even from two kernels, cannot
collide. The bytes are checked to decode as the stated format before anything is written.
"""

from __future__ import annotations

import base64
import binascii
import io
import os
import re
import warnings
from pathlib import Path
from typing import Optional

from PIL import Image

from . import imaging, registry, settings
from .writes import atomic_write_bytes

# COOKBOOK_OUTPUTS_DIR lets the test suite keep its saves out of the learner's folder.
OUTPUTS_DIR = settings.outputs_dir(Path(__file__).resolve().parent.parent / "notebooks" / "outputs")

# What Pillow calls each format the Images API returns.
PIL_FORMAT = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}
# A transparent background needs a format with an alpha channel; output_compression applies to
# the lossy ones. Source: [SDK] openai/types/image_generate_params.py (background, output_compression).
FORMATS_WITH_ALPHA = ("png", "webp")
COMPRESSIBLE_FORMATS = ("jpeg", "webp")
FORMAT_RULES_SOURCE = "[SDK] openai 3.57.0, openai/types/image_generate_params.py (background, output_compression)"
_STEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,80}")


class FormatRuleError(ValueError):
    """A request that the API would refuse for its output format options; raised before sending."""


def image_bytes(image: bytes | str) -> bytes:
    """Raw bytes from bytes or base64 text (as in ``b64_json``; a ``data:`` prefix is allowed)."""
    if isinstance(image, (bytes, bytearray, memoryview)):
        return bytes(image)
    if not isinstance(image, str):
        raise TypeError(f"expected image bytes or base64 text, got {type(image).__name__}")
    text = image.strip()
    if text.startswith("data:") and "," in text:
        text = text.split(",", 1)[1]
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except binascii.Error as err:
        raise ValueError(f"not base64 image data ({err})") from None


def _normalise_format(output_format: str) -> str:
    fmt = output_format.lower()
    if fmt not in PIL_FORMAT:
        raise ValueError(f"output_format must be one of {', '.join(PIL_FORMAT)}, got {output_format!r}")
    return fmt


def save_image(image: bytes | str, stem: str, *, output_format: str, folder: Path = OUTPUTS_DIR) -> Path:
    """Write ``image`` to ``folder/<stem>-NNN.<format>`` under a name no earlier save used; return the path.

    Raises ValueError, writing nothing, if the stem is not a plain file name or the data does not
    decode as an image of ``output_format``.
    """
    fmt = _normalise_format(output_format)
    if not isinstance(stem, str) or not _STEM.fullmatch(stem):
        raise ValueError(f"stem must be a plain file name (letters, digits, '_', '-', '.'), got {stem!r}")
    data = image_bytes(image)
    actual = _header_format(data)
    if actual != PIL_FORMAT[fmt]:
        raise ValueError(f"the data is {actual or 'an unknown format'}, not {fmt}: nothing was saved")
    imaging.decode_image(data)  # the whole file decodes (not truncated); the header bounded its size
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"{folder} is a file, not a folder: nothing was saved")
    folder.mkdir(parents=True, exist_ok=True)
    path = _claim(folder, stem, fmt)
    try:
        atomic_write_bytes(path, data)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def _header_format(data: bytes) -> Optional[str]:
    """Pillow's name for the format in the header, read without decoding any pixel.

    Raises ValueError for an image with more pixels than Pillow's decompression-bomb limit.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                return img.format
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValueError(f"the image has more than {Image.MAX_IMAGE_PIXELS:,} pixels, far beyond any size the "
                         "API returns: nothing was saved") from None
    except (OSError, SyntaxError, ValueError):
        return None


def _claim(folder: Path, stem: str, fmt: str) -> Path:
    """Create an empty file under the next free number; O_EXCL makes the claim race-free."""
    pattern = re.compile(rf"{re.escape(stem)}-(\d+)\.{fmt}")
    taken = [int(m[1]) for p in folder.iterdir() if (m := pattern.fullmatch(p.name))]
    number = max(taken, default=0) + 1
    while True:
        path = folder / f"{stem}-{number:03d}.{fmt}"
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            return path
        except FileExistsError:
            number += 1


def format_problems(model: str, *, output_format: str = "png", background: Optional[str] = None,
                    output_compression: Optional[int] = None) -> list[str]:
    """Why the API would refuse this background/compression for ``output_format``; empty when it would not.

    The one place these rules live: the file checks, the playground and the Responses tool spec use it.
    """
    fmt = output_format.lower()
    caps = registry.get(model).capabilities
    found = []
    if background == "transparent":
        if caps is not None and caps.transparent_background == "no":
            found.append(f"{model} does not support transparent backgrounds "
                         f"(source: {caps.source_of('transparent_background')}).")
        if fmt not in FORMATS_WITH_ALPHA:
            found.append(f"A transparent background needs output_format {' or '.join(FORMATS_WITH_ALPHA)}; "
                         f"{fmt} has no alpha channel (source: {FORMAT_RULES_SOURCE}).")
    if output_compression is not None:
        if fmt not in COMPRESSIBLE_FORMATS:
            found.append(f"output_compression applies to {' and '.join(COMPRESSIBLE_FORMATS)} only, "
                         f"not {fmt} (source: {FORMAT_RULES_SOURCE}).")
        if isinstance(output_compression, bool) or not isinstance(output_compression, int) \
                or not 0 <= output_compression <= 100:
            found.append(f"output_compression is a level from 0 to 100 (0-100), got {output_compression!r} "
                         f"(source: {FORMAT_RULES_SOURCE}).")
    return found


def check_format_options(model: str, *, output_format: str = "png", background: Optional[str] = None,
                         output_compression: Optional[int] = None) -> None:
    """Raise FormatRuleError if the API would refuse these options for ``model``; call before sending."""
    caps = registry.get(model).capabilities
    formats = caps.output_formats if caps else None
    if formats is not None and output_format.lower() not in formats:
        raise FormatRuleError(f"{model} returns {', '.join(formats)}, not {output_format!r} "
                              f"(source: {caps.source_of('output_formats')}).")
    found = format_problems(model, output_format=output_format, background=background,
                            output_compression=output_compression)
    if found:
        raise FormatRuleError(found[0])
