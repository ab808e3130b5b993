"""Feed documents as they arrive: a JSON file, JSON lines, a directory of them, gzip-compressed
or not, or a request body. Reading never judges content: a part that is not JSON is handed on
as unreadable, with where it was, for the importer to refuse or reject."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from awareness.errors import FieldError, ValidationFailed

# What a directory import reads; anything else in it is left alone.
SUFFIXES = (".json", ".jsonl", ".ndjson", ".json.gz", ".jsonl.gz", ".ndjson.gz")
_GZIP_MAGIC = b"\x1f\x8b"


class FeedRejected(ValidationFailed):
    """A file or body that cannot be imported at all; nothing was changed. The message says
    what is wrong and what to do, in one line."""

    def __init__(self, message: str, *, where: str = "body") -> None:
        super().__init__([FieldError(where, message)], message)
        self.where = where


@dataclass(frozen=True, slots=True)
class Document:
    """One JSON document and where it came from (`file.jsonl:12`, `body[3]`); `content` is
    None when that part was not JSON, and `problem` says why."""

    where: str
    content: Any = None
    problem: str | None = None


def _text(raw: bytes, where: str) -> str:
    """The bytes as text, gunzipped if they are gzip (by their magic number, not a name)."""
    if raw.startswith(_GZIP_MAGIC):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise FeedRejected(
                f"{where} is not a readable gzip file ({exc})", where=where
            ) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FeedRejected(
            f"{where} is not UTF-8 text ({exc.reason} at byte {exc.start}): "
            "export it as JSON or JSON lines",
            where=where,
        ) from None


def _json(text: str) -> tuple[Any, str | None]:
    try:
        return json.loads(text), None
    except (ValueError, RecursionError) as exc:
        return None, f"not JSON ({exc})"


def split_documents(raw: bytes, where: str, *, lines: bool | None = None) -> Iterator[Document]:
    """The documents of one file or body: a JSON object is one, a JSON array each of its
    elements, otherwise (or with `lines=True`) one per non-blank line. `lines=False`: the
    whole is one document, whatever JSON it is."""
    text = _text(raw, where)
    whole_problem: str | None = None
    if lines is not True:
        whole, problem = _json(text)
        whole_problem = problem
        if problem is None:
            if isinstance(whole, list) and lines is None:
                yield from (Document(f"{where}[{i}]", item) for i, item in enumerate(whole))
            else:
                yield Document(where, whole)
            return
        if lines is False or "\n" not in text.strip():
            yield Document(where, problem=problem)
            return
    first = True
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            content, problem = _json(line)
            if problem is not None and first and lines is None:
                # Neither one JSON document nor JSON lines: say so once, for the whole.
                yield Document(where, problem=whole_problem)
                return
            first = False
            yield Document(f"{where}:{number}", content, problem)


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise FeedRejected(f"{path}: no such file or directory", where=str(path)) from None
    except OSError as exc:
        raise FeedRejected(f"{path}: cannot be read ({exc.strerror})", where=str(path)) from None


def read_json_file(path: Path) -> Any:
    """One JSON document from a file (gzip or not), or `FeedRejected` naming the file."""
    (document,) = split_documents(read_bytes(path), str(path), lines=False)
    if document.problem is not None:
        raise FeedRejected(f"{path} is {document.problem}", where=str(path))
    return document.content


def feed_files(path: Path) -> list[Path]:
    """The file, or a directory's JSON and JSON-lines files (gzip or not) in name order."""
    if not path.is_dir():
        return [path]
    found = sorted(p for p in path.iterdir() if p.is_file() and p.name.endswith(SUFFIXES))
    if not found:
        raise FeedRejected(
            f"{path} holds no {', '.join(SUFFIXES)} file: name the file to import",
            where=str(path),
        )
    return found


def read_documents(path: Path) -> Iterator[Document]:
    """Every document of a file or directory, each file read when its turn comes."""
    for file in feed_files(path):
        yield from split_documents(read_bytes(file), str(file))
