"""The HTML reports render in a real browser (headless Chromium), with no network request."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import sim
from sim.report.run_report import write_run_report

from ..conftest import TINY

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--virtual-time-budget=5000",
]
PROBE = """<script>
window.addEventListener('load', () => {
  const imgs = [...document.images];
  const ok = imgs.filter(i => i.complete && i.naturalWidth > 0).length;
  const tables = document.querySelectorAll('table.table').length;
  const rows = document.querySelectorAll('table.table tr').length;
  const external = performance.getEntriesByType('resource').map(e => e.name)
    .filter(n => /^(https?|wss?):/.test(n)).length;
  const out = document.createElement('pre');
  out.id = 'probe';
  out.textContent = `PROBE images=${imgs.length} loaded=${ok} tables=${tables} ` +
    `rows=${rows} external=${external}`;
  document.body.appendChild(out);
});
</script>"""


def render(page: Path, tmp_path: Path) -> dict[str, int]:
    """Open `page` (with a probe script added) in headless Chromium; return what it saw."""
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (.ci/run installs Debian's chromium)")
        pytest.skip("chromium not installed")
    probed = tmp_path / "probed.html"
    probed.write_text(page.read_text().replace("</body>", PROBE + "</body>"))
    profile = tmp_path / "profile"
    done = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", probed.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    match = re.search(r"PROBE (.*?)</pre>", done.stdout)
    assert match, done.stderr[-2000:]
    return {k: int(v) for k, v in (kv.split("=") for kv in match.group(1).split())}


def test_run_report_renders_every_figure_and_table(tmp_path):
    result = sim.run(sim.load_scenario(TINY), seed=1)
    folder = write_run_report(result, tmp_path / "report")
    seen = render(folder / "report.html", tmp_path)
    n_png = len(list((folder / "figures").glob("*.png")))
    assert seen["images"] == seen["loaded"] == n_png
    written = (folder / "report.html").read_text().count("<table")
    assert seen["tables"] == written >= 4  # key dates, last day, timeline, assumptions
    assert seen["rows"] > 5 and seen["external"] == 0


def test_comparison_report_renders(tmp_path, tiny_tree):
    import copy
    import datetime as dt

    from sim.report.compare_report import write_comparison_report

    from ..experiments.test_compare import comparison

    other = copy.deepcopy(tiny_tree)
    other["apps"]["chat"]["adoption"]["p_per_year"] = 0.4
    cmp = comparison({"base": tiny_tree, "faster": other}, range(2))
    folder = write_comparison_report(
        cmp, [dt.date(2020, 12, 31)], ("mau", "suite_sum"), tmp_path / "cmp", {}
    )
    seen = render(folder / "report.html", tmp_path)
    assert seen["images"] == seen["loaded"] == 3  # suite, apps_mau, difference_faster
    written = (folder / "report.html").read_text().count("<table")
    assert seen["tables"] == written >= 3 and seen["external"] == 0


ERRORS = """<script>
window.__errors = [];
window.addEventListener('error', e => window.__errors.push(String(e.message)));
const __error = console.error;
console.error = (...args) => { window.__errors.push(args.join(' ')); __error(...args); };
</script>"""
CHARTS = """<script>
window.addEventListener('load', () => setTimeout(() => {
  const charts = [...document.querySelectorAll('.js-plotly-plot')];
  const drawn = charts.filter(c => c.querySelector('svg.main-svg .scatterlayer path')).length;
  const external = performance.getEntriesByType('resource').map(e => e.name)
    .filter(n => /^(https?|wss?):/.test(n)).length;
  const out = document.createElement('pre');
  out.id = 'charts';
  out.textContent = `CHARTS charts=${charts.length} drawn=${drawn} ` +
    `menus=${document.querySelectorAll('.updatemenu-container').length} ` +
    `external=${external} errors=${window.__errors.length}`;
  document.body.appendChild(out);
}, 500));
</script>"""


def render_charts(page: Path, tmp_path: Path) -> dict[str, int]:
    """Open an interactive page in headless Chromium; count its charts and errors."""
    if CHROMIUM is None:
        pytest.skip("chromium not installed")
    probed = tmp_path / "probed-charts.html"
    text = page.read_text().replace("<head>", "<head>" + ERRORS, 1)
    probed.write_text(text.replace("</body>", CHARTS + "</body>"))
    done = subprocess.run(
        [
            CHROMIUM,
            *FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            probed.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    match = re.search(r"CHARTS (.*?)</pre>", done.stdout)
    assert match, done.stderr[-2000:]
    return {k: int(v) for k, v in (kv.split("=") for kv in match.group(1).split())}


def test_interactive_pages_draw_every_chart_offline(tmp_path, tiny_tree):
    import copy

    from sim.report.compare_report import write_comparison_report
    from sim.report.interactive import comparison_page

    from ..experiments.test_compare import comparison

    result = sim.run(sim.load_scenario(TINY), seed=1)
    page = write_run_report(result, tmp_path / "report") / "interactive.html"
    assert "cdn.plot.ly" not in page.read_text()[:2000]  # plotly.js is inside the page
    seen = render_charts(page, tmp_path)
    assert seen == {"charts": 1, "drawn": 1, "menus": 1, "external": 0, "errors": 0}

    other = copy.deepcopy(tiny_tree)
    other["apps"]["chat"]["adoption"]["p_per_year"] = 0.4
    cmp = comparison({"base": tiny_tree, "faster": other}, range(2))
    assert "faster minus base" in comparison_page(cmp)
    import datetime as dt

    folder = write_comparison_report(
        cmp, [dt.date(2020, 12, 31)], ("mau", "suite_sum"), tmp_path / "cmp", {}
    )
    seen = render_charts(folder / "interactive.html", tmp_path)
    assert seen == {"charts": 2, "drawn": 2, "menus": 2, "external": 0, "errors": 0}
