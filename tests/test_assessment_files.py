"""The assessment's files: the XLSX read back with openpyxl against a golden file, the PDF's
text extracted against a golden file, a PDF page rendered to PNG by pdftoppm, the XLSX opened
by LibreOffice headless, formula-safe cells, and the CSV with its byte-order mark.

Golden files are in tests/data/; after an intended change, regenerate them with
``LINKAGE_UPDATE_GOLDEN=1 pytest tests/test_assessment_files.py`` and read the diff."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from console.assessment.model import Assessment
from console.assessment.pdf import find_font, write_pdf
from console.assessment.xlsx import cell_value, text_width, write_xlsx
from console.calls.stats import period
from console.kernel.clock import FakeClock
from console.seat.services import Services

DATA = Path(__file__).resolve().parent / "data"
XLSX_GOLDEN = DATA / "assessment_golden_xlsx.json"
PDF_GOLDEN = DATA / "assessment_golden_pdf.txt"
UPDATE = os.environ.get("LINKAGE_UPDATE_GOLDEN") == "1"
HOSTILE_NAME = "=HYPERLINK(\"http://x.invalid\",\"点我\")"


def local(clock: FakeClock, hhmm: str) -> None:
    clock.set(f"2026-11-28T{hhmm}:00+08:00")


@pytest.fixture
def assessment(services: Services, clock: FakeClock, call: Callable[..., Any]) -> Assessment:
    """One afternoon: an order on time, one never acknowledged, one slow, a handover, a return
    rejected, and an operator whose name is a formula."""
    services.enrol_operator("eve", HOSTILE_NAME, "482913")
    services.ctx.operator = "eve"
    first = call().incident.no
    ok = services.issue_order(first, "water").no
    ignored = services.issue_order(first, "gas").no
    local(clock, "14:01")
    services.step(ok, "ack")
    second = call(phone="13900000001", address="解放路9号").incident.no
    slow = services.issue_order(second, "power").no
    local(clock, "14:03")
    services.step(slow, "ack")
    local(clock, "14:20")
    services.step(ok, "arrive")
    services.handover(ok, "water_co", note="关阀止水")
    local(clock, "14:50")
    services.step(slow, "arrive")
    rejected = services.issue_order(second, "housing").no
    local(clock, "14:51")
    services.step(rejected, "return", reason="不属我单位")
    local(clock, "14:55")
    services.review_return(rejected, "reject", note="房屋安全属住建局")
    local(clock, "18:00")
    assert ignored and slow
    return services.assess(period("2026-11-28", "2026-11-28", clock.now(), services.config.tz))


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):       # a duration cell reads back as one
        return {"seconds": round(value.total_seconds(), 3)}
    if isinstance(value, float):
        return round(value, 9)
    return value


def _read_xlsx(path: Path) -> dict[str, Any]:
    wb = load_workbook(path)
    out: dict[str, Any] = {}
    for ws in wb.worksheets:
        out[ws.title] = {
            "freeze": ws.freeze_panes,
            "rows": [[_plain(c.value) for c in row] for row in ws.iter_rows()],
            "formats": [c.number_format for c in ws[2]] if ws.max_row >= 2 else [],
        }
    return out


def test_the_xlsx_matches_its_golden_file(assessment: Assessment, services: Services,
                                           tmp_path: Path) -> None:
    path = write_xlsx(assessment, tmp_path / "a.xlsx", services.config.tz)
    got = _read_xlsx(path)
    if UPDATE:
        XLSX_GOLDEN.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    assert got == json.loads(XLSX_GOLDEN.read_text(encoding="utf-8"))
    assert list(got) == ["概况", "单位考核", "有令不行", "应而不急", "联而不动", "接警员考核"]


def test_the_xlsx_is_readable_and_formula_safe(assessment: Assessment, services: Services,
                                               tmp_path: Path) -> None:
    path = write_xlsx(assessment, tmp_path / "a.xlsx", services.config.tz)
    wb = load_workbook(path)
    units = wb["单位考核"]
    assert units.freeze_panes == "A2"
    header = [c.value for c in units[1]]
    assert header[:3] == ["单位代码 / unit code", "单位 / unit", "接收派单 / orders received"]
    for n, cell in enumerate(units[1], start=1):       # widths fit the Chinese header
        width = units.column_dimensions[cell.column_letter].width
        assert width >= min(text_width(str(cell.value).split(" / ")[0]), 46), n
    water = next(r for r in units.iter_rows(min_row=2) if r[0].value == "water")
    assert water[2].value == 1 and water[2].data_type == "n"       # a count is a number
    assert water[3 + 2].number_format == "0.0%" and water[3 + 2].value == 1.0
    assert water[3 + 3].number_format == "[h]:mm:ss"
    assert water[3 + 3].value == timedelta(seconds=60)             # issue→ack 1:00 as a duration
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # no formula anywhere
    names = [c.value for c in wb["接警员考核"]["B"]]
    assert "'" + HOSTILE_NAME in names
    assert cell_value("@SUM(A1)", "text", services.config.tz) == "'@SUM(A1)"
    assert cell_value("a\x1b[31mb\nc", "text", services.config.tz) == "ab c"   # the escape sequence goes whole


def _pdf_text(path: Path) -> list[str]:
    return [(page.extract_text() or "").strip() for page in PdfReader(path).pages]


def test_the_pdf_text_matches_its_golden_file(assessment: Assessment, services: Services,
                                               tmp_path: Path) -> None:
    path = write_pdf(assessment, tmp_path / "a.pdf", services.config.tz, find_font())
    pages = _pdf_text(path)
    text = "\n\f\n".join(pages) + "\n"
    if UPDATE:
        PDF_GOLDEN.write_text(text, encoding="utf-8")
    assert text == PDF_GOLDEN.read_text(encoding="utf-8")
    assert "社会应急联动工作考核报告" in pages[0] and "示范县社会应急联动指挥中心" in pages[0]
    reader = PdfReader(path)
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.1)   # A4 portrait
    fonts = cast(Any, reader.pages[0]["/Resources"])["/Font"]
    font = next(iter(fonts.values())).get_object()
    descendant = font["/DescendantFonts"][0].get_object()
    assert "/FontFile2" in descendant["/FontDescriptor"]                        # embedded


def test_a_pdf_page_renders_to_png_with_its_title_and_heading(assessment: Assessment,
                                                               services: Services,
                                                               tmp_path: Path) -> None:
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "pdftoppm is missing: apt-get install poppler-utils (.ci/run installs it)"
    path = write_pdf(assessment, tmp_path / "a.pdf", services.config.tz, find_font())
    subprocess.run([pdftoppm, "-f", "2", "-l", "2", "-r", "60", "-png", str(path),
                    str(tmp_path / "page")], check=True, timeout=120)
    [png] = sorted(tmp_path.glob("page*.png"))
    head = png.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    assert width > height and width / height == pytest.approx(297 / 210, abs=0.01)  # A4 landscape
    # the same page's text, as poppler reads it: the table's title and its heading
    text = subprocess.run(["pdftotext", "-f", "2", "-l", "2", "-layout", str(path), "-"],
                          check=True, capture_output=True, text=True, timeout=120).stdout
    assert "单位考核 / units" in text
    assert "接收派单" in text and "签收准时率" in text and "到场准时率" in text
    from PIL import Image

    with Image.open(png) as img:
        gray = img.convert("L")
        top = gray.crop((0, 0, gray.width, gray.height // 6))
        darkest = top.getextrema()[0]
        assert isinstance(darkest, int) and darkest < 100   # ink where the title and heading are


def test_the_xlsx_opens_in_libreoffice(assessment: Assessment, services: Services,
                                       tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed here (apt-get install libreoffice-calc-nogui;"
                    " .ci/run installs it): the XLSX was not opened by a spreadsheet program")
    path = write_xlsx(assessment, tmp_path / "a.xlsx", services.config.tz)
    profile = tmp_path / "lo-profile"
    subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path / "out"), str(path)],
                   check=True, capture_output=True, timeout=300)
    out = tmp_path / "out" / "a.pdf"
    assert out.is_file()
    text = "".join(p.extract_text() or "" for p in PdfReader(out).pages)
    assert "示范县社会应急联动指挥中心" in text          # the summary sheet, as LibreOffice read it


def test_the_csv_files_have_a_bom_and_clean_cells(assessment: Assessment, cli: Any,
                                                  tmp_path: Path) -> None:
    target = tmp_path / "a.csv"
    cli.now("2026-11-28T10:00:00Z")
    written = cli("assess", "--out", str(target)).data["out"]
    assert [Path(w).name for w in written] == ["a.csv", "a-ignored.csv", "a-slow.csv", "a-idle.csv",
                                               "a-operators.csv"]
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig").splitlines()[0].startswith("单位代码 / unit code,单位 / unit,")
    ops = (tmp_path / "a-operators.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in ops
