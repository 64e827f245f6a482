"""Which indicators each dashboard page is about: its KPI cards, its trend lines, the
indicators it compares units on, and its heatmap. Pages, the presentation mode and the exports
read this one table."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    title: str
    kpis: tuple[str, ...]
    trend: tuple[str, ...]
    units: tuple[str, ...]
    heat: str | None = None


FAMILIES: dict[str, Family] = {
    "/": Family("Tổng quan",
                ("online_intake_share", "online_offer_share", "postal_intake_share", "postal_return_share",
                 "index766_timeliness", "overdue_rate"),
                ("online_intake_share", "postal_intake_share", "index766_timeliness"),
                ("online_intake_share", "postal_intake_share", "overdue_rate"), "overdue_rate"),
    "/buu-chinh-cong-ich": Family("Bưu chính công ích",
                                  ("postal_intake_share", "postal_return_share", "bcci_procedure_share",
                                   "bcci_agreement_share"),
                                  ("postal_intake_share", "postal_return_share"),
                                  ("postal_intake_share", "postal_return_share")),
    "/dich-vu-cong-truc-tuyen": Family("Dịch vụ công trực tuyến",
                                       ("online_intake_share", "online_offer_share", "online_full_share",
                                        "zero_activity_share"),
                                       ("online_intake_share", "online_offer_share", "online_full_share"),
                                       ("online_intake_share", "online_offer_share")),
    "/tien-do-giai-quyet": Family("Tiến độ giải quyết",
                                  ("overdue_rate", "overdue_settled_rate", "pending_overdue_rate",
                                   "index766_timeliness"),
                                  ("overdue_rate", "overdue_settled_rate", "pending_overdue_rate",
                                   "index766_timeliness"),
                                  ("overdue_rate", "index766_timeliness"), "overdue_rate"),
}


# Sở, ngành: indicators the departments of a province are compared on
DEPARTMENT_METRICS = ("online_intake_share", "index766_timeliness", "postal_intake_share", "overdue_rate")
RANKING_PATH, DEPARTMENTS_PATH = "/xep-hang", "/so-nganh"


def family_of(path: str) -> Family:
    """The family of a dashboard path (the overview's for any other page)."""
    return FAMILIES.get(path.rstrip("/") or "/", FAMILIES["/"])
