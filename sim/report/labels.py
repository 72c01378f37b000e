"""Text that becomes a matplotlib label: user-chosen names are shown as written.

Matplotlib reads text between two `$` as TeX (mathtext), so an app named `Pay$ $` or
`a $\\frac$ b` would stop a report with a parse error at savefig; `tex_safe` escapes
every `$`. `literal_text()` turns TeX parsing off for figures drawn by code that does not
escape its labels (sim.results.figures): `text.parse_math` is read when a text is made.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

import matplotlib


def tex_safe(text: object) -> str:
    """`text` as a label matplotlib shows literally (each `$` escaped)."""
    return str(text).replace("$", r"\$")


def literal_text() -> AbstractContextManager[Any]:
    """A context in which matplotlib draws every label literally, `$` included."""
    return matplotlib.rc_context({"text.parse_math": False})
