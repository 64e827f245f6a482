"""Database schema (SQLAlchemy Core). Migrations in data/migrations are generated from this.

Vocabulary
- scheme: ``legacy`` (units valid until 30/06/2025: province, district, commune) or ``2025``
  (from 01/07/2025: province, commune). A code identifies a unit only together with its scheme.
- subject of a figure: a territorial unit (``unit_id``) and optionally a provincial-level agency
  (``agency_id``: a department, the public-administration service centre, a vertical agency).
  With no agency, the figure belongs to the unit's People's Committee (district / commune) or,
  with ``scope='total'``, to the whole territory as a source states it.
- scope: ``own`` = the subject's own dossiers; ``total`` = everything in the territory, as
  stated by a source (e.g. a province total in a news article). Totals are never summed with
  ``own`` rows of the same territory.
- every figure row carries ``batch_id`` and ``source_ref`` (file/sheet/row, or document and
  sentence for the seed documents): its provenance.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

SCHEMES = ("legacy", "2025")
LEVELS = ("province", "district", "commune")
SCOPES = ("own", "total")

# --- administrative units -------------------------------------------------------------------

unit = Table(
    "unit",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("scheme", String(10), nullable=False),
    Column("level", String(10), nullable=False),
    Column("code", String(10), nullable=False),
    Column("name", String(200), nullable=False),  # official full name, NFC: "Tỉnh Điện Biên"
    Column("short_name", String(200), nullable=False),  # "Điện Biên"
    Column("kind", String(20), nullable=False),  # tỉnh, thành phố, quận, huyện, thị xã, phường, xã, thị trấn, đặc khu
    Column("parent_id", Integer, ForeignKey("unit.id")),
    Column("name_key", String(200), nullable=False),  # data.text.name_key(short_name)
    Column("lat", Float),
    Column("lon", Float),
    UniqueConstraint("scheme", "level", "code", name="uq_unit_scheme_level_code"),
    Index("ix_unit_parent", "parent_id"),
    Index("ix_unit_scheme_level_key", "scheme", "level", "name_key"),
)

unit_lineage = Table(
    "unit_lineage",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("old_unit_id", Integer, ForeignKey("unit.id"), nullable=False),
    Column("new_unit_id", Integer, ForeignKey("unit.id"), nullable=False),
    Column("level", String(10), nullable=False),
    # whole: the old unit went entirely into the new one (merged with others or alone);
    # split: the old unit was divided among several new units.
    Column("rule", String(10), nullable=False),
    Column("share", Float),  # share of the old unit assigned here when known; NULL = unknown
    Column("is_default", Boolean, nullable=False),  # the new unit that takes the old unit's figures
    Column("source", String(200), nullable=False),
    UniqueConstraint("old_unit_id", "new_unit_id", name="uq_unit_lineage_old_new"),
    Index("ix_unit_lineage_new", "new_unit_id"),
)

# --- agencies -------------------------------------------------------------------------------

agency_type = Table(
    "agency_type",
    metadata,
    Column("code", String(20), primary_key=True),  # SNV, SNNMT, TTPVHCC, BHXH ...
    Column("name", String(200), nullable=False),  # "Sở Nội vụ"
    Column("kind", String(20), nullable=False),  # department | service_center | vertical
    Column("valid_from", Date),
    Column("valid_to", Date),
    Column("successor_code", String(20)),  # where its procedures went in the 2025 restructuring
    Column("note", Text),
)

agency = Table(
    "agency",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("unit_id", Integer, ForeignKey("unit.id"), nullable=False),  # the province
    Column("type_code", String(20), ForeignKey("agency_type.code"), nullable=False),
    Column("name", String(200), nullable=False),  # "Sở Nội vụ"
    Column("name_key", String(200), nullable=False),
    UniqueConstraint("unit_id", "type_code", name="uq_agency_unit_type"),
)

# --- periods and load batches ---------------------------------------------------------------

period = Table(
    "period",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("label", String(100), nullable=False),  # as stated: "9 tháng đầu năm 2020", "2017-2019"
    Column("kind", String(12), nullable=False),
    Column("days", Integer, nullable=False),  # end - start + 1: coverage of aggregated sub-periods
    UniqueConstraint("start_date", "end_date", name="uq_period_start_end"),
)

load_batch = Table(
    "load_batch",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(10), nullable=False),  # seed | file | demo
    Column("dataset", String(10), nullable=False),  # real | demo
    Column("file_name", String(300), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("loaded_at", DateTime, nullable=False),
    Column("status", String(10), nullable=False),  # active | replaced
    Column("replaced_by", Integer, ForeignKey("load_batch.id")),
    Column("note", Text),
    Column("loaded_by", String(80)),  # the user who confirmed it (NULL: the command line)
    # portal captures (kind 'portal'): what the capture is of ("766|dvc-progress-tree|H44|2026-Q3")
    # and the day it was taken; a later capture of the same thing replaces the earlier one
    Column("capture_key", String(200)),
    Column("as_of", Date),
    Index("ix_load_batch_file", "file_name"),
)

finding = Table(
    "finding",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("batch_id", Integer, ForeignKey("load_batch.id", ondelete="CASCADE"), nullable=False),
    Column("file", String(300), nullable=False),
    Column("sheet", String(100)),
    Column("row", Integer),
    Column("column", String(100)),
    Column("rule", String(50), nullable=False),
    Column("severity", String(10), nullable=False),  # error | warning
    Column("message", Text, nullable=False),
    Column("unit_id", Integer, ForeignKey("unit.id")),
    Column("period_id", Integer, ForeignKey("period.id")),
    Index("ix_finding_batch", "batch_id"),
)

# --- figures --------------------------------------------------------------------------------


def _subject_columns() -> list:
    return [
        Column("batch_id", Integer, ForeignKey("load_batch.id", ondelete="CASCADE"), nullable=False),
        Column("source_ref", Text, nullable=False),
        Column("unit_id", Integer, ForeignKey("unit.id"), nullable=False),
        Column("agency_id", Integer, ForeignKey("agency.id")),
        Column("scope", String(5), nullable=False),
        Column("period_id", Integer, ForeignKey("period.id"), nullable=False),
    ]


# Columns of Biểu số 06/VPCP/KSTT plus the postal split and result delivery. All nullable:
# a source states what it states and nothing is guessed.
DOSSIER_COUNTS = (
    "received_total",  # (3) = carried over + online + direct/postal
    "received_carried",  # (6) from the previous period
    "received_new",  # received in the period when the channels are not given
    "received_online",  # (4)
    "received_direct_postal",  # (5) direct + postal as in the official form
    "received_postal",  # postal part of (5); NULL when the source merges it
    "settled_total",  # (7)
    "settled_early",  # (8)
    "settled_on_time",  # (9)
    "settled_overdue",  # (10)
    "pending_total",  # (11)
    "pending_within",  # (12)
    "pending_overdue",  # (13)
    "overdue_total",  # overdue dossiers of any status, when a source gives only that
    "returned_total",  # results returned
    "returned_postal",  # results returned via the public postal service
    # on-time dossiers of any status (settled early/on time + in progress within the deadline)
    # as the national portal counts them for the Index 766 (its "totalOnTime"), when the split
    # is not given
    "in_time_total",
)

dossier_stat = Table(
    "dossier_stat",
    metadata,
    Column("id", Integer, primary_key=True),
    *_subject_columns(),
    *[Column(name, BigInteger) for name in DOSSIER_COUNTS],
    Index("ix_dossier_stat_unit_period", "unit_id", "period_id"),
    Index("ix_dossier_stat_period", "period_id"),
    Index("ix_dossier_stat_batch", "batch_id"),
)

OFFER_COUNTS = (
    "procedures_total",
    "bcci_published",  # published for the public postal service
    "online_level2",
    "online_level3",
    "online_level4",
    "online_partial",  # "một phần" (Decree 42/2022)
    "online_full",  # "toàn trình"
)

procedure_offer = Table(
    "procedure_offer",
    metadata,
    Column("id", Integer, primary_key=True),
    *_subject_columns(),
    *[Column(name, BigInteger) for name in OFFER_COUNTS],
    Index("ix_procedure_offer_unit_period", "unit_id", "period_id"),
    Index("ix_procedure_offer_batch", "batch_id"),
)

postal_agreement = Table(
    "postal_agreement",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("batch_id", Integer, ForeignKey("load_batch.id", ondelete="CASCADE"), nullable=False),
    Column("source_ref", Text, nullable=False),
    Column("unit_id", Integer, ForeignKey("unit.id"), nullable=False),
    Column("agency_id", Integer, ForeignKey("agency.id")),
    Column("signed_on", Date),
    Index("ix_postal_agreement_unit", "unit_id"),
)

# Counts of units or agencies stated by a source without the list behind them,
# e.g. "19/20 Sở, ban, ngành" signed an agreement, "66/129 xã" received no dossier.
COUNT_MEASURES = (
    "agencies_total",
    "agencies_with_agreement",
    "units_total",
    "units_zero_activity",
)

# the level each measure counts at, as the indicators use them (count_stat.counted_level)
COUNTED_LEVEL = {"units_total": "commune", "units_zero_activity": "commune", "agencies_total": "department",
                 "agencies_with_agreement": "department"}

count_stat = Table(
    "count_stat",
    metadata,
    Column("id", Integer, primary_key=True),
    *_subject_columns(),
    Column("measure", String(30), nullable=False),
    Column("counted_level", String(12), nullable=False),  # department | district | commune
    Column("value", BigInteger, nullable=False),
    Index("ix_count_stat_unit_period", "unit_id", "period_id"),
)

# A percentage as a source states it, kept next to the counts so disagreements show.
stated_value = Table(
    "stated_value",
    metadata,
    Column("id", Integer, primary_key=True),
    *_subject_columns(),
    Column("metric_id", String(40), nullable=False),
    Column("value", Float, nullable=False),  # fraction: 0.1008
    Column("stated_text", String(100), nullable=False),  # "10,08%"
    Column("note", Text),
)

target = Table(
    "target",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("metric_id", String(40), nullable=False),
    Column("unit_id", Integer, ForeignKey("unit.id")),  # NULL = national
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=False),
    Column("value", Float, nullable=False),  # fraction
    Column("source", Text, nullable=False),
    Column("batch_id", Integer, ForeignKey("load_batch.id", ondelete="CASCADE")),
    Column("set_by", String(80)),  # the analyst who set it in the UI (NULL: a document's, loaded)
    Column("set_at", DateTime),
)

# --- users, scopes, audit, locks (issue 10) ------------------------------------------------
ROLES = ("viewer", "reporter", "analyst", "admin")

app_user = Table(
    "app_user",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(80), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(10), nullable=False),  # one of ROLES
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("password_changed_at", DateTime, nullable=False),
)

user_unit = Table(  # the units a user is scoped to (none: every unit, for admins)
    "user_unit",
    metadata,
    Column("user_id", Integer, ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", Integer, ForeignKey("unit.id"), primary_key=True),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime, nullable=False),
    Column("user_name", String(80)),  # NULL: an anonymous request (a failed login names the name tried)
    Column("action", String(30), nullable=False),
    Column("detail", Text, nullable=False),
    Column("ip", String(64)),
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_action_at", "action", "at"),
)

period_lock = Table(  # a unit's period reviewed by an analyst: no replacement without an admin
    "period_lock",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("unit_id", Integer, ForeignKey("unit.id"), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("locked_by", String(80), nullable=False),
    Column("locked_at", DateTime, nullable=False),
    Column("note", Text),
    Index("ix_period_lock_unit", "unit_id"),
)

# --- Chỉ số 766 (issue 11) ---------------------------------------------------------------------
# Scores of the national portal's index (Decision 766/QĐ-TTg) as captured on ``as_of``: the
# total and the six groups of data.metrics.SCORE_GROUPS, one row per subject, period and
# capture; a file giving one group (a tree of the portal) fills only that group's columns.
SCORE_COMPONENTS = ("total", "ckmb", "tdgq", "clgq", "tttt", "mdhl", "mdsh")

score_stat = Table(
    "score_stat",
    metadata,
    Column("id", Integer, primary_key=True),
    *_subject_columns(),
    Column("as_of", Date, nullable=False),
    Column("portal_code", String(30)),  # the agency's electronic code as the portal gives it
    *[Column(c, Float) for c in SCORE_COMPONENTS],
    *[Column(f"max_{c}", Float) for c in SCORE_COMPONENTS],  # only where the source states it
    Column("portal_rank", Integer),  # the rank the source states for the total
    Index("ix_score_stat_unit_period", "unit_id", "period_id"),
    Index("ix_score_stat_batch", "batch_id"),
)

# The portal's electronic codes (H44, H44.01, H44.129) and the unit or agency each stands for,
# matched by name within the province when first seen, reviewable and correctable
# (``python -m etl portal-codes``).
portal_unit = Table(
    "portal_unit",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("scheme", String(10), nullable=False),
    Column("code", String(30), nullable=False),
    Column("level", String(12), nullable=False),  # province | department | commune
    Column("unit_id", Integer, ForeignKey("unit.id"), nullable=False),  # the province for a department
    Column("agency_id", Integer, ForeignKey("agency.id")),
    Column("name_seen", String(300), nullable=False),  # the name as the portal wrote it
    Column("matched", String(12), nullable=False),  # name | manual | registered (an agency we added)
    Column("updated_at", DateTime, nullable=False),
    Column("updated_by", String(80)),
    UniqueConstraint("scheme", "code", name="uq_portal_unit_scheme_code"),
)

FIGURE_TABLES = (dossier_stat, procedure_offer, postal_agreement, count_stat, stated_value, score_stat)

# --- the analytics store: aggregates the ETL maintains, the only tables pages read ---------
# Built by data/build from the figure tables above in the same transaction as every write
# (docs/data_model.md). One row per unit (or agency) and period; ``key`` is the unit id (the
# agency id at level 'department'), ``province`` the province it lies in (itself for a
# province), ``parent`` the key one level up. ``batches``: the load batches behind the row
# ("3,7"): the provenance of every stored figure.


def _store_columns() -> list:
    return [
        Column("level", String(10), nullable=False),  # province | district | commune | department
        Column("key", Integer, nullable=False),
        Column("scheme", String(10), nullable=False),
        Column("parent", Integer, nullable=False),
        Column("province", Integer, nullable=False),
        Column("period_start", Date, nullable=False),
        Column("period_end", Date, nullable=False),
        Column("batches", Text, nullable=False),
    ]


def _metric_columns(kind: str) -> list:
    from data import metrics

    cols: list = []
    for m in metrics.METRICS:
        if m.source != kind:
            continue
        parts = metrics.metric_parts(m.id) if kind == "dossier" else ("num", "den", "stated")
        cols += [Column(f"{m.id}__{p}", BigInteger) for p in parts]
        cols += [Column(f"{m.id}__real", Integer), Column(f"{m.id}__demo", Integer)]
    return cols


# Dossier indicators. grain 'month': one calendar month (periods are summed from months);
# grain 'stated': a figure for exactly this period that replaces the sum of its months (a
# source stating "9 tháng 2020", a file of quarters) — see data/build/overlay.py.
agg_dossier = Table(
    "agg_dossier",
    metadata,
    *_store_columns(),
    Column("grain", String(6), nullable=False),
    Column("months", Integer, nullable=False),  # calendar months the row covers
    Column("reporting", Integer, nullable=False),  # communes with a report in the row
    *_metric_columns("dossier"),
    UniqueConstraint("key", "level", "grain", "period_start", "period_end", name="uq_agg_dossier_key"),
    Index("ix_agg_dossier_within", "level", "province", "grain", "period_start"),
)

# Procedure offers: snapshots as of ``period_end`` (a period's value is its latest snapshot).
# '<metric>__stated' = 1 where the pair comes from a catalogue stated for the unit itself.
agg_offer = Table(
    "agg_offer",
    metadata,
    *_store_columns(),
    *[Column(name, BigInteger) for name in OFFER_COUNTS],
    *_metric_columns("offer"),
    UniqueConstraint("key", "level", "period_end", name="uq_agg_offer_key"),
    Index("ix_agg_offer_within", "level", "province", "period_end"),
)

# Counts of units and agencies: kind 'stated' (count_stat, as of its period), 'zero' (communes
# without an online dossier, counted from the communes' months for each standard period) and
# 'agreements' (agencies with a postal agreement signed by ``period_end``).
agg_count = Table(
    "agg_count",
    metadata,
    *_store_columns(),
    Column("kind", String(10), nullable=False),
    Column("units_total", BigInteger),
    Column("units_zero_activity", BigInteger),
    Column("agencies_total", BigInteger),
    Column("agencies_with_agreement", BigInteger),
    Column("units_real", Integer), Column("units_demo", Integer),
    Column("agencies_real", Integer), Column("agencies_demo", Integer),
    UniqueConstraint("key", "level", "kind", "period_start", "period_end", name="uq_agg_count_key"),
    Index("ix_agg_count_within", "level", "province", "kind", "period_end"),
)

# Chỉ số 766 per unit (or agency) and period: the latest capture of each component (a group
# may come from another file than the total), the rank among the units of the same level and
# parent, and the previous snapshot (an earlier capture of the period, else the period before).
agg_score = Table(
    "agg_score",
    metadata,
    *_store_columns(),
    Column("period_kind", String(12), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("dataset", String(5), nullable=False),  # real | demo
    *[Column(c, Float) for c in SCORE_COMPONENTS],
    *[Column(f"max_{c}", Float) for c in SCORE_COMPONENTS],
    *[Column(f"rank_{c}", Integer) for c in SCORE_COMPONENTS],
    Column("rank_of", Integer),
    Column("portal_rank", Integer),
    Column("prev_total", Float),
    Column("prev_rank", Integer),
    Column("prev_as_of", Date),
    Column("prev_label", String(100)),
    UniqueConstraint("key", "level", "period_start", "period_end", name="uq_agg_score_key"),
    Index("ix_agg_score_within", "level", "province", "period_end"),
)

STORE_TABLES = (agg_dossier, agg_offer, agg_count, agg_score)
