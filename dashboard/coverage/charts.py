"""Pure builders of the coverage page's charts and rows.

Coverage % per zone, preventable cases per zone by kind, response-time
percentiles per zone. Result dicts in, plain rows and plotly figures out.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import isfinite

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.theme import FALLBACK_COLOUR, KIND_COLOURS, THEMES, ZONE_COLOURS
from shouwang.i18n import label, t
from shouwang.vocab import PREVENTABLE_KINDS

MEASURES = ("acknowledge", "turnout", "travel", "total")
P50_COLOUR, P90_COLOUR = "#38bdf8", "#f97316"
OTHER_COLOUR = FALLBACK_COLOUR


def zone_names(zones, lang: str) -> dict[str, str]:
    """zone_id → the zone's name in ``lang``, in data set order."""
    col = "name_zh" if lang == "zh" else "name_en"
    return dict(zip(zones["zone_id"].astype(str), zones[col].astype(str), strict=True))


@dataclass(frozen=True)
class CoverageRow:
    zone_id: str
    name: str
    colour: str
    covered_pct: float
    gap_m2: float
    area_m2: float
    n_guards: int


def coverage_rows(table: list[dict], names: dict[str, str]) -> list[CoverageRow]:
    """One row per zone of the coverage body's ``zones`` table, in ``names`` order."""
    by_id = {str(r["zone_id"]): r for r in table}
    order = [z for z in names if z in by_id] + [z for z in by_id if z not in names]
    return [
        CoverageRow(
            zone_id=z,
            name=names.get(z, z),
            colour=ZONE_COLOURS.get(z, OTHER_COLOUR),
            covered_pct=float(by_id[z]["covered_pct"]),
            gap_m2=float(by_id[z]["gap_m2"]),
            area_m2=float(by_id[z]["area_m2"]),
            n_guards=int(by_id[z]["n_guards"]),
        )
        for z in order
    ]


def station_pct(rows: list[CoverageRow]) -> float | None:
    """Covered share of all zones together (area-weighted)."""
    area = sum(r.area_m2 for r in rows)
    return None if not area else 100.0 * (area - sum(r.gap_m2 for r in rows)) / area


def _dark(fig: go.Figure, height: int, theme: str = "dark") -> go.Figure:
    colours = THEMES[theme]
    fig.update_layout(
        height=height,
        margin={"l": 50, "r": 16, "t": 36, "b": 40},
        paper_bgcolor=colours["background"],
        plot_bgcolor=colours["background"],
        font={"color": colours["text"], "size": 14},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "font": {"size": 13}},
        hoverlabel={"font": {"size": 14}},
    )
    fig.update_xaxes(gridcolor="#1e293b", linecolor="#334155")
    fig.update_yaxes(gridcolor="#1e293b", linecolor="#334155", zerolinecolor="#334155")
    return fig


def coverage_bar(rows: list[CoverageRow], lang: str) -> go.Figure:
    """Covered % per zone, one bar per zone in the zone's colour."""
    fig = go.Figure(
        go.Bar(
            x=[r.name for r in rows],
            y=[r.covered_pct for r in rows],
            marker={"color": [r.colour for r in rows]},
            text=[f"{r.covered_pct:.1f}%" for r in rows],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{x}: %{y:.1f}%<extra></extra>",
            name=t("coverage.col.covered", lang),
        )
    )
    fig.update_yaxes(range=[0, 108], ticksuffix="%", title=None, dtick=25)
    fig.update_layout(showlegend=False)
    return _dark(fig, 260)


def share_figure(zones: list[dict], names: dict[str, str], lang: str) -> go.Figure:
    """Preventable cases per zone, stacked by kind, with the zone's share of all cases on top."""
    rows = sorted(zones, key=lambda r: list(names).index(r["zone_id"]) if r["zone_id"] in names
                  else len(names))  # fmt: skip
    x = [names.get(r["zone_id"], r["zone_id"]) for r in rows]
    fig = go.Figure()
    for kind in PREVENTABLE_KINDS:
        name = label(kind, lang)
        fig.add_bar(
            x=x,
            y=[int(r.get(kind, 0)) for r in rows],
            name=name,
            marker={"color": KIND_COLOURS[kind]},
            hovertemplate=f"%{{x}} · {name}: %{{y}}<extra></extra>",
        )
    fig.add_scatter(
        x=x,
        y=[int(r["count"]) for r in rows],
        mode="text",
        text=[f"{int(r['count'])} · {float(r['share_pct']):.0f}%" for r in rows],
        textposition="top center",
        textfont={"size": 13},
        hoverinfo="skip",
        showlegend=False,
        cliponaxis=False,
    )
    peak = max([int(r["count"]) for r in rows] or [0])
    fig.update_layout(barmode="stack")
    fig.update_yaxes(range=[0, max(peak * 1.18, 1)])
    return _dark(fig, 360)


def response_count(stats: dict) -> int:
    """Number of assignments behind the figures (acknowledge count, else total)."""
    overall = stats.get("overall") or {}
    return max(int((overall.get(m) or {}).get("count") or 0) for m in MEASURES) if overall else 0


def _seconds(value) -> float | None:
    return float(value) if value is not None and isfinite(float(value)) else None


def response_figure(stats: dict, names: dict[str, str], lang: str) -> go.Figure:
    """P50 and P90 (not the mean) of each response measure per zone, one panel per measure.

    ``stats`` is ``shouwang.dispatch.rules.response_times(..., by=("zone_id",))``.
    Bars are seconds; a zone without that step has no bar.
    """
    groups = {g.get("zone_id"): g for g in stats.get("groups", [])}
    order = [z for z in names if z in groups] + [z for z in groups if z not in names]
    x = [names.get(z, t("coverage.outside_zones", lang)) if z else
         t("coverage.outside_zones", lang) for z in order]  # fmt: skip
    fig = make_subplots(
        rows=2,
        cols=2,
        subplot_titles=[t(f"coverage.measure.{m}", lang) for m in MEASURES],
        vertical_spacing=0.2,
        horizontal_spacing=0.12,
    )
    for i, measure in enumerate(MEASURES):
        row, col = divmod(i, 2)
        for pct, colour in (("p50", P50_COLOUR), ("p90", P90_COLOUR)):
            y = [_seconds(groups[z][measure].get(f"{pct}_s")) for z in order]
            n = [int(groups[z][measure].get("count") or 0) for z in order]
            fig.add_bar(
                x=x,
                y=y,
                customdata=n,
                name=pct.upper(),
                legendgroup=pct,
                showlegend=i == 0,
                marker={"color": colour},
                hovertemplate=(
                    f"%{{x}} {pct.upper()}: %{{y:.0f}} {t('coverage.unit.s', lang)}"
                    f" (n=%{{customdata}})<extra></extra>"
                ),
                row=row + 1,
                col=col + 1,
            )
    fig.update_layout(barmode="group")
    fig.update_yaxes(rangemode="tozero", ticksuffix=f" {t('coverage.unit.s', lang)}")
    fig = _dark(fig, 460)
    fig.update_annotations(font={"size": 14})
    fig.update_layout(margin={"t": 84}, legend={"y": 1.1})  # above the panel titles
    return fig
