"""One self-contained bilingual HTML report from finished results folders (`sim.report.folders`).

The page needs nothing but itself: styles and the language switch are inline (the switch is a few lines of
script whose SHA-256 the page's Content-Security-Policy names, so nothing else can run and nothing can be
fetched), the charts are the folders' SVG files embedded as `data:` images (an image cannot run a script), and
text uses the system's fonts with a CJK fallback list (`FONT_STACK`). Every label is in Chinese and English; the
switch shows both (the default, and in print), Chinese only or English only.

The page is rendered with Jinja2 from `sim/report/templates/` with autoescaping on: a scenario name holding
`<script>` or `{{ }}` is shown as text. Numbers are those of the folders' tables, as zonesim wrote them.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import math
import re
from pathlib import Path
from typing import Any

from sim.measure.backtest import STRONG, caution
from sim.measure.indicators import ALL_INDICATORS
from sim.measure.targets import counts_things
from sim.report.files import interval, number, significant, threshold_text
from sim.report.folders import FOLDER_KINDS, Chart, ResultsFolder, delta_of, p_hit_of
from sim.report.style import COMPARISON_SYMBOLS
from sim.runner.compare import best_per_yuan, wan_text
from sim.version import __version__

__all__ = ["FONT_STACK", "LIKELY", "UNLIKELY", "classify", "render_html", "report_context"]

#: A target is "likely" when its P(hit) is at least this, "unlikely" when at most `UNLIKELY`, else "uncertain".
#: The point estimate is classified (its 95% interval is printed beside it in the table).
LIKELY = 0.9
UNLIKELY = 0.1

#: The fonts of the page: the system's CJK fonts on every platform, then any sans-serif.
FONT_STACK = ('"Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "Microsoft YaHei", "PingFang SC", '
              '"Hiragino Sans GB", "WenQuanYi Micro Hei", sans-serif')

KIND_NAMES = {"run": ("蒙特卡罗运行", "Monte Carlo run"), "compare": ("政策比较", "Policy comparison"),
              "backtest": ("回测", "Back-test")}


def _f(text: str | None) -> float:
    """A number of a table cell (NaN when empty or not a number)."""
    try:
        return float(text) if text not in (None, "") else math.nan
    except ValueError:
        return math.nan


def _cell(text: str | None) -> str:
    """A simulated figure of a table to 4 significant digits (as summary.csv has it), with thousands separators
    for whole numbers from 1,000."""
    value = _f(text)
    if math.isnan(value):
        return "—"
    value = float(significant(value))
    if value.is_integer() and abs(value) >= 1000:
        return f"{value:,.0f}"
    return significant(value)


def classify(p: float) -> str:
    """'likely' (P ≥ `LIKELY`), 'unlikely' (P ≤ `UNLIKELY`), 'uncertain' between, '' for NaN."""
    if math.isnan(p):
        return ""
    return "likely" if p >= LIKELY else "unlikely" if p <= UNLIKELY else "uncertain"


def _interval(row: dict[str, str], mark: str = "") -> str:
    """P(hit) [95% interval] as the terminal prints it (`p_hit_of`: from hits and runs when the row has them)."""
    p, lo, hi = p_hit_of(row)
    return "—" if math.isnan(p) else interval(p, lo, hi, mark)


def _band(row: dict[str, str]) -> str:
    """`median [5%, 95%]` of a summary row, with the terminal's `number` (counts whole); — when not computed."""
    if math.isnan(_f(row["median"])):
        return "—"
    count = counts_things(row["kind"], row["indicator"])
    return f"{number(_f(row['median']), count)} [{number(_f(row['p05']), count)}, {number(_f(row['p95']), count)}]"


def _when(row: dict[str, str]) -> str:
    """`2020`, or `2019-10` for a target dated before December."""
    month = _f(row.get("month"))
    return f"{row['year']}" + (f"-{int(month):02d}" if not math.isnan(month) and month != 12 else "")


def _chart(chart: Chart, captions: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """An embedded chart: its data: address, caption (by file stem), and size in points from its SVG."""
    name, svg = chart.name, chart.svg
    zh, en = captions.get(name[:-4], (name, name))
    size = re.search(rb'<svg[^>]*?\swidth="([\d.]+)(?:pt|px)?"[^>]*?\sheight="([\d.]+)(?:pt|px)?"', svg[:4096])
    width, height = (round(float(size.group(1))), round(float(size.group(2)))) if size else (576, 422)
    return {"src": "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii"), "name": name,
            "zh": zh, "en": en, "width": width, "height": height}


def _identity(folder: ResultsFolder) -> dict[str, Any]:
    m = folder.manifest
    plan = folder.plan
    name = plan.name if plan else str(m.get("scenario_id") or m.get("experiment_id") or folder.path.name)
    return {"name": name, "name_en": plan.name_en if plan else "", "region": plan.region if plan else "",
            "issued_by": plan.issued_by if plan else "", "date": plan.date if plan else "",
            "title": plan.title if plan else "", "document": plan.document if plan else "",
            "kind": KIND_NAMES[folder.kind], "command_of": FOLDER_KINDS[folder.kind],
            "folder": str(folder.path), "input": folder.input_file, "sha256": folder.scenario_sha256,
            "experiment_sha256": m.get("identity", {}).get("experiment_sha256", ""), "seed": folder.seed,
            "runs": folder.runs, "version": m.get("zonesim_version", ""), "command": folder.command(),
            "scenario_note": folder.scenario_note, "experiment_name": (folder.experiment.name if folder.experiment
                                                                       else m.get("experiment_id", ""))}


def _run_view(folder: ResultsFolder) -> dict[str, Any]:
    rows = folder.tables["summary.csv"]
    targets, groups = [], {"likely": [], "uncertain": [], "unlikely": []}
    joint = None
    cautions = []
    for r in rows:
        if r["target_id"] == "ALL":
            joint = {"interval": _interval(r), "p": p_hit_of(r)[0], "runs": r["runs"]}
            continue
        if r["status"] != "modelled":
            continue
        p = p_hit_of(r)[0]
        cls = classify(p)
        if cls:
            groups[cls].append({"id": r["target_id"], "name": r["name"], "name_en": r["name_en"],
                                "p": f"{p:.1%}"})
        mark = ""
        if r.get("caution"):
            cautions.append({"id": r["target_id"], "text": r["caution"]})
            mark = "†"
        thr = f"{COMPARISON_SYMBOLS.get(r['comparison'], r['comparison'])} {threshold_text(_f(r['threshold']))}"
        band = _band(r)
        targets.append({"id": r["target_id"], "name": r["name"], "name_en": r["name_en"], "when": _when(r),
                        "threshold": thr, "band": band, "interval": _interval(r, mark), "runs": r["runs"],
                        "class": cls, "backtest": r.get("backtest", "")})
    not_modelled = [{"id": r["target_id"], "name": r["name"], "name_en": r["name_en"], "when": _when(r),
                     "reason": r["reason"] or "—"} for r in rows if r["status"] != "modelled"]
    captions = {f"fan_{r['target_id']}": (r["name"], r["name_en"]) for r in rows}
    charts = [_chart(c, captions) for c in folder.charts]
    return {"targets": targets, "groups": groups, "joint": joint, "cautions": cautions,
            "not_modelled": not_modelled, "charts": charts, "costs": _costs(folder),
            "warnings": [str(w) for w in folder.manifest.get("warnings", [])]}


def _lever_names(folder: ResultsFolder) -> dict[str, tuple[str, str]]:
    """{lever id: (name, English name)} of the folder's scenario (of every variant of a comparison), when known."""
    scenarios = [v.scenario for v in folder.experiment.variants] if folder.experiment is not None else \
        [folder.scenario] if folder.scenario is not None else []
    return {p.id: (p.name, p.name_en or p.name) for sc in scenarios for p in sc.policies}


def _costs(folder: ResultsFolder) -> list[dict[str, Any]]:
    """Cost rows for the page: the lever's name (its id when the scenario is unknown), 万元 written out, the share
    of the cap the mean uses (for the bar; none without a cap), and a largest cost above the cap flagged."""
    names = _lever_names(folder)
    out = []
    for c in folder.costs:
        cap = c["cap"] or None
        mean = c["mean"] if c["mean"] is not None else math.nan
        used = mean / cap if cap else math.nan
        known = not math.isnan(used)
        zh, en = names.get(c["lever"], ("", ""))
        out.append({"variant": c["variant"], "lever": c["lever"], "name": zh, "name_en": en, "year": c["year"],
                    "mean": wan_text(mean),
                    "band": f"{wan_text(c['p05'])} – {wan_text(c['p95'])}" if c["p05"] is not None else "—",
                    "max": wan_text(c["max"]) if c["max"] is not None else "—",
                    "cap": wan_text(cap) if cap else "—", "capped": cap is not None,
                    "width": f"{min(max(used, 0.0), 1.0) * 100:.1f}" if known else "0",
                    "used": f"{used:.0%}" if known else "—",
                    "over": cap is not None and c["max"] is not None and c["max"] > cap * (1 + 1e-9)})
    return out


def _compare_view(folder: ResultsFolder) -> dict[str, Any]:
    rows = folder.tables["compare.csv"]
    effects = folder.tables["cost_effectiveness.csv"]
    m = folder.manifest
    base = m.get("base", "base")
    order = [str(v) for v in m.get("variants", [])] or list(dict.fromkeys(r["variant"] for r in rows))
    names = {r["variant"]: r["variant_name"] for r in rows}
    target_ids = list(dict.fromkeys(r["target_id"] for r in rows))
    tnames = {r["target_id"]: (r["target_name"], r["target_name_en"]) for r in rows}
    by_key = {(r["variant"], r["target_id"]): r for r in rows}
    sc_targets = {t.id: t for t in folder.scenario.targets} if folder.scenario else {}
    variants = []
    for v in order:
        r = by_key.get((v, "ALL")) or next((x for x in rows if x["variant"] == v), None)
        if r is None:
            continue
        variants.append({"id": v, "name": names.get(v, v), "base": v == base,
                         "cost": wan_text(_f(r["cost_mean_wan"])),
                         "cost_band": f"{wan_text(_f(r['cost_p05_wan']))} – {wan_text(_f(r['cost_p95_wan']))}",
                         "p_all": _interval(by_key[(v, "ALL")]) if (v, "ALL") in by_key else "—"})
    deltas = {key: delta_of(r, by_key.get((base, key[1]))) for key, r in by_key.items() if key[0] != base}
    moved = {tid for (_v, tid), (_d, low, high) in deltas.items() if low > 0 or high < 0}
    groups, cautions = [], []
    for tid in target_ids:
        if tid not in moved and tid != "ALL":
            continue
        lines = []
        for v in sorted(order, key=lambda x: x != base):
            r = by_key.get((v, tid))
            if r is None:
                continue
            mark = ""
            t = sc_targets.get(tid)
            if t is not None:
                _status, text = caution(t.indicator, t.scope, p_hit_of(r)[0])
                if text:
                    cautions.append({"id": f"{tid} · {v}", "text": text})
                    mark = "†"
            d, low, high = deltas.get((v, tid), (math.nan,) * 3)
            delta = "—" if v == base else f"{d * 100:+.1f} [{low * 100:+.1f}, {high * 100:+.1f}]"
            lines.append({"variant": v, "name": names.get(v, v), "interval": _interval(r, mark), "delta": delta,
                          "base": v == base, "cost": wan_text(_f(r["cost_mean_wan"]))})
        groups.append({"id": tid, "name": tnames[tid][0], "name_en": tnames[tid][1], "rows": lines})
    quiet = [tid for tid in target_ids if tid not in moved and tid != "ALL"]
    eff = {(e["variant"], e["target_id"]): e for e in effects}
    best = best_per_yuan([(e["variant"], e["target_id"], deltas[(e["variant"], e["target_id"])][1],
                           deltas[(e["variant"], e["target_id"])][0] * 100, _f(e["delta_cost_mean_wan"]) * 1e4)
                          for e in effects if (e["variant"], e["target_id"]) in deltas])
    best_rows = []
    for tid in target_ids:
        if tid not in best:
            continue
        vid, value = best[tid]
        e = eff[(vid, tid)]
        wan, points = _f(e["delta_cost_mean_wan"]), deltas[(vid, tid)][0] * 100
        if math.isinf(value) and wan < -0.5e-4:
            zh, en = f"比基准省 {wan_text(-wan)} 万元，且 {points:+.1f} 个百分点", \
                f"cheaper than the base by {wan_text(-wan)} 万元, and {points:+.1f} points"
        elif math.isinf(value):
            zh, en = f"不增加成本，{points:+.1f} 个百分点", f"at no extra cost, {points:+.1f} points"
        else:
            zh = f"每 100 万元 {value:.2f} 个百分点（多花 {wan_text(wan)} 万元，{points:+.1f} 个百分点）"
            en = f"{value:.2f} points per 100 万元 ({points:+.1f} points for {wan_text(wan)} 万元 more)"
        best_rows.append({"id": tid, "name": tnames[tid][0], "name_en": tnames[tid][1], "variant": vid,
                          "variant_name": names.get(vid, vid), "zh": zh, "en": en})
    captions = {f"compare_fan_{name}": (f"各方案对比：{ind.zh}", f"Variants compared: {ind.en}")
                for name, ind in ALL_INDICATORS.items()}
    for tid in target_ids:
        zh, en = tnames[tid]
        captions[f"compare_frontier_{tid}"] = (f"前沿：{zh}", f"Frontier: {en}")
        captions[f"compare_heatmap_{tid}"] = (f"热力图：{zh}", f"Heatmap: {en}")
        captions[f"compare_grid_{tid}"] = (f"网格：{zh}", f"Grid: {en}")
    charts = [_chart(c, captions) for c in folder.charts]
    not_modelled = [{"id": t.id, "name": t.name, "name_en": t.name_en, "when": str(t.year),
                     "reason": " ".join(t.reason.split()) or "—"}
                    for t in (folder.scenario.targets if folder.scenario else ()) if not t.modelled]
    return {"variants": variants, "groups": groups, "quiet": quiet, "best": best_rows, "charts": charts,
            "costs": _costs(folder), "cautions": cautions, "not_modelled": not_modelled, "base": base}


def _backtest_view(folder: ResultsFolder) -> dict[str, Any]:
    scores = folder.tables["scores.csv"]
    rows = [{"series": s["series"], "indicator": s["indicator"], "scope": s["scope"], "year": s["year"],
             "observed": _cell(s["observed"]), "band": f"{_cell(s['median'])} [{_cell(s['p05'])}, {_cell(s['p95'])}]",
             "pit": f"{_f(s['pit']):.2f}", "in90": s["in90"] == "True"} for s in scores]
    gate = folder.manifest.get("gate", {})
    captions = {f"backtest_{s['series']}": (s["series"], s["series"]) for s in scores}
    return {"scores": rows, "gate": bool(gate.get("pass")), "why": [str(w) for w in gate.get("why", [])],
            "inside": sum(r["in90"] for r in rows), "charts": [_chart(c, captions) for c in folder.charts],
            "unscored": [f"{u[0]} ({u[1]})" if isinstance(u, list) and len(u) == 2 else str(u)
                         for u in folder.manifest.get("unscored", [])],
            "warnings": [str(w) for w in folder.manifest.get("warnings", [])]}


def _assumptions(folder: ResultsFolder) -> list[dict[str, Any]]:
    def num(x: float | None) -> str:
        return "" if x is None else _cell(significant(x))

    return [{"section": a.section, "name": a.name, "prior": a.prior,
             "range": "" if a.low is None else (num(a.low) if a.low == a.high else f"{num(a.low)} – {num(a.high)}"),
             "note": a.note, "vintage": a.vintage or ""} for a in folder.assumptions]


def report_context(folders: list[ResultsFolder], built: str | None = None) -> dict[str, Any]:
    """Everything the template shows, as plain values (texts formatted here, escaped by the template)."""
    views = []
    for folder in folders:
        view = {"kind": folder.kind, "id": _identity(folder), "assumptions": _assumptions(folder),
                "anchor": f"r{len(views) + 1}"}
        view.update({"run": _run_view, "compare": _compare_view, "backtest": _backtest_view}[folder.kind](folder))
        views.append(view)
    script = _script()
    return {"folders": views, "version": __version__, "font_stack": FONT_STACK, "likely": f"{LIKELY:.0%}",
            "unlikely": f"{UNLIKELY:.0%}", "strong_low": f"{STRONG:.0%}", "strong_high": f"{1 - STRONG:.0%}",
            "built": built or _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), "script": script,
            "script_hash": base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii"),
            "title": " · ".join(v["id"]["name"] for v in views)}


def _environment() -> Any:
    import jinja2

    return jinja2.Environment(loader=jinja2.PackageLoader("sim.report", "templates"), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def _script() -> str:
    from importlib import resources

    return resources.files("sim.report").joinpath("templates/switch.js").read_text(encoding="utf-8")


def render_html(folders: list[ResultsFolder], built: str | None = None) -> str:
    """The report page of `folders` (one section each, in order) as text; `built` is the date line (default:
    now, in UTC)."""
    return _environment().get_template("report.html.j2").render(**report_context(folders, built))


def write_html(folders: list[ResultsFolder], path: str | Path, built: str | None = None) -> Path:
    """Write the page to `path` whole or not at all (UTF-8). Raises OSError when it cannot be written."""
    from sim.atomic import atomic_write

    path = Path(path)
    atomic_write(path, render_html(folders, built).encode("utf-8"))
    return path
