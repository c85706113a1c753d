"""One zip file of a JSON description and serialised arrays, written atomically and read
back only if its checksum holds: the container of model files and fit checkpoints."""

import hashlib
import json
import os
import tempfile
import zipfile
from pathlib import Path

LEAVES = "leaves.eqx"
"""The archive member that holds the arrays (`eqx.tree_serialise_leaves`' bytes)."""


def check_folder(path: str | os.PathLike) -> Path:
    """`path` as a `Path`, after checking that a file can be written there.

    **Raises:** `FileNotFoundError` naming the folder if it does not exist;
    `IsADirectoryError` if `path` is a folder.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(
            f"cannot write {path}: the folder {path.parent} does not exist (create it first)."
        )
    if path.is_dir():
        raise IsADirectoryError(f"cannot write {path}: it is a folder; give a file name.")
    return path


def write_archive(path: str | os.PathLike, name: str, meta: dict, leaves: bytes) -> None:
    """Write `meta` (as the JSON member `name`, with the SHA-256 of `leaves` added under
    ``"leaves_sha256"``) and `leaves` to `path`, atomically: a temporary file in the same
    folder, flushed to disk and renamed into place, so the file appears whole or not at
    all and a previous file stays until the new one is complete.
    """
    path = check_folder(path)
    meta = {**meta, "leaves_sha256": hashlib.sha256(leaves).hexdigest()}
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as e:
        raise type(e)(e.errno, f"cannot write {path}: cannot write into {path.parent}") from e
    try:
        with os.fdopen(fd, "wb") as f:
            with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_DEFLATED) as z:
                z.writestr(name, json.dumps(meta, indent=1))
                z.writestr(LEAVES, leaves)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_archive(
    path: str | os.PathLike, name: str, fmt: int, error: type[Exception], what: str
) -> tuple[dict, bytes]:
    """Read an archive written by `write_archive`: its description (the JSON member
    `name`) and its arrays' bytes.

    **Raises:** `error` if the file is not a readable archive, its ``"format"`` is not
    `fmt`, or its arrays do not match their checksum (`what` names the kind of file in
    the message); `FileNotFoundError` if there is no such file.
    """
    try:
        with zipfile.ZipFile(path) as z:
            meta = json.loads(z.read(name))
            leaves = z.read(LEAVES)
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, OSError, ValueError) as e:
        raise error(f"{path} is not a readable {what} ({e}).") from None
    found = meta.get("format") if isinstance(meta, dict) else None
    if found != fmt:
        raise error(f"{path}: unknown {what} format {found!r} (this eqcable reads format {fmt}).")
    if hashlib.sha256(leaves).hexdigest() != meta.get("leaves_sha256"):
        raise error(f"{path}: the saved arrays do not match their checksum (corrupt file).")
    return meta, leaves
