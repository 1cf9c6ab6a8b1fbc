"""Images in cards: files in `media/` beside the deck files, referenced as `![alt](media/NAME)`.

A media name is a plain file name (letters, digits, `.`, `_`, `-`) with an image extension; the
file must exist and be at most `MAX_MEDIA_BYTES`. Nothing else is ever read or served, so a
name can never reach outside the media folder.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

MEDIA_FOLDER = "media"
MAX_MEDIA_BYTES = 2 << 20
IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}
MEDIA_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,119}$")
MARKDOWN_IMAGE = re.compile(r"!\[([^\]]*)\]\(\s*([^)\s]*)(?:\s+\"[^\"]*\")?\s*\)")
MEDIA_URL_PREFIX = "/media/"


def media_name(reference: str) -> str | None:
    """The media file name a Markdown image target such as `media/chart.png` names, or None if
    the target is anything else (a URL, a path elsewhere, an unsafe or non-image name)."""
    if not reference.startswith(f"{MEDIA_FOLDER}/"):
        return None
    name = reference[len(MEDIA_FOLDER) + 1 :]
    if not MEDIA_NAME.match(name) or Path(name).suffix.lower() not in IMAGE_TYPES:
        return None
    return name


def image_targets(text: str) -> list[str]:
    """Every Markdown image target in `text`, in order."""
    return [match.group(2) for match in MARKDOWN_IMAGE.finditer(text or "")]


def image_problems(text: str, folder: Path) -> list[str]:
    """What is wrong with the images `text` shows, for a deck file in `folder`."""
    problems = []
    for target in image_targets(text):
        name = media_name(target)
        if name is None:
            problems.append(
                f"image {target!r} must be a file in {MEDIA_FOLDER}/ beside the deck, named with "
                f"letters, digits, '.', '_' or '-' and ending in {', '.join(sorted(IMAGE_TYPES))}"
            )
        elif find_media([folder], name) is None:
            problems.append(
                f"image {target!r}: no file {folder / MEDIA_FOLDER / name} of at most "
                f"{MAX_MEDIA_BYTES >> 20} MB"
            )
    return problems


def find_media(folders: Iterable[Path], name: str) -> Path | None:
    """The media file `name` in the `media/` folder of the first of `folders` that has it, if
    the name is safe and the file is an image of at most MAX_MEDIA_BYTES; else None."""
    if not MEDIA_NAME.match(name) or Path(name).suffix.lower() not in IMAGE_TYPES:
        return None
    for folder in folders:
        candidate = folder / MEDIA_FOLDER / name
        try:
            if candidate.is_file() and candidate.stat().st_size <= MAX_MEDIA_BYTES:
                return candidate
        except OSError:
            continue
    return None


def deck_folders(paths: Iterable[str | Path]) -> list[Path]:
    """The folders holding the given deck files or folders, without repeats."""
    folders: dict[Path, None] = {}
    for raw in paths:
        path = Path(raw)
        folders[path if path.is_dir() else path.parent] = None
    return list(folders)


def image_placeholders(text: str) -> str:
    """`text` with each Markdown image as a placeholder naming its file, for a terminal:
    `[image: PR curve, media/pr-curve.png]`."""

    def placeholder(match: re.Match[str]) -> str:
        alt = match.group(1).strip()
        return f"[image: {alt}, {match.group(2)}]" if alt else f"[image: {match.group(2)}]"

    return MARKDOWN_IMAGE.sub(placeholder, text)
