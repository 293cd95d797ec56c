"""The record of one style in the gallery, and the rules for its fields.

Plain, frozen data: the store hands records out, the window shows them, and a
change is a new record (``record.replace(...)``). Field rules (tags are
lower-case and unique, titles are never empty, lengths are bounded) live here
so that the store, the archive import and the details dialog agree on them.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from nst_desktop.core.thumbnails import ImageInfo
from nst_desktop.errors import GalleryError
from nst_desktop.text import counted

MAX_TITLE = 200
MAX_TEXT = 500
MAX_YEAR = 32
MAX_TAG = 64
MAX_TAGS = 50
EDITABLE_FIELDS = ("title", "artist", "year", "source", "tags", "favourite")


@dataclass(frozen=True)
class StyleRecord:
    """One style: its image file, its details and its bookkeeping."""

    id: str
    filename: str  # the image's name inside the gallery's images folder
    title: str
    artist: str = ""
    year: str = ""  # free text: "1889", "c. 1830", "1503-1519"
    source: str = ""  # where the image came from (URL, museum, book)
    tags: tuple[str, ...] = ()
    favourite: bool = False
    added: float = 0.0  # seconds since the epoch
    last_used: float | None = None
    width: int = 0
    height: int = 0
    sha256: str = ""
    # Filled in by the store for convenience; not persisted.
    image_path: Path = field(default=Path(), compare=False)
    thumbnail_path: Path = field(default=Path(), compare=False)

    def replace(self, **changes: object) -> StyleRecord:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    @property
    def search_text(self) -> str:
        """Everything a search looks in, case-folded."""
        return " ".join((self.title, self.artist, self.year, *self.tags)).casefold()

    @property
    def caption(self) -> str:
        """"Title — Artist, 1889" as a tooltip or status line shows it."""
        by = ", ".join(part for part in (self.artist, self.year) if part)
        return f"{self.title} — {by}" if by else self.title

    def details(self) -> dict[str, object]:
        """The person-editable fields, as an archive or a dialog carries them."""
        return {name: getattr(self, name) for name in EDITABLE_FIELDS}


class SortOrder(enum.Enum):
    """How the gallery is ordered; favourites always come first."""

    TITLE = "title"
    ARTIST = "artist"
    RECENTLY_ADDED = "added"
    RECENTLY_USED = "used"


def sort_key(record: StyleRecord, order: SortOrder = SortOrder.TITLE) -> tuple:
    favourite_first = 0 if record.favourite else 1
    title = record.title.casefold()
    if order is SortOrder.ARTIST:
        return (favourite_first, record.artist.casefold() or "\uffff", record.year, title)
    if order is SortOrder.RECENTLY_ADDED:
        return (favourite_first, -record.added, title)
    if order is SortOrder.RECENTLY_USED:
        return (favourite_first, -(record.last_used or 0.0), title)
    return (favourite_first, title, record.id)


def matches(record: StyleRecord, text: str = "", tag: str | None = None,
            favourites_only: bool = False) -> bool:
    """Whether ``record`` passes a search: every word of ``text`` must appear in
    its title, artist, year or tags; ``tag`` must be one of its tags."""
    if favourites_only and not record.favourite:
        return False
    if tag and tag.casefold() not in record.tags:
        return False
    words = text.casefold().split()
    if not words:
        return True
    haystack = record.search_text
    return all(word in haystack for word in words)


def normalize_tags(tags: Iterable[str] | str) -> tuple[str, ...]:
    """Lower-case, trimmed, unique tags; a string is split on commas."""
    if isinstance(tags, str):
        tags = tags.split(",")
    seen: dict[str, None] = {}
    for tag in tags:
        if not isinstance(tag, str):
            raise GalleryError(f"A tag must be text; got {tag!r}.")
        clean = re.sub(r"\s+", " ", tag).strip().casefold()
        if not clean:
            continue
        if len(clean) > MAX_TAG:
            raise GalleryError(f"The tag {clean[:20]!r}... is longer than {MAX_TAG} characters.")
        seen.setdefault(clean, None)
    if len(seen) > MAX_TAGS:
        raise GalleryError(f"A style can have at most {MAX_TAGS} tags.")
    return tuple(seen)


def clean_details(changes: dict[str, object]) -> dict[str, object]:
    """Validate and normalise edits to a record's fields (raises GalleryError)."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise GalleryError(f"Unknown style field(s): {', '.join(sorted(unknown))}.")
    out: dict[str, object] = {}
    for name, value in changes.items():
        if name == "tags":
            out[name] = normalize_tags(value)  # type: ignore[arg-type]
        elif name == "favourite":
            if not isinstance(value, (bool, int)):
                raise GalleryError("'favourite' must be true or false.")
            out[name] = bool(value)
        else:
            if value is None:
                value = ""
            if isinstance(value, int) and not isinstance(value, bool):
                value = str(value)  # a year given as a number
            if not isinstance(value, str):
                raise GalleryError(f"The {name} must be text; got {value!r}.")
            text = " ".join(value.split())
            limit = {"title": MAX_TITLE, "year": MAX_YEAR}.get(name, MAX_TEXT)
            if len(text) > limit:
                raise GalleryError(f"The {name} is longer than {limit} characters.")
            if name == "title" and not text:
                raise GalleryError("A style needs a title.")
            out[name] = text
    return out


def title_from_filename(path: Path) -> str:
    """'the_starry-night.jpg' -> 'The starry night' (a starting title for an import); a date
    or time keeps its marks: 'Pasted 2026-12-04 23.20.12.png' -> 'Pasted 2026-12-04 23.20.12'."""
    # "_" becomes a space; so do "-" and "." unless they stand between two digits.
    stem = re.sub(r"[_\s]+|(?<!\d)[\-.]+|[\-.]+(?!\d)", " ", Path(path).stem).strip()
    stem = " ".join(stem.split())[:MAX_TITLE]
    return stem[:1].upper() + stem[1:] if stem else "Untitled style"


@dataclass(frozen=True)
class PreparedStyle:
    """An image copied into the gallery with its thumbnail, not yet recorded."""

    id: str
    filename: str
    source_path: Path
    info: ImageInfo
    sha256: str


@dataclass
class StoreChange:
    """What one operation changed; ``removed`` are ids no longer listed."""

    added: list[StyleRecord] = field(default_factory=list)
    updated: list[StyleRecord] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


@dataclass
class SyncReport:
    """What a comparison of the records with the folder found (and did)."""

    missing: list[StyleRecord] = field(default_factory=list)  # dropped: file gone
    adopted: list[StyleRecord] = field(default_factory=list)  # new files picked up
    recovered: list[StyleRecord] = field(default_factory=list)  # images whose record was lost
    unavailable: list[StyleRecord] = field(default_factory=list)  # kept, images folder gone
    problems: list[str] = field(default_factory=list)  # readable messages
    recovered_database: Path | None = None  # a damaged database moved aside

    def __bool__(self) -> bool:
        return bool(self.missing or self.adopted or self.recovered or self.unavailable
                    or self.problems or self.recovered_database)

    def messages(self) -> list[str]:
        """Sentences fit to show a person."""
        out: list[str] = []
        if self.recovered_database is not None:
            out.append(
                "The gallery database was damaged; it was set aside as "
                f"{self.recovered_database.name} and the gallery rebuilt from what it still "
                "held and from the images."
            )
        if self.recovered:
            out.append(f"{counted(len(self.recovered), 'style')} whose details were lost "
                       f"{'was' if len(self.recovered) == 1 else 'were'} recovered from "
                       "the gallery folder.")
        if self.unavailable:
            out.append(f"The gallery's images folder is missing or empty: "
                       f"{counted(len(self.unavailable), 'style')} are hidden, not deleted, "
                       "until their images are back.")
        for record in self.missing:
            out.append(f"'{record.title}' was removed from the gallery: its image file is gone.")
        if self.adopted:
            out.append(f"{counted(len(self.adopted), 'new image')} found in the gallery folder "
                       f"{'was' if len(self.adopted) == 1 else 'were'} added.")
        out.extend(self.problems)
        return out
