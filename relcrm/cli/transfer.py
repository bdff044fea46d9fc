"""export: every row of an entity, with stable column names, for scripts and spreadsheets."""

import enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..queries import EXPORTS
from .common import fmt

Entity = enum.Enum("Entity", {name: name for name in EXPORTS}, type=str)  # type: ignore[misc]
ExportFormat = enum.Enum("ExportFormat", {n: n for n in ("csv", "tsv", "json")},
                         type=str)  # type: ignore[misc]


def export(
    entity: Annotated[Entity, typer.Argument(  # type: ignore[valid-type]
        case_sensitive=False, help="What to export: " + ", ".join(EXPORTS) + ".",
        metavar="[ENTITY]")] = "prospects",
    format_: Annotated[ExportFormat, typer.Option(  # type: ignore[valid-type]
        "--format", "-f", case_sensitive=False, help="csv, tsv or json.")] = "csv",
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", metavar="FILE", dir_okay=False,
        help="Write to FILE instead of standard output.")] = None,
) -> None:
    """Export all rows of prospects, touches, calls, stages or qualifications (UTF-8).

    The columns are documented in the README and stable. Dates are ISO 8601; tags are
    comma-separated; a call's SPIN notes are one per line within their cell.
    """
    import os
    import tempfile

    from .. import queries, render
    from ..errors import UsageError
    from .common import read

    name, kind = fmt(entity), fmt(format_)
    target = output.expanduser() if output is not None else None
    if target is not None and not target.parent.is_dir():
        raise UsageError(f"cannot write {output}: folder {target.parent} does not exist")
    columns, rows = queries.export(read(), name)
    if target is None:
        render.machine(kind, columns, rows)
        return
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            count = render.machine(kind, columns, rows, out)
        os.chmod(tmp, 0o644 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise
    noun = name if count != 1 else {"touches": "touch", "stages": "stage change"}.get(
        name, name[:-1])
    render.note(f"Exported {count:,} {noun} to {output}.")


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask
