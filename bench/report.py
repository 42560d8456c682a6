#!/usr/bin/env python3
"""bench/run's last step: gathers the figures of one run from its JSON files, prints them with
the ratios, writes bench/results.json and appends a dated section to docs/BENCHMARKS.md.

usage: bench/report.py WORK_DIR MODE CONNECTIONS RESULTS_JSON BENCHMARKS_MD"""
import datetime
import json
import os
import platform
import re
import subprocess
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def run(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def machine(work):
    cpu = re.search(r"Model name:\s*(.+)", run(["lscpu"]))
    mem = re.search(r"MemTotal:\s*(\d+) kB", open("/proc/meminfo").read())
    df = run(["df", "-h", "--output=source,fstype,size", work]).splitlines()
    disk = " ".join(df[-1].split()) if len(df) > 1 else "?"
    dev = os.path.basename(disk.split()[0]) if disk != "?" else ""
    blk = ""
    for line in run(["lsblk", "-d", "-n", "-o", "NAME,ROTA,SIZE"]).splitlines():
        cols = line.split()
        if dev and len(cols) == 3 and cols[0] == dev:
            blk = ("rotational" if cols[1] == "1" else "solid state") + f" {cols[2]} block device"
    return {
        "cpu": cpu.group(1).strip() if cpu else platform.processor() or "?",
        "cores": os.cpu_count(),
        "memory_gib": round(int(mem.group(1)) / 1048576, 1) if mem else None,
        "disk": disk + (f" ({blk})" if blk else ""),
        "kernel": platform.release(),
    }


def first_run(d, half=False):
    for r in d.get("runs", []):
        if bool(r.get("half_load")) == half:
            return r
    return {}


def ratio(a, b):
    return round(a / b, 2) if a and b else None


def headline(full, half):
    """The signed-transfer headline from quota-bench's full-load window and its half-load one
    (bench/modes.py reports it per configuration too)."""
    return {
        "signed_transfers_per_s": full.get("tx_per_s"),
        "p99_ms_at_full_load": full.get("latency_ms", {}).get("p99"),
        "p99_ms_at_half_load": half.get("latency_ms", {}).get("p99"),
        "half_load_rate_tx_per_s": half.get("rate_target_tx_per_s"),
        "half_load_tx_per_s": half.get("tx_per_s"),
        "half_load_unsent_due": half.get("unsent_due"),
        "quotad_cpu_cores_at_full_load": full.get("quotad_cpu_cores"),
    }


def figures(work):
    ed, lmdb, pg = load(f"{work}/ed25519.json"), load(f"{work}/lmdb.json"), load(f"{work}/postgres.json")
    tr, st, sw = load(f"{work}/transfer.json"), load(f"{work}/settle.json"), load(f"{work}/sweep.json")
    full, half, settle = first_run(tr), first_run(tr, True), first_run(st)
    best = max(sw.get("runs", []), key=lambda r: r.get("tx_per_s", 0), default={})
    f = {
        **headline(full, half),
        "cpu_by_thread": {name: {**r.get("quotad_threads_cores", {}), "quota_bench": r.get("bench_cpu_cores")}
                          for name, r in (("full_load", full), ("half_load", half), ("settlement", settle))
                          if r.get("quotad_threads_cores")},
        "settlement_legs_per_s": settle.get("legs_per_s"),
        "settlements_per_s": settle.get("tx_per_s"),
        "postgres_transfers_per_s": pg.get("postgres_transfers_per_s"),
        "postgres_nochain_transfers_per_s": pg.get("postgres_nochain_transfers_per_s"),
        "ed25519_verify_ceiling_per_s": ed.get("ed25519_verify_per_s"),
        "lmdb_durable_puts_per_s": lmdb.get("lmdb_puts_per_s"),
        "lmdb_commits_per_s": lmdb.get("commits_per_s"),
        "lmdb_small_commit_p50_ms": lmdb.get("small_commit_ms", {}).get("p50"),
        "lmdb_small_commit_p99_ms": lmdb.get("small_commit_ms", {}).get("p99"),
        "sweep_peak_tx_per_s": best.get("tx_per_s"),
        "sweep_peak_at": {"connections": best.get("connections"), "per_request": best.get("per_request")} if best else None,
        "errors": {k: not d.get("ok", False) for k, d in (("transfer", tr), ("settle", st), ("sweep", sw)) if d},
    }
    q = f["signed_transfers_per_s"]
    ledger = ""
    try:
        ledger = open(f"{work}/ledger.txt").read()
    except OSError:
        pass
    m = re.search(r"\| transfers/s \(one writer thread[^|]*\| (\d+) \|", ledger)
    f["ledger_transfers_per_s"] = int(m.group(1)) if m else None
    f["ratio_quotad_to_postgres_chained"] = ratio(q, f["postgres_transfers_per_s"])
    f["ratio_quotad_to_postgres_unchained"] = ratio(q, f["postgres_nochain_transfers_per_s"])
    f["ratio_quotad_to_ed25519_ceiling"] = ratio(q, f["ed25519_verify_ceiling_per_s"])
    return f, sw


def fmt(v, unit=""):
    if v is None:
        return "not measured"
    if isinstance(v, (int, float)):
        return f"{v:,.0f}{unit}" if abs(v) >= 100 else f"{v:.3g}{unit}"
    return f"{v}{unit}"


LINES = [
    ("signed transfers, full load", "signed_transfers_per_s", " tx/s"),
    ("p99 at full load", "p99_ms_at_full_load", " ms"),
    ("p99 at half load", "p99_ms_at_half_load", " ms"),
    ("half load rate (target)", "half_load_rate_tx_per_s", " tx/s"),
    ("half load rate (reached)", "half_load_tx_per_s", " tx/s"),
    ("quotad CPU at full load", "quotad_cpu_cores_at_full_load", " cores"),
    ("settlement legs", "settlement_legs_per_s", " legs/s"),
    ("sweep peak (batched requests)", "sweep_peak_tx_per_s", " tx/s"),
    ("PostgreSQL, hash-chained", "postgres_transfers_per_s", " tx/s"),
    ("PostgreSQL, no chain", "postgres_nochain_transfers_per_s", " tx/s"),
    ("ledger alone (bench_ledger, pre-verified)", "ledger_transfers_per_s", " tx/s"),
    ("Ed25519 verify ceiling", "ed25519_verify_ceiling_per_s", " /s"),
    ("LMDB durable appends", "lmdb_durable_puts_per_s", " puts/s"),
    ("LMDB small commit (16 scattered pages), p50", "lmdb_small_commit_p50_ms", " ms"),
    ("LMDB small commit (16 scattered pages), p99", "lmdb_small_commit_p99_ms", " ms"),
    ("quotad / PostgreSQL chained", "ratio_quotad_to_postgres_chained", "x"),
    ("quotad / PostgreSQL unchained", "ratio_quotad_to_postgres_unchained", "x"),
    ("quotad / Ed25519 ceiling", "ratio_quotad_to_ed25519_ceiling", ""),
]


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    work, mode, conns, results_path, md_path = sys.argv[1:]
    f, sweep = figures(work)
    m = machine(work)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    results = {"date": now, "mode": mode, "connections": int(conns), "machine": m, **f}
    scale = os.path.join(work, "scale.txt")
    audit = os.path.join(work, "audit.txt")
    tables = {}
    for key, path in (("ledger_run", os.path.join(work, "ledger.txt")), ("scale_run", scale),
                      ("audit_run", audit)):
        if os.path.exists(path):
            results[key] = tables[key] = open(path).read().strip().splitlines()[-20:]
    with open(results_path, "w") as out:
        json.dump(results, out, indent=2)
        out.write("\n")
    table = [f"| {label} | {fmt(f[key], unit)} |" for label, key, unit in LINES]
    print("\n".join(["", f"quotad benchmark, {mode} run, {now}"] + [l.replace("|", " ").strip() for l in table]))
    new = not os.path.exists(md_path)
    with open(md_path, "a") as md:
        if new:
            md.write("# Benchmarks\n\nEach section below is one run of `bench/run` (appended by it); "
                     "`bench/results.json` holds the latest run's figures.\n")
        md.write(f"\n## {now}: `bench/run{' --quick' if mode == 'quick' else ''}`\n\n")
        md.write(f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB memory, disk {m['disk']}, "
                 f"Linux {m['kernel']}. Load: {conns} connections (quotad and pgbench alike), quotad and "
                 "its load generator on the same machine.\n\n| figure | value |\n| --- | --- |\n")
        md.write("\n".join(table) + "\n")
        if f.get("cpu_by_thread"):
            md.write("\nWhere the cores went in each window (cores used on average; system time, the "
                     "kernel's share, in brackets): quotad's loop thread (HTTP, parsing, answers), its "
                     "writer (rules, LMDB, fsync), its verifiers (Ed25519 on libuv's pool), and the "
                     "load generator:\n\n| window | loop | writer | verify | other | quota-bench |\n"
                     "| --- | --- | --- | --- | --- | --- |\n")
            for name, t in f["cpu_by_thread"].items():
                cells = [f"{t.get(k, 0):.2f} ({t.get(k + '_sys', 0):.2f})" for k in ("loop", "writer", "verify", "other")]
                qb = t.get("quota_bench")
                md.write(f"| {name.replace('_', ' ')} | " + " | ".join(cells) + f" | {qb:.2f} |\n" if qb is not None
                         else f"| {name.replace('_', ' ')} | " + " | ".join(cells) + " | |\n")
        if sweep.get("runs"):
            md.write("\nThroughput against connections and transactions per request "
                     "(closed loop, signed transfers):\n\n![throughput](bench-throughput.svg)\n")
        for key, title in (("ledger_run", "bench_ledger (the ledger alone)"), ("scale_run", "scale run"),
                           ("audit_run", "quota-audit")):
            if key in tables:
                md.write(f"\n{title}:\n\n" + "\n".join(l for l in tables[key] if l.startswith("|")
                                                       or key == "audit_run") + "\n")
        md.write("\nPostgreSQL does no signature verification here; quotad verifies every "
                 "Ed25519 signature and signs a checkpoint per batch.\n")


if __name__ == "__main__":
    main()
