"""Files made from a deck (``components.deck``): PowerPoint (python-pptx: native, editable
charts with their data inside, the numbers and the source in each slide's notes; only the
province map is a picture), PNG images (kaleido driving Debian's chromium), and Excel
(openpyxl; Vietnamese headers, numbers stored as numbers). Each function returns the file's bytes.

Number formats: PowerPoint and Excel show '0.00 %' and '#,##0' with the separators of the
reader's regional settings (43,12 % and 1.234 on a Vietnamese Windows); a file cannot force
them."""

from __future__ import annotations

import io
import logging
import math
import threading
import warnings
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext, suppress

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from components.deck import Chart, Deck, Slide, for_screen
from components.lights import LIGHTS
from data.text import format_int, format_percent

WIDTH, HEIGHT = 1600, 900  # 16:9 images, sharp on a projector and in a slide
PCT, PCT_AXIS, COUNT = "0.00 %", "0 %", "#,##0"
NEUTRAL = LIGHTS[None].color
Progress = Callable[[int, int, str], None]
_LOCK = threading.Lock()
log = logging.getLogger(__name__)


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


def static_figure(slide: Slide) -> go.Figure:
    """The slide's figure with everything it needs inside: a map gets its province boundaries
    (the browser loads them by URL; an image renderer cannot)."""
    if not slide.geo_scheme:
        return slide.figure
    from data import geo, queries
    from data.db import default_url, get_engine

    units = queries.units_frame(get_engine(default_url()))
    prov = units[(units["scheme"] == slide.geo_scheme) & (units["level"] == "province")]
    shapes = geo.provinces_geojson(prov, slide.geo_scheme)[0]
    fig = go.Figure(slide.figure)
    fig.update_traces(geojson=shapes, selector={"type": "choroplethmap"})
    fig.update_traces(colorbar_tickformat=".1%", selector={"type": "choroplethmap"})  # a narrow range: 12,5 %
    return fig


def _png(slide: Slide, title: bool = True, width: int = WIDTH) -> bytes:
    fig = for_screen(static_figure(slide), font_size=22, height=HEIGHT)
    fig.update_layout(width=width)
    if title:
        fig.update_layout(title={"text": slide.title, "x": 0.01, "font": {"size": 30}}, margin={"t": 90})
    if slide.geo_scheme:  # the page's map is 640 px high and has margins: zoom in to fill the image
        fig.update_layout(map_zoom=(fig.layout.map.zoom or 4.15) + math.log2(HEIGHT / 640) + 0.4)
    with warnings.catch_warnings():  # plotly warns that size options go unused with a server
        warnings.simplefilter("ignore", UserWarning)
        try:
            return pio.to_image(fig, format="png", width=width, height=HEIGHT)
        except Exception as exc:  # noqa: BLE001
            # kaleido 1.x renders in a Chromium tab whose scripts may not be ready yet on a loaded
            # machine ("kaleido_scopes is not defined"): one more try in a fresh tab
            if "kaleido_scopes" not in str(exc):
                raise
            return pio.to_image(fig, format="png", width=width, height=HEIGHT)


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


# --- PowerPoint -----------------------------------------------------------------------------


def to_pptx(deck: Deck, progress: Progress | None = None) -> bytes:
    """16:9; a centred title slide, then one slide per chart: its title, a native chart (the
    heatmap as a coloured table, the map as a picture), a footnote with unit, period and
    source, and notes that say the numbers and the source in words."""
    from pptx import Presentation
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Inches, Pt

    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    W, margin = prs.slide_width, Inches(0.4)
    width = W - 2 * margin

    first = prs.slides.add_slide(prs.slide_layouts[0])
    title, sub = first.shapes.title, first.placeholders[1]
    for shape, top, height in ((title, Inches(1.9), Inches(1.8)), (sub, Inches(3.9), Inches(2.2))):
        shape.left, shape.top, shape.width, shape.height = margin, top, width, height
    title.text = deck.heading
    sub.text = f"{deck.period} ({deck.dates})\n{deck.source}\nXuất ngày {deck.created:%d/%m/%Y}"
    for shape in (title, sub):
        for p in shape.text_frame.paragraphs:
            p.alignment = PP_ALIGN.CENTER
    first.notes_slide.notes_text_frame.text = (f"{deck.heading}. {deck.period} ({deck.dates}). {deck.source}. "
                                               f"Xuất ngày {deck.created:%d/%m/%Y}.")

    maps = [s for s in deck.slides if s.geo_scheme]
    with _renderer() if maps else nullcontext():
        for i, slide in enumerate(deck.slides):
            s = prs.slides.add_slide(prs.slide_layouts[5])  # title only: titles show in the outline
            head = s.shapes.title
            head.left, head.top, head.width, head.height = margin, Inches(0.15), width, Inches(0.9)
            head.text = slide.title
            para = head.text_frame.paragraphs[0]
            para.alignment = PP_ALIGN.LEFT
            para.runs[0].font.size, para.runs[0].font.bold = Pt(28), True
            box = (margin, Inches(1.1), width, Inches(5.65))
            chart = slide.chart
            if chart.kind == "map":
                _map_picture(s, slide, box)
            elif chart.kind == "table":
                _heat_table(s, chart, box)
            elif chart.categories:
                _native_chart(s, chart, box)
            else:
                _text(s, box, "Chưa có số liệu cho kỳ này", 24, "6C757D")
            _text(s, (margin, Inches(6.85), width, Inches(0.5)), deck.footnote(), 12, "6C757D")
            s.notes_slide.notes_text_frame.text = slide.notes or deck.footnote()
            if progress:
                progress(i + 1, len(deck.slides), f"Đã dựng {i + 1}/{len(deck.slides)} trang")
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def _rgb(color: str | None):  # noqa: ANN202
    """'#5b7db1' or 'rgb(91, 125, 177)' as a python-pptx colour."""
    from pptx.dml.color import RGBColor

    color = (color or "#5b7db1").strip()
    if color.startswith("rgb"):
        r, g, b = (int(float(x)) for x in color[color.index("(") + 1:color.index(")")].split(",")[:3])
        return RGBColor(r, g, b)
    return RGBColor.from_string(color.lstrip("#")[:6])


def _text(slide, box: tuple, value: str, size: int, color: str | None = None) -> None:  # noqa: ANN001
    from pptx.util import Pt

    shape = slide.shapes.add_textbox(*box)
    shape.text_frame.word_wrap = True
    run = shape.text_frame.paragraphs[0].add_run()
    run.text, run.font.size = value, Pt(size)
    if color:
        run.font.color.rgb = _rgb(color)


def label_size(n: int) -> int:
    """Font size (pt) of category labels so that ``n`` of them fit one below another in the
    chart's 5,6 inches: 16 pt for a few units, down to 7 pt."""
    return max(7, min(16, int(5.0 * 72 / max(n, 1) * 0.6)))


def _native_chart(slide, chart: Chart, box: tuple) -> None:  # noqa: ANN001
    """A clustered bar chart (best unit on top, every unit labelled, values on the bars,
    traffic-light colours as on screen) or a line chart (target dashed)."""
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION, XL_MARKER_STYLE
    from pptx.enum.dml import MSO_LINE_DASH_STYLE
    from pptx.util import Pt

    fmt = chart.number_format or (PCT if chart.percent else COUNT)
    data = CategoryChartData(number_format=fmt)
    data.categories = chart.categories
    for s in chart.series:
        data.add_series(s.name, s.values, number_format=fmt)
    bar = chart.kind == "bar"
    kind = XL_CHART_TYPE.BAR_CLUSTERED if bar else XL_CHART_TYPE.LINE_MARKERS
    ch = slide.shapes.add_chart(kind, *box, data).chart
    size = label_size(len(chart.categories)) if bar else 12
    ch.font.size = Pt(size)
    cat, val = ch.category_axis, ch.value_axis
    cat.tick_labels.font.size = Pt(size)
    _every_label(cat)
    val.minimum_scale = 0
    if chart.axis_max:
        val.maximum_scale = chart.axis_max
    top = chart.axis_max or max((v for s in chart.series for v in s.values if v is not None), default=0)
    val.has_major_gridlines = True
    val.major_gridlines.format.line.color.rgb = _rgb("#e9ecef")
    val.tick_labels.number_format = (PCT_AXIS if top >= 0.1 else "0.0 %") if chart.percent else \
        chart.number_format or COUNT
    val.tick_labels.number_format_is_linked = False
    val.tick_labels.font.size = Pt(12)
    ch.has_legend = len(chart.series) > 1
    if ch.has_legend:
        ch.legend.position, ch.legend.include_in_layout = XL_LEGEND_POSITION.BOTTOM, False
        ch.legend.font.size = Pt(12)
    if bar:
        cat.reverse_order = True  # the first category (the best unit) on top, as on screen
        ch.plots[0].gap_width = 40
        ch.plots[0].overlap = 0 if len(chart.series) == 1 else -10
        ch.plots[0].has_data_labels = True
        labels = ch.plots[0].data_labels
        labels.number_format, labels.number_format_is_linked = fmt, False
        labels.position, labels.show_value = XL_LABEL_POSITION.OUTSIDE_END, True
        labels.font.size = Pt(size)
    for series, spec in zip(ch.plots[0].series, chart.series, strict=True):
        if bar:
            series.format.fill.solid()
            series.format.fill.fore_color.rgb = _rgb(spec.color or NEUTRAL)  # the legend's colour
            for j, c in enumerate(spec.colors or []):
                point = series.points[j]
                point.format.fill.solid()
                point.format.fill.fore_color.rgb = _rgb(c)
            continue
        line = series.format.line
        line.color.rgb, line.width = _rgb(spec.color), Pt(2.5)
        series.smooth = False
        if spec.dashed:
            line.dash_style = MSO_LINE_DASH_STYLE.DASH
            series.marker.style = XL_MARKER_STYLE.NONE
            continue
        series.marker.format.fill.solid()
        series.marker.format.fill.fore_color.rgb = _rgb(spec.color)
        last = max((j for j, v in enumerate(spec.values) if v is not None), default=None)
        if last is not None:  # the latest value written at the end of its line
            dl = series.points[last].data_label
            dl.number_format, dl.number_format_is_linked, dl.show_value = fmt, False, True
            dl.position = XL_LABEL_POSITION.RIGHT
            dl.font.size, dl.font.bold = Pt(14), True


def _every_label(axis) -> None:  # noqa: ANN001
    """No skipped category labels: <c:tickLblSkip val="1"/> (and tick marks) in the axis XML,
    at the place the schema wants them (before c:noMultiLvlLbl)."""
    from pptx.oxml.ns import qn
    from pptx.oxml.xmlchemy import OxmlElement

    ax = axis._element
    for tag in ("c:tickLblSkip", "c:tickMarkSkip"):
        for old in ax.findall(qn(tag)):
            ax.remove(old)
    anchor = ax.find(qn("c:noMultiLvlLbl"))
    for tag in ("c:tickLblSkip", "c:tickMarkSkip"):
        el = OxmlElement(tag)
        el.set("val", "1")
        if anchor is not None:
            anchor.addprevious(el)
        else:
            ax.append(el)


def _heat_table(slide, chart: Chart, box: tuple) -> None:  # noqa: ANN001
    """The heatmap as a native table: units down, periods across, each cell its value in the
    colour it has on screen."""
    from pptx.util import Emu, Pt

    rows, cols = len(chart.categories) + 1, len(chart.series) + 1
    left, top, width, height = box
    shape = slide.shapes.add_table(rows, cols, left, top, width, Emu(min(height, Pt(22) * rows)))
    table = shape.table
    size = Pt(max(8, min(12, int(5.0 * 72 / rows * 0.55))))
    first = int(width * 0.26)
    table.columns[0].width = first
    for j in range(1, cols):
        table.columns[j].width = int((width - first) / (cols - 1))

    def put(cell, text: str, fill: str | None = None, bold: bool = False) -> None:  # noqa: ANN001
        cell.text = text
        run = cell.text_frame.paragraphs[0].runs[0] if cell.text_frame.paragraphs[0].runs else None
        cell.margin_top = cell.margin_bottom = Pt(1)
        if run is not None:
            run.font.size, run.font.bold = size, bold
        if fill:
            cell.fill.solid()
            cell.fill.fore_color.rgb = rgb = _rgb(fill)
            if run is not None:
                dark = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] < 140
                run.font.color.rgb = _rgb("#ffffff" if dark else "#212529")

    put(table.cell(0, 0), "Đơn vị", bold=True)
    for j, s in enumerate(chart.series, start=1):
        put(table.cell(0, j), s.name, bold=True)
    for i, name in enumerate(chart.categories, start=1):
        put(table.cell(i, 0), name)
        for j, s in enumerate(chart.series, start=1):
            v = s.values[i - 1]
            put(table.cell(i, j), "" if v is None else format_percent(v, 1), (s.colors or [None] * i)[i - 1])


def _map_picture(slide, deck_slide: Slide, box: tuple) -> None:  # noqa: ANN001
    """A native chart cannot draw a choropleth: the map as a picture (rendered by kaleido, offline:
    no tiles, our own boundaries), beside it the provinces in rank order; the notes carry every
    province's figure."""
    from pptx.util import Pt

    left, top, width, height = box
    side = _map_side_text(deck_slide)
    try:
        png = _png(deck_slide, title=False, width=HEIGHT)  # square: Viet Nam is tall
    except Exception:  # no chromium on the server: say so on the slide, keep the rest of the deck
        log.exception("map image failed")
        _text(slide, (left, top, width // 2, height), "Không dựng được ảnh bản đồ trên máy chủ (cần Chromium). "
              "Số liệu từng tỉnh ở phần ghi chú của trang này và trong tệp Excel.", 20, "6C757D")
    else:
        slide.shapes.add_picture(io.BytesIO(png), left, top, height, height)
    box = slide.shapes.add_textbox(left + height + Pt(24), top, width - height - Pt(24), height)
    frame = box.text_frame
    frame.word_wrap = True
    for i, line in enumerate(side):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        run = para.add_run()
        run.text, run.font.size, run.font.bold = line, Pt(16 if i == 0 else 13), i == 0


def _map_side_text(slide: Slide, most: int = 16) -> list[str]:
    table = slide.table if slide.table is not None else pd.DataFrame()
    lines = [f"Xếp hạng {len(table)} tỉnh có số liệu"]
    for _, r in table.head(most).iterrows():
        lines.append(f"{r['Hạng']}. {r['Tỉnh']}: {format_percent(r['Tỷ lệ'])}")
    if len(table) > most:
        lines.append(f"… và {len(table) - most} tỉnh khác (xem ghi chú, tệp Excel)")
    return lines


# --- Excel ----------------------------------------------------------------------------------

PERCENT_COLS, COUNT_COLS = ("Tỷ lệ", "Mục tiêu"), ("Tử số", "Mẫu số", "Số TTHC", "Công bố qua BCCI", "Trực tuyến")


def _shown(col: str, value: object) -> str:
    """The text Excel shows for a cell (to size its column)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if col.startswith(PERCENT_COLS) and isinstance(value, (int, float)):
        return format_percent(value)
    if col in COUNT_COLS and isinstance(value, (int, float)):
        return format_int(value)
    if col == "Từ ngày":
        return "dd/mm/yyyy"
    return str(value)


def column_width(col: str, values: pd.Series) -> float:
    """Wide enough for the header and the longest value (unit names included), at most 90."""
    longest = max([len(str(col)), *(len(_shown(col, v)) for v in values)])
    return min(90, max(8, longest + 3))


def to_xlsx(deck: Deck) -> bytes:
    """One sheet per table plus 'Thông tin' (unit, period, source, export date). Sheet names say
    what the sheet holds within Excel's 31 characters; columns fit the longest unit name.
    Counts are numbers (#.##0), shares are fractions shown as percentages, dates are dates."""
    from openpyxl.utils import get_column_letter

    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        info = pd.DataFrame({"Mục": ["Nội dung", "Đơn vị", "Kỳ", "Từ – đến", "Nguồn", "Ngày xuất"],
                             "Giá trị": [deck.heading, deck.unit, deck.period, deck.dates, deck.source,
                                         deck.created.strftime("%d/%m/%Y")]})
        sheets: list[tuple[str, pd.DataFrame]] = [("Thông tin", info)]
        used: set[str] = {"Thông tin"}
        for slide in deck.slides:
            if slide.table is not None:
                sheets.append((sheet_name(slide.sheet or slide.title, used), slide.table))
        for name, table in sheets:
            table.to_excel(xl, sheet_name=name, index=False)
            ws = xl.sheets[name]
            for j, col in enumerate(table.columns, start=1):
                letter = get_column_letter(j)
                ws.column_dimensions[letter].width = column_width(col, table[col])
                fmt = "0.00%" if col.startswith(PERCENT_COLS) else "dd/mm/yyyy" if col == "Từ ngày" \
                    else "#,##0" if col in COUNT_COLS else None
                if fmt:
                    for cell in ws[letter][1:]:
                        cell.number_format = fmt
            ws.freeze_panes = "A2"
    return buf.getvalue()


def sheet_name(title: str, used: set[str]) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    name = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31].strip().strip("'")
    base, n = name, 2
    while name in used:
        suffix = f" ({n})"
        name = base[:31 - len(suffix)].rstrip() + suffix
        n += 1
    used.add(name)
    return name
