"""Report folders: appsim replaces only folders it made itself, and never a user's files."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.cli.app import main
from sim.errors import UsageError
from sim.report.folders import MARKER, atomic_folder, check_writable
from sim.report.ownership import owned

TINY = Path(__file__).parents[1] / "scenarios" / "tiny.yaml"


def write_report(out: Path, text: str = "report") -> None:
    with atomic_folder(out) as tmp:
        (tmp / "summary.md").write_text(text)


def test_a_new_folder_is_made_and_marked(tmp_path):
    out = tmp_path / "a" / "b"
    write_report(out)
    assert (out / "summary.md").read_text() == "report"
    assert (out / MARKER).exists()
    assert owned(out)


def test_appsims_own_folder_is_replaced(tmp_path):
    out = tmp_path / "r"
    write_report(out, "first")
    write_report(out, "second")
    assert (out / "summary.md").read_text() == "second"


def test_an_empty_folder_is_used(tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    write_report(out)
    assert (out / "summary.md").exists()


def test_a_users_folder_is_refused_and_kept(tmp_path):
    out = tmp_path / "Documents"
    out.mkdir()
    (out / "thesis.docx").write_text("years of work")
    with pytest.raises(UsageError, match="appsim did not make it"):
        write_report(out)
    assert (out / "thesis.docx").read_text() == "years of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Documents"]  # no temporary left


def test_a_user_file_added_to_a_report_makes_it_the_users(tmp_path):
    out = tmp_path / "r"
    write_report(out)
    (out / "my-notes.txt").write_text("notes")
    with pytest.raises(UsageError, match=r"it holds my-notes\.txt, which appsim did not write"):
        write_report(out)
    assert (out / "my-notes.txt").exists()


def test_a_report_written_before_the_mark_is_recognised_by_its_manifest(tmp_path):
    out = tmp_path / "old"
    out.mkdir()
    (out / "summary.md").write_text("old")
    (out / "manifest.json").write_text('{"files": ["summary.md"]}')
    assert owned(out)
    (out / "other.csv").write_text("x")
    assert not owned(out)


@pytest.mark.parametrize("target", [".", "/", "~"])
def test_folders_that_hold_everything_are_refused(target, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError, match="refusing"):
        check_writable(Path(target).expanduser())


def test_run_refuses_a_users_folder_before_simulating(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "keep.txt").write_text("keep")
    code = main(["run", str(TINY), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert "appsim did not make it" in err
    assert (out / "keep.txt").read_text() == "keep"
    assert sorted(os.listdir(out)) == ["keep.txt"]


def test_run_with_out_dot_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "keep.txt").write_text("keep")
    code = main(["run", str(TINY), "--out", ".", "--quiet"])
    assert code == 2
    assert "refusing" in capsys.readouterr().err
    assert (tmp_path / "keep.txt").exists()


names = st.text(alphabet="abc.", min_size=1, max_size=3).filter(lambda n: n not in (".", ".."))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    user_files=st.lists(st.lists(names, min_size=1, max_size=3), max_size=5),
    target=st.lists(names, min_size=1, max_size=3),
)
def test_no_target_ever_deletes_a_file_appsim_did_not_write(tmp_path_factory, user_files, target):
    root = tmp_path_factory.mktemp("world")
    made = []
    for parts in user_files:
        path = root.joinpath(*parts)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("user")
            made.append(path)
        except OSError:  # a part already exists as a file or folder
            continue
    before = {p: p.read_text() for p in made if p.is_file()}
    with contextlib.suppress(UsageError):
        write_report(root.joinpath(*target))
    for path, text in before.items():
        assert path.read_text() == text
