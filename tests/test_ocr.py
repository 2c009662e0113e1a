"""OCR (the `ocr` extra): a rendered Chinese chat screenshot yields text, and the threat in it is found."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from evidence import ocr
from tests.conftest import run_cli

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
pytestmark = pytest.mark.skipif(
    not (ocr.available() and FONT.exists()),
    reason="needs the ocr extra and fonts-wqy-zenhei (.ci/run installs both)",
)


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


def test_text_comes_out_in_reading_order(tmp_path: Path) -> None:
    shot = chat(tmp_path / "a.png", ["明天就去你家门口等你", "后果自负"], ["我下周还"])
    text = ocr.image_text(shot) or ""
    assert text.index("等你") < text.index("后果自负") < text.index("下周")


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
