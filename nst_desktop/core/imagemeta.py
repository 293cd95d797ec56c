"""The run parameters stored inside saved images, so that a result can be reproduced.

PNG keeps them as an iTXt chunk under :data:`PARAMS_KEY` (readable with any
PNG tool); JPEG, WebP and TIFF keep them in an XMP packet (``nstd:params``),
the one metadata block all three carry and that photo tools preserve.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

from nst_desktop import __version__

PARAMS_KEY = "nst_desktop.params"
SOFTWARE = f"nst_desktop {__version__}"
XMP_NAMESPACE = "urn:nst-desktop:xmp:1.0/"

IGNORED_SETTINGS = "The settings stored in"  # how the note on unusable settings begins


def ignored_settings_note(label: str, error: object) -> str:
    """The note a loaded image carries when the settings inside it cannot be used."""
    return f"{IGNORED_SETTINGS} {label} were ignored: {error}"


def ignored_settings(notes: tuple[str, ...] | list[str]) -> str | None:
    """That note among a loaded image's notes, or None."""
    return next((n for n in notes if n.startswith(IGNORED_SETTINGS)), None)


_XMP_OPEN, _XMP_CLOSE = "<nstd:params>", "</nstd:params>"
_XMP_ATTRIBUTE = re.compile(r"""\bnstd:params\s*=\s*(["'])""")


def build_xmp(params_json: str | None) -> bytes:
    """An XMP packet naming the creator tool and, when given, holding the params JSON."""
    params_xml = (
        f"\n   <nstd:params>{html.escape(params_json, quote=False)}</nstd:params>"
        if params_json is not None
        else ""
    )
    packet = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '  <rdf:Description rdf:about=""\n'
        '    xmlns:xmp="http://ns.adobe.com/xap/1.0/"\n'
        f'    xmlns:nstd="{XMP_NAMESPACE}">\n'
        f"   <xmp:CreatorTool>{html.escape(SOFTWARE)}</xmp:CreatorTool>"
        f"{params_xml}\n"
        "  </rdf:Description>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    )
    return packet.encode("utf-8")


def params_from_xmp(xmp: Any) -> str | None:
    """The params JSON inside an XMP packet (bytes or str), or None."""
    if isinstance(xmp, (bytes, bytearray)):
        text = bytes(xmp).decode("utf-8", errors="replace")
    elif isinstance(xmp, str):
        text = xmp
    else:
        return None
    # Found with str.find from the first opening only: a lazy regex retried from each of
    # 8,000 unclosed openings (100 KB) took 14 s, a hostile 1 MB packet some 20 minutes.
    start = text.find(_XMP_OPEN)
    if start >= 0:
        end = text.find(_XMP_CLOSE, start)
        return html.unescape(text[start + len(_XMP_OPEN):end]) if end >= 0 else None
    match = _XMP_ATTRIBUTE.search(text)
    if match:
        end = text.find(match.group(1), match.end())
        return html.unescape(text[match.end():end]) if end >= 0 else None
    return None


def params_text(info: Mapping[Any, Any]) -> str | None:
    """The params JSON found in a Pillow image's ``info`` (PNG text chunk or XMP), or None."""
    value = info.get(PARAMS_KEY)
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        return value
    if "xmp" in info:
        return params_from_xmp(info["xmp"])
    for key in ("XML:com.adobe.xmp",):  # XMP in a PNG written by another tool
        if key in info:
            return params_from_xmp(info[key])
    return None
