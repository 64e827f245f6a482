"""The one mapping from a traffic light (decided by ``data.metrics.Metric.light``) to what the UI
shows: its Vietnamese label, Bootstrap colour name, solid colour (bars, borders) and soft
background (table cells). KPI cards, bar charts, the league table and exports all use it."""

from __future__ import annotations

from dataclasses import dataclass

NO_TARGET = "Chưa có mục tiêu"


@dataclass(frozen=True)
class LightStyle:
    label: str
    bootstrap: str
    color: str
    background: str


LIGHTS: dict[str | None, LightStyle] = {
    "green": LightStyle("Đạt", "success", "#198754", "#d1e7dd"),
    "amber": LightStyle("Gần đạt", "warning", "#ffc107", "#fff3cd"),
    "red": LightStyle("Chưa đạt", "danger", "#dc3545", "#f8d7da"),
    None: LightStyle(NO_TARGET, "secondary", "#5b7db1", ""),  # no target in force: no verdict
}


def light_style(light: str | None) -> LightStyle:
    """Style of a light; unknown or missing lights look neutral."""
    return LIGHTS.get(light, LIGHTS[None])
