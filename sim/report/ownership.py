"""Which folders are appsim's: the mark it leaves in every folder it makes, and the test.

appsim replaces or removes only folders it made itself; both the writer of report folders
(`sim.report.folders`) and the cleaner of what a killed run left (`sim.report.leftovers`)
ask this module.
"""

from __future__ import annotations

import json
from pathlib import Path

MARKER = ".appsim-folder.json"  # in every folder appsim makes: the only kind it will replace
PID_FILE = ".appsim-writing.json"  # in a folder being built: who builds it


def owned(folder: Path) -> bool:
    """True if `folder` holds nothing but the files appsim wrote there.

    appsim's mark lists the files it wrote; a folder with any other file (a user's own, or
    a folder appsim never made) is not appsim's to replace. Report folders written before
    the mark existed are recognised by their manifest's file list in the same way.
    """
    return foreign_files(folder) == []


def foreign_files(folder: Path) -> list[str] | None:
    """The files in `folder` that appsim did not write there, or None if no mark of appsim
    lists any (appsim did not make the folder)."""
    present = set(file_list(folder))
    found: list[str] | None = None
    for mark in (MARKER, "manifest.json"):
        listed = _listed_files(folder / mark)
        if listed is not None:
            extra = sorted(present - listed - {mark})
            found = extra if found is None or len(extra) < len(found) else found
    return found


def file_list(folder: Path) -> list[str]:
    """Every file under `folder`, relative and sorted, but the note of who is writing it
    (removed when the folder is finished)."""
    files = (str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    return sorted(f for f in files if f != PID_FILE)


def _listed_files(mark: Path) -> set[str] | None:
    try:
        data = json.loads(mark.read_text())
    except (OSError, ValueError):
        return None
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        return None
    return set(files)
