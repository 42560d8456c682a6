#!/usr/bin/env python3
"""Draws quota-bench's sweep (throughput against connections, one line per transactions per
request) as a hand-written SVG: no plotting library, only the figures the bench measured.

usage: bench/chart.py SWEEP.json OUT.svg   (SWEEP.json: quota-bench --json output)"""
import json
import math
import sys

W, H = 720, 440
LEFT, RIGHT, TOP, BOTTOM = 80, 170, 50, 60
COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"]


def nice_ceiling(v):
    """The smallest 1, 2 or 5 times a power of ten at or above v."""
    if v <= 0:
        return 1
    p = 10 ** math.floor(math.log10(v))
    for m in (1, 2, 5, 10):
        if m * p >= v:
            return m * p
    return 10 * p


def esc(s):
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    data = json.load(open(sys.argv[1]))
    runs = [r for r in data.get("runs", []) if not r.get("half_load") and r["rate_target_tx_per_s"] == 0]
    if not runs:
        sys.exit("chart: no closed-loop runs in " + sys.argv[1])
    conns = sorted({r["connections"] for r in runs})
    per_req = sorted({r["per_request"] for r in runs})
    ymax = nice_ceiling(max(r["tx_per_s"] for r in runs) * 1.05)
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM
    lo, hi = math.log2(conns[0]), math.log2(conns[-1])

    def x(c):
        return LEFT + (pw / 2 if hi == lo else (math.log2(c) - lo) / (hi - lo) * pw)

    def y(v):
        return TOP + ph - v / ymax * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
           f'viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{W / 2}" y="24" text-anchor="middle" font-size="15">quotad: committed '
           f'transactions per second ({esc({"transfer": "signed transfers"}.get(data.get("mix"), data.get("mix", "?")))})</text>']
    for i in range(6):  # horizontal grid and y labels
        v = ymax * i / 5
        out.append(f'<line x1="{LEFT}" y1="{y(v):.1f}" x2="{LEFT + pw}" y2="{y(v):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{LEFT - 8}" y="{y(v) + 4:.1f}" text-anchor="end">{v:,.0f}</text>')
    for c in conns:  # x ticks
        out.append(f'<line x1="{x(c):.1f}" y1="{TOP + ph}" x2="{x(c):.1f}" y2="{TOP + ph + 5}" stroke="#333"/>')
        out.append(f'<text x="{x(c):.1f}" y="{TOP + ph + 20}" text-anchor="middle">{c}</text>')
    out.append(f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>')
    out.append(f'<text x="{LEFT + pw / 2}" y="{H - 15}" text-anchor="middle">connections (log scale)</text>')
    out.append(f'<text transform="translate(18 {TOP + ph / 2}) rotate(-90)" text-anchor="middle">transactions/s</text>')
    for k, p in enumerate(per_req):
        colour = COLOURS[k % len(COLOURS)]
        pts = sorted((r["connections"], r["tx_per_s"]) for r in runs if r["per_request"] == p)
        path = " ".join(f"{x(c):.1f},{y(v):.1f}" for c, v in pts)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for c, v in pts:
            out.append(f'<circle cx="{x(c):.1f}" cy="{y(v):.1f}" r="3.5" fill="{colour}">'
                       f'<title>{c} connections, {p} tx/request: {v:,.0f} tx/s</title></circle>')
        ly = TOP + 10 + 22 * k
        out.append(f'<line x1="{LEFT + pw + 15}" y1="{ly}" x2="{LEFT + pw + 40}" y2="{ly}" stroke="{colour}" stroke-width="2"/>')
        out.append(f'<text x="{LEFT + pw + 46}" y="{ly + 4}">{p} tx/request</text>')
    out.append("</svg>")
    with open(sys.argv[2], "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
