"""The CJK font every figure and page uses, so Chinese app names show as characters.

The font comes with the install: the `paperang-p2-fonts-cjk` package ships WenQuanYi Micro
Hei (Apache 2.0, simplified and traditional Chinese, 5 MB), so a machine with no CJK font
of its own still draws 融e行 rather than boxes. Matplotlib gets the file through its font
manager; an HTML page gets a subset of it (only the characters the page uses, a few kB)
embedded as an @font-face data URI, so the page needs no font on the reader's machine.
"""

from __future__ import annotations

import base64
import functools
import io
from importlib import resources
from pathlib import Path

FAMILY = "appsim-cjk"  # the name pages give the embedded font
FONT_PACKAGE = "paperang_p2_fonts_cjk"
FONT_FILE = "fonts/wqy-microhei.ttc"


@functools.cache
def font_path() -> Path | None:
    """The installed CJK font file, or None if the font package is missing."""
    try:
        path = Path(str(resources.files(FONT_PACKAGE).joinpath(FONT_FILE)))
    except ModuleNotFoundError:
        return None
    return path if path.is_file() else None


def use_in_matplotlib() -> str | None:
    """Make matplotlib draw with the font where its default font has no glyph; return the
    font's family name. Matplotlib falls back glyph by glyph along `font.family` (not along
    the sans-serif list a generic family stands for), so the font is added there, after
    the generic family; set on every call since a figure may run in an rc_context."""
    name = _registered()
    if name is None:
        return None
    import matplotlib.pyplot as plt

    families = list(plt.rcParams["font.family"])
    if name not in families:
        plt.rcParams["font.family"] = [*families, name]
    return name


@functools.cache
def _registered() -> str | None:
    path = font_path()
    if path is None:
        return None
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(path))
    return str(font_manager.FontProperties(fname=str(path)).get_name())


def font_face_css(text: str) -> str:
    """An @font-face rule embedding the glyphs `text` needs beyond ASCII ("" if none, or if
    the font is missing). Pages list FAMILY first: it holds no Latin glyphs, so Latin text
    falls through to the next family, while CJK text never reaches a system font without
    those glyphs (Chromium can keep the boxes of such a first attempt after the font loads)."""
    wanted = sorted({ch for ch in text if ord(ch) > 0x7F and not ch.isspace()})
    path = font_path()
    if not wanted or path is None:
        return ""
    data = base64.b64encode(_subset(path, "".join(wanted))).decode("ascii")
    return (
        f"@font-face {{ font-family: '{FAMILY}'; "
        f"src: url(data:font/ttf;base64,{data}) format('truetype'); }}"
    )


@functools.lru_cache(maxsize=64)
def _subset(path: Path, chars: str) -> bytes:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(str(path), fontNumber=0)
    options = subset.Options()
    options.layout_features = ["*"]
    options.drop_tables += ["FFTM"]  # a font-editor timestamp fontTools cannot subset
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()
