"""OCR (the `ocr` extra): text from image bytes, bounded in size, memory and time, and leaving no trace.

Tests marked `needs_ocr` run the real engine; the others check the bounds with a stand-in engine,
since the limits must hold before any engine is involved.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageFont

from evidence import ocr
from evidence.ocr import OcrResult, plan_tiles
from tests.conftest import run_cli
from tests.test_media import one_colour_png, png_header_only

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
needs_ocr = pytest.mark.skipif(
    not (ocr.available() and FONT.exists()),
    reason="needs the ocr extra and fonts-wqy-zenhei (.ci/run installs both)",
)
MB = 1024 * 1024


def chat(path: Path, left: list[str], right: list[str]) -> Path:
    font = ImageFont.truetype(str(FONT), 28)
    img = Image.new("RGB", (720, 120 + 90 * (len(left) + len(right))), (237, 237, 237))
    d = ImageDraw.Draw(img)
    y = 40
    for line in left:
        d.rounded_rectangle((20, y, 680, y + 60), 12, fill="white")
        d.text((40, y + 14), line, font=font, fill="black")
        y += 90
    for line in right:
        d.rounded_rectangle((260, y, 700, y + 60), 12, fill=(149, 236, 105))
        d.text((280, y + 14), line, font=font, fill="black")
        y += 90
    img.save(path)
    return path


def png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


# Peak memory is that of a child of a fresh, small launcher, read as the launcher's RUSAGE_CHILDREN
# ru_maxrss (KiB on Linux). Read in this process, or as the child's RUSAGE_SELF, it would include
# this process's own size: Linux carries the peak across the fork and exec that start a child, and
# this process may hold an OCR engine already.
LAUNCHER = """
import json, resource, subprocess, sys
out = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=600)
sys.stderr.write(out.stderr)
if out.returncode:
    sys.exit(out.returncode)
found = json.loads(out.stdout.splitlines()[-1])
found["peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps(found))
"""


def run_python(script: str, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> Any:
    """Run a script in a fresh interpreter; the JSON it prints last, with its peak memory in MB."""
    out = subprocess.run(
        [sys.executable, "-c", LAUNCHER, sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=cwd,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.splitlines()[-1])


OCR_SCRIPT = """
import io, json, sys, warnings
warnings.simplefilter("error")  # a DecompressionBombWarning must not escape here either
from pathlib import Path
from zoneinfo import ZoneInfo
from evidence import media, ocr

data = Path(sys.argv[1]).read_bytes()
result = ocr.image_text(data)
facts = media.media_facts(io.BytesIO(data), "image", ZoneInfo("Asia/Shanghai"))
print(json.dumps({"text": result.text, "skipped": result.skipped, "size": [facts.width, facts.height]}))
"""


# --- the real engine -------------------------------------------------------------------------------------
@needs_ocr
def test_text_comes_out_in_reading_order(tmp_path: Path) -> None:
    shot = chat(tmp_path / "a.png", ["明天就去你家门口等你", "后果自负"], ["我下周还"])
    result = ocr.image_text(shot.read_bytes())
    assert result.skipped is None
    text = result.text or ""
    assert text.index("等你") < text.index("后果自负") < text.index("下周")


@needs_ocr
def test_long_screenshot_is_read_in_tiles() -> None:
    # Read whole, rapidocr shrinks this 720×6000 capture to 240×2000 and misreads its lines
    # ("止好在边界", "中问的感胁"). Lines sit in the overlap of the first two tiles (1744–2000)
    # and on its middle, where one tile cuts them; each must come out once.
    font = ImageFont.truetype(str(FONT), 28)
    img = Image.new("RGB", (720, 6000), (237, 237, 237))
    d = ImageDraw.Draw(img)
    lines = [
        (100, "第一行测试文字"),
        (1850, "跨越边界的文字"),
        (1990, "正好在边界"),
        (3000, "中间的威胁"),
        (5800, "后果自负"),
    ]
    for y, line in lines:
        d.rounded_rectangle((20, y - 10, 680, y + 50), 12, fill="white")
        d.text((40, y), line, font=font, fill="black")
    result = ocr.image_text(png(img))
    assert result == OcrResult("\n".join(line for _, line in lines), None)


@needs_ocr
def test_threat_in_a_screenshot_becomes_a_finding(cli_home: Path, tmp_path: Path) -> None:
    shot = chat(
        tmp_path / "Screenshot_2026-08-12-22-48-30-517_com.tencent.mm.png",
        ["好借花客服", "不还钱就把你身份证照片", "发到你们小区业主群里"],
        [],
    )
    r = run_cli(cli_home, "add", str(shot))
    assert r.exit_code == 0, r.stderr
    [image] = json.loads(run_cli(cli_home, "events", "--json").stdout)
    assert "身份证" in (image["text"] or "")
    cats = {f["category"] for f in json.loads(run_cli(cli_home, "findings", "--json").stdout)}
    assert 4 in cats


@needs_ocr
def test_p11_ocr_writes_nothing_outside(tmp_path: Path) -> None:
    # onnxruntime 1.32 writes Microsoft/DeveloperTools/.onnxruntime/{deviceid,onnxruntime.db} under
    # $XDG_CACHE_HOME when it is imported, unless told not to. Every place a library might write
    # (home, caches, config, temp, the working folder) points into one empty folder.
    outside = tmp_path / "outside"
    for sub in ("home", "cache", "config", "data", "state", "tmp", "cwd"):
        (outside / sub).mkdir(parents=True)
    shot = chat(tmp_path / "in.png", ["后果自负"], [])
    # Not inherited from this process, where an earlier test's engine has already set it.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ORT_", "XDG_"))}
    env |= {
        "HOME": str(outside / "home"),
        "XDG_CACHE_HOME": str(outside / "cache"),
        "XDG_CONFIG_HOME": str(outside / "config"),
        "XDG_DATA_HOME": str(outside / "data"),
        "XDG_STATE_HOME": str(outside / "state"),
        "TMPDIR": str(outside / "tmp"),
    }
    found = run_python(OCR_SCRIPT, str(shot), env=env, cwd=outside / "cwd")
    assert found["text"] == "后果自负"  # the engine really ran
    assert sorted(str(p.relative_to(outside)) for p in outside.rglob("*") if p.is_file()) == []


@needs_ocr
def test_thin_strip_ocr_bounded(tmp_path: Path) -> None:
    # A 16×2000 PNG of a few hundred bytes: read whole, rapidocr's detector enlarged it to
    # 736×86112 and took 8.6 GB and three minutes. Laid on a 736-wide canvas, it is one small pass.
    img = Image.new("L", (16, 2000), 255)
    d = ImageDraw.Draw(img)
    for y in range(0, 2000, 20):
        d.line((2, y, 14, y + 5), fill=0, width=2)
    path = tmp_path / "strip.png"
    path.write_bytes(png(img))
    assert path.stat().st_size < 1000
    found = run_python(OCR_SCRIPT, str(path))
    assert found["skipped"] is None
    assert found["peak_mb"] < 1000, found


# --- bounds, checked before any engine ---------------------------------------------------------------------
def test_p15_huge_png_ocr_skipped_bounded(tmp_path: Path) -> None:
    # 13000×13000 pixels in 21 KB (an RGB one is 0.5–0.7 MB): OCR of the path decoded an RGB one
    # whole and took 1.7 GB here (3 GB reported) and 14 s. The header says enough to refuse it, and
    # its facts come from the header too.
    path = tmp_path / "huge.png"
    path.write_bytes(one_colour_png(13000, 13000))
    assert path.stat().st_size < 700_000
    found = run_python(OCR_SCRIPT, str(path))
    assert found["text"] is None
    assert "13000×13000" in found["skipped"] and "limit" in found["skipped"]
    assert found["size"] == [13000, 13000]
    assert found["peak_mb"] < 300, found


def test_pillow_bomb_limit_and_broken_images_are_reported() -> None:
    cases = {
        "above Pillow's own limit": png_header_only(30000, 30000),
        "not an image": b"not an image at all",
        "empty": b"",
        "header without pixels": png_header_only(300, 200),
        "too thin": png(Image.new("L", (4, 500), 255)),
        "BMP (never sniffed as an image)": bmp(Image.new("RGB", (300, 200))),
    }
    for name, data in cases.items():
        result = ocr.image_text(data)
        assert result.text is None and result.skipped, name


def bmp(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "BMP")
    return buf.getvalue()


class FakeEngine:
    """Stands in for RapidOCR: records the size of each image it is given and reports one line,
    "part N", at the middle of it (in its own coordinates, as rapidocr does)."""

    def __init__(self) -> None:
        self.sizes: list[tuple[int, int]] = []

    def __call__(self, img: Image.Image) -> tuple[list[list[Any]], list[float]]:
        assert isinstance(img, Image.Image) and img.mode == "RGB"
        self.sizes.append(img.size)
        w, h = img.size
        cy = h // 2
        box = [[10.0, cy - 10.0], [w - 10.0, cy - 10.0], [w - 10.0, cy + 10.0], [10.0, cy + 10.0]]
        return [[box, f"part {len(self.sizes)}", 0.99]], [0.0]


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    fake = FakeEngine()
    monkeypatch.setattr(ocr, "_engine", lambda: fake)
    return fake


def detector_pixels(width: int, height: int) -> float:
    """What rapidocr-onnxruntime 1.4.4 gives its detector for an image this size: the longer side
    shrunk to 2000, then the shorter side enlarged to at least 30 and, in the detector, to 736."""
    w, h = float(width), float(height)
    for limit, shrink in ((2000, True), (30, False), (736, False)):
        side = max(w, h) if shrink else min(w, h)
        if (side > limit) if shrink else (side < limit):
            w, h = w * limit / side, h * limit / side
    return w * h


@pytest.mark.parametrize(
    "size",
    [(16, 2000), (16, 9000), (300, 5000), (720, 1600), (1080, 2400), (1080, 10000), (5000, 1080), (64, 64)],
)
def test_no_detector_input_is_large(engine: FakeEngine, size: tuple[int, int]) -> None:
    result = ocr.image_text(png(Image.new("L", size, 255)))
    assert result.skipped is None and result.text
    assert engine.sizes
    for w, h in engine.sizes:
        assert detector_pixels(w, h) <= 4.1e6, (size, (w, h))


def test_time_budget_stops_between_tiles(engine: FakeEngine) -> None:
    ticks = iter(range(0, 10_000, 100))
    result = ocr.image_text(
        png(Image.new("L", (720, 20000), 255)), time_budget=150, clock=lambda: float(next(ticks))
    )
    # Starts at 0; part 1 ends at 100 (< 150), part 2 at 200: the budget has run out.
    assert result.text == "part 1\npart 2"
    assert result.skipped is not None and "2 of 12" in result.skipped and "150 s" in result.skipped


def test_tile_limit(engine: FakeEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "MAX_TILES", 3)
    result = ocr.image_text(png(Image.new("L", (720, 20000), 255)))
    assert result.text == "part 1\npart 2\npart 3"
    assert result.skipped is not None and "3 of 12" in result.skipped


def test_pixel_limit_and_jpeg_draft(engine: FakeEngine) -> None:
    img = Image.new("RGB", (400, 300), "white")
    jpeg = io.BytesIO()
    img.save(jpeg, "JPEG")
    # A JPEG over the limit is decoded at a power-of-two scale below it (libjpeg does that cheaply).
    assert ocr.image_text(jpeg.getvalue(), max_pixels=40_000).text == "part 1"
    assert engine.sizes == [(200, 150)]
    # Any other format over the limit is refused before decoding.
    result = ocr.image_text(png(img), max_pixels=40_000)
    assert result.text is None and result.skipped is not None and "400×300" in result.skipped
    # Past the smallest scale libjpeg offers (1/8), a JPEG is refused too.
    assert ocr.image_text(jpeg.getvalue(), max_pixels=1_000).skipped is not None
    assert engine.sizes == [(200, 150)]


def test_transparency_is_laid_on_white(engine: FakeEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[object] = []

    def spy(img: Image.Image) -> tuple[list[list[Any]], list[float]]:
        seen.append(img.getpixel((0, 0)))
        return engine(img)

    monkeypatch.setattr(ocr, "_engine", lambda: spy)
    ocr.image_text(png(Image.new("RGBA", (300, 200), (0, 0, 0, 0))))
    assert seen == [(255, 255, 255)]


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=ocr.MIN_SIDE, max_value=40_000),
    st.integers(min_value=ocr.MIN_SIDE, max_value=40_000),
)
def test_tiles_cover_the_image_and_report_each_line_once(width: int, height: int) -> None:
    tiles, total = plan_tiles(width, height)
    assert 1 <= len(tiles) == min(total, ocr.MAX_TILES)
    vertical = height >= width
    long = max(width, height)
    along = [(t.box[1], t.box[3]) if vertical else (t.box[0], t.box[2]) for t in tiles]
    # Bands follow each other without gap or overlap: every line centre belongs to exactly one tile.
    assert tiles[0].keep[0] == 0
    assert all(a.keep[1] == b.keep[0] for a, b in itertools.pairwise(tiles))
    if total == len(tiles):
        assert tiles[-1].keep[1] == long
    for tile, (start, end) in zip(tiles, along, strict=True):
        assert 0 <= start < end <= long
        assert tile.box[2] <= width and tile.box[3] <= height
        # A line up to the overlap tall, centred in the band, lies whole in the tile.
        half = min(ocr.TILE_OVERLAP, (end - start) // 4) // 2
        assert tile.keep[0] == 0 or tile.keep[0] - half >= start
        assert tile.keep[1] == long or tile.keep[1] + half <= end
        # What the detector is given stays small, whatever the shape.
        w, h = tile.canvas or (tile.box[2] - tile.box[0], tile.box[3] - tile.box[1])
        assert detector_pixels(w, h) <= 4.1e6
