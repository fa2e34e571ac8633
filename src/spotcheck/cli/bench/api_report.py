"""The table ``spotcheck bench api`` prints without ``--json``."""

from __future__ import annotations

from typing import Any

Results = dict[str, Any]


def _verdict(met: bool | None) -> str:
    return {True: "met", False: "MISSED", None: "n/a"}[met]


def _num(value: float | None, fmt: str = ".1f", suffix: str = "") -> str:
    return "n/a" if value is None else f"{value:{fmt}}{suffix}"


def _x(value: float | None) -> str:
    return _num(value, ".2f", "x")


def _row(label: str, fig: Results) -> str:
    lat, cpu = fig["latency_ms"], fig["cpu"]
    return (
        f"{label:34}{fig['requests']:>9}{fig['requests_per_s']:>8.1f}{lat['p50']:>8.1f}"
        f"{lat['p99']:>8.1f}{fig['errors']:>7}"
        f"{_num(cpu.get('server_ms_per_request'), '.2f'):>10}"
        f"{_num(cpu.get('postgres_ms_per_request'), '.2f'):>9}"
        f"{_num(cpu.get('load_generator_percent'), '.0f', '%'):>8}"
    )


def _servers(r: Results) -> list[tuple[str, Results]]:
    rows = [("(a) ours", r["ours"]), ("(b) bare strawberry, in memory", r["reference"])]
    if r["postgraphile"] is not None:
        rows.append(("(c) PostGraphile, views", r["postgraphile"]))
    rows += [(f"    ours, {v['name']}", v) for v in r["levers"]]
    return rows


def render_table(r: Results) -> str:
    m, s, d = r["machine"], r["settings"], r["data"]
    lines = [
        f"spotcheck bench api: PostgreSQL {m['postgres_server_version']}, {m['nproc']} CPUs, "
        f"Python {m['python']}, uvicorn {m['uvicorn']} ({m['uvicorn_http']}, "
        f"{m['uvicorn_loop']}), strawberry {m['strawberry_graphql']}, {s['database']}",
        f"{d['subjects']} subjects loaded in {d['load_seconds']:.1f} s ({d['loader']}); "
        f"pages of {s['page_size']}; {s['clients']} clients, {s['warmup_seconds']:g} s warm-up, "
        f"{s['seconds']:g} s",
        "",
        f"{'':34}{'requests':>9}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'errors':>7}"
        f"{'CPU ms/r':>10}{'PG ms/r':>9}{'client':>8}",
    ]
    lines += [_row(label, fig) for label, fig in _servers(r)]
    ratios = r["ratios"]
    lines += [
        "",
        "CPU ms/r: the server process's CPU per request; PG ms/r: PostgreSQL's backends'; "
        "client: the load generator's CPU (share of one core)",
        f"ours / bare strawberry: req/s {_x(ratios['reference']['requests_per_s'])}, p99 "
        f"{_x(ratios['reference']['p99'])}; same first pages: "
        f"{'yes' if r['same_first_pages'] else 'NO'}",
    ]
    if r["postgraphile"] is None:
        lines.append(f"PostGraphile not measured: {r['postgraphile_skipped']}")
    else:
        same = r["same_first_pages_postgraphile"]
        lines.append(
            f"ours / PostGraphile: req/s {_x(ratios['postgraphile']['requests_per_s'])}, p99 "
            f"{_x(ratios['postgraphile']['p99'])}, CPU/request "
            f"{_x(ratios['postgraphile']['server_ms_per_request'])}, requests per CPU second "
            f"(server and PostgreSQL) {_x(ratios['postgraphile']['requests_per_cpu_second'])}; "
            "same first pages: "
            f"{'yes' if same else 'NO'}"
        )
    lines.append(
        f"load average (1 min) {m['loadavg_1min']} at start, {m['loadavg_1min_end']} at the end"
    )
    for _, fig in _servers(r):
        for sample in fig["error_samples"]:
            lines.append(f"  error ({fig['name']}): {sample}")
    lines += ["", "targets (32 clients, one worker):"]
    for name, t in r["targets"].items():
        bound = f">= {t['min']:g}x" if "min" in t else f"< {t['max']:g} ms"
        lines.append(f"  {name} {bound}: {_num(t['value'], '.2f')}  {_verdict(t['met'])}")
        if "note" in t:
            lines.append(f"    ({t['note']})")
    if not r["valid"]:
        lines.append("the run is INVALID: " + "; ".join(r["invalid_reasons"]))
    if not r["ok"]:
        lines.append("the run FAILED: errors, a different row count, or different pages (above)")
    return "\n".join(lines)
