"""demo: build an example book (separate from yours) and show this week's follow-ups."""

from pathlib import Path
from typing import Annotated, Optional

import typer


def demo(
    path: Annotated[Optional[Path], typer.Option(
        "--path", metavar="FILE", dir_okay=False,
        help="Where to build it (default: demo.db in the data folder). Rebuilt each time.")
    ] = None,
) -> None:
    """Build a demo book of ten prospects dated relative to today, and show the follow-ups.

    Your own book is never touched. Explore the demo afterwards with
    `relcrm --db <the path printed> list` (or show, stage history, export ...).
    """
    from .. import db, render
    from ..core import demo as core
    from ..errors import UsageError
    from ..i18n import _
    from .followups import followups

    target = (path or db.data_dir() / "demo.db").expanduser()
    real = db.real_path(target)
    if real.exists() and not core.is_demo_book(real):
        raise UsageError(_("{target} exists and is not a demo book made by relcrm; the demo "
                           "only ever replaces a demo book it made itself: give a new "
                           "file").format(target=target))
    db.close_all()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{real}{suffix}").unlink(missing_ok=True)
    db.select(real)
    with db.write_session() as session:
        count = core.build(session)
        core.mark(session)
    render.note(_("Demo book with {count} prospects: {target}").format(count=count,
                                                                        target=target))
    render.note(_("Explore it: relcrm --db {target} list   (or show \"Nguyễn Văn An\", stage "
                  "history 1, export calls ...)").format(target=target))
    render.note("")
    followups(days=None, all_=False, limit=None, format_="table")
