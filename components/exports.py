"""Files made from a deck (``components.deck``): PowerPoint (python-pptx, one chart per slide as
an image), PNG images (kaleido driving Debian's chromium), and Excel (openpyxl; Vietnamese
headers, numbers stored as numbers). Each function returns the file's bytes."""

from __future__ import annotations

import io
import threading
import warnings
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

import pandas as pd
import plotly.io as pio

from components.deck import Deck, Slide, for_screen

WIDTH, HEIGHT = 1600, 900  # 16:9 images, sharp on a projector and in a slide
Progress = Callable[[int, int, str], None]
_LOCK = threading.Lock()


@contextmanager
def _renderer() -> Iterator[None]:
    """One chromium for a whole batch of images (the first start takes ~3 s, each image ~0.3 s)."""
    import kaleido

    with _LOCK:
        with suppress(Exception):  # already running in this process
            kaleido.start_sync_server(silence_warnings=True)
        try:
            yield
        finally:
            with suppress(Exception):
                kaleido.stop_sync_server(silence_warnings=True)


def _png(slide: Slide) -> bytes:
    fig = for_screen(slide.figure, font_size=22, height=HEIGHT)
    fig.update_layout(width=WIDTH, title={"text": slide.title, "x": 0.01, "font": {"size": 30}},
                      margin={"t": 90})
    with warnings.catch_warnings():  # plotly warns that size options go unused with a server
        warnings.simplefilter("ignore", UserWarning)
        return pio.to_image(fig, format="png", width=WIDTH, height=HEIGHT)


def slide_images(deck: Deck, progress: Progress | None = None) -> list[bytes]:
    """PNG bytes of every slide's chart, in order; ``progress(done, total, text)`` after each."""
    out = []
    with _renderer():
        for i, slide in enumerate(deck.slides):
            out.append(_png(slide))
            if progress:
                progress(i + 1, len(deck.slides), f"Đã dựng {i + 1}/{len(deck.slides)} biểu đồ")
    return out


def to_png_zip(deck: Deck, progress: Progress | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for i, (slide, png) in enumerate(zip(deck.slides, slide_images(deck, progress), strict=True), start=1):
            z.writestr(deck.file_name("png", f"{i:02d}-{slide.key}"), png)
    return buf.getvalue()


def to_pptx(deck: Deck, progress: Progress | None = None) -> bytes:
    """Title slide, then one slide per chart: title, the chart as an image, and a footnote with
    unit, period and source."""
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.util import Emu, Inches, Pt

    images = slide_images(deck, progress)
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    blank = prs.slide_layouts[6]

    def text(slide, left, top, width, height, value, size, bold=False, color=None):  # noqa: ANN001, ANN202
        box = slide.shapes.add_textbox(left, top, width, height)
        box.text_frame.word_wrap = True
        run = box.text_frame.paragraphs[0].add_run()
        run.text, run.font.size, run.font.bold = value, Pt(size), bold
        if color:
            run.font.color.rgb = RGBColor.from_string(color)
        return box

    title = prs.slides.add_slide(prs.slide_layouts[0])
    title.shapes.title.text = deck.heading
    title.placeholders[1].text = f"{deck.period} ({deck.dates})\n{deck.source}\nXuất ngày {deck.created:%d/%m/%Y}"
    margin = Inches(0.4)
    width = prs.slide_width - 2 * margin
    for slide, png in zip(deck.slides, images, strict=True):
        s = prs.slides.add_slide(blank)
        text(s, margin, Inches(0.2), width, Inches(0.8), slide.title, 28, bold=True)
        pic_h = Inches(5.6)
        pic_w = Emu(int(pic_h * WIDTH / HEIGHT))
        s.shapes.add_picture(io.BytesIO(png), (prs.slide_width - pic_w) // 2, Inches(1.05), pic_w, pic_h)
        text(s, margin, Inches(6.85), width, Inches(0.5), deck.footnote(), 12, color="6C757D")
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def to_xlsx(deck: Deck) -> bytes:
    """One sheet per table plus 'Thông tin' (unit, period, source, export date). Counts are
    numbers (#.##0), shares are fractions shown as percentages, dates are dates."""
    from openpyxl.utils import get_column_letter

    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        info = pd.DataFrame({"Mục": ["Nội dung", "Đơn vị", "Kỳ", "Từ – đến", "Nguồn", "Ngày xuất"],
                             "Giá trị": [deck.heading, deck.unit, deck.period, deck.dates, deck.source,
                                         deck.created.strftime("%d/%m/%Y")]})
        info.to_excel(xl, sheet_name="Thông tin", index=False)
        used: set[str] = {"Thông tin"}
        for i, slide in enumerate(deck.slides, start=1):
            name = _sheet_name(f"{i}. {slide.title}", used)
            slide.table.to_excel(xl, sheet_name=name, index=False)
            ws = xl.sheets[name]
            for j, col in enumerate(slide.table.columns, start=1):
                letter = get_column_letter(j)
                ws.column_dimensions[letter].width = max(12, min(60, len(str(col)) + 4,
                                                                 *[len(str(v)) + 2 for v in slide.table[col][:50]]))
                fmt = "0.00%" if col.startswith(("Tỷ lệ", "Mục tiêu")) else "dd/mm/yyyy" if col == "Từ ngày" \
                    else "#,##0" if col in ("Tử số", "Mẫu số", "Số TTHC", "Công bố qua BCCI", "Trực tuyến") else None
                if fmt:
                    for cell in ws[letter][1:]:
                        cell.number_format = fmt
            ws.freeze_panes = "A2"
        xl.sheets["Thông tin"].column_dimensions["B"].width = 80
        xl.sheets["Thông tin"].column_dimensions["A"].width = 14
    return buf.getvalue()


def _sheet_name(title: str, used: set[str]) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    name = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31].strip()
    base, n = name, 2
    while name in used:
        name = f"{base[:28]}~{n}"
        n += 1
    used.add(name)
    return name
