#!/usr/bin/env python3
"""bench/run --witnesses / --standby: the signed-transfer headline (full load, then the p99 at half
that rate) measured in one run on a single node and then with what a production deployment adds:
three quota-witness processes on loopback with a 2-of-3 policy, a synchronous standby
(`quotad --follow`, `standby.sync` on the primary), and both; with --standby, last, the primary
with `standby.sync` and a stand-in for a standby on a machine of its own (bench/echo_standby.py:
it does on each page what the standby does before it confirms: the root from its tree's right
edge, the page to its journal and an fdatasync; the applier's and verifier's work after the
confirmation would run on the standby's own machine), whose ratio is the one to expect with a
real standby there: once with its journal on the disk the primary writes (a lower bound: on two
machines the primary's disk is its own), once with it in memory (its own fdatasync left out).
Each configuration gets fresh keys: the log key is made first so that the witnesses can be
configured with its verifier key, then quota-bench drives the running primary (--url) and
reports, besides throughput and latency, the checkpoints published in the window and the CPU of
every process (from /proc/PID/stat). Writes the figures with the ratios to the single node into
results.json and a dated section of BENCHMARKS.md.

usage: bench/modes.py --build DIR --work DIR [--witnesses] [--standby] [--seconds S]
         [--connections N] [--pool N] [--enterprises N] [--mode quick|full]
         [--results FILE] [--md FILE]"""
import argparse
import datetime
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from report import first_run, fmt, headline  # noqa: E402  one way to read and print a figure

ORIGIN = "bench.quotad.example/registry"  # quota-bench's default origin
WITNESSES = 3
QUORUM = 2
READY_S_MAX = 30  # s a started process has to answer /healthz


def free_port():
    with socket.socket() as s:  # the kernel's pick, released for the process that binds it next
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    """A started process with its log file; stopped with SIGTERM (SIGKILL after 10 s)."""

    def __init__(self, name, argv, log, url=None):
        self.name, self.url = name, url
        self.log = log
        with open(log, "w") as err:
            self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err)

    def wait_ready(self):
        for _ in range(READY_S_MAX * 10):
            if self.proc.poll() is not None:
                break
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=2).read()
                return
            except urllib.error.HTTPError:
                return  # it answers: a standby that has not found its primary yet says 503
            except OSError:
                time.sleep(0.1)
        tail = open(self.log).read()[-2000:]
        raise RuntimeError(f"{self.name} did not become ready:\n{tail}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def metrics(node):
    """The node's Prometheus samples without labels, {name: value}; {} when it does not answer."""
    try:
        text = urllib.request.urlopen(node.metrics_url, timeout=5).read().decode()
    except (OSError, AttributeError):
        return {}
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and not line.startswith("#") and "{" not in parts[0]:
            try:
                out[parts[0]] = float(parts[1])
            except ValueError:
                pass
    return out


def per_batch(m, name, count="quotad_batch_entries_count"):
    """Mean of a summed metric per batch (ms), or None."""
    n = m.get(count) or 0
    return round(1000 * m[name] / n, 2) if n and name in m else None


def timing_profile(nodes):
    """Where one batch's time went over the whole run (setup included), from the nodes' metrics:
    the primary's commit (ledger_apply with its fsync), its wait for the fence thread, its fence
    (with a synchronous standby: the confirmation); the standby's ask (from its confirming request
    to the answer with new entries: the primary's next commit and the page), its append (the
    rules, the root and the fsync: what its confirmation waits for) and its verification of the
    signatures after the append (off the confirmation's path)."""
    prof = {}
    for n in nodes:
        m = metrics(n) if n.name in ("primary", "standby") else {}
        if n.name == "primary" and m:
            prof["primary"] = {
                "batches": int(m.get("quotad_batch_entries_count") or 0),
                "entries_per_batch": per_batch(m, "quotad_batch_entries_sum") and
                round(m["quotad_batch_entries_sum"] / m["quotad_batch_entries_count"], 1),
                "commit_ms": per_batch(m, "quotad_commit_seconds_sum"),
                "queued_ms": per_batch(m, "quotad_fence_queued_seconds_sum"),
                "fence_ms": per_batch(m, "quotad_fence_seconds_sum"),
                "sent_ahead": int(m.get("quotad_standby_sent_ahead_total") or 0),
                "confirmed_at_commit": int(m.get("quotad_standby_confirmed_at_commit_total") or 0),
            }
        if n.url is None:
            prof["stand_in"] = stand_in_profile(stand_in_stats(n))
        if n.name == "standby" and m:
            c = "quotad_standby_appends_total"
            prof["standby"] = {
                "appends": int(m.get(c) or 0),
                "entries_per_append": per_batch(m, "quotad_standby_appended_entries_total", c) and
                round(m["quotad_standby_appended_entries_total"] / m[c], 1),
                "ask_ms": per_batch(m, "quotad_standby_ask_seconds_sum", c),
                "append_ms": per_batch(m, "quotad_standby_append_seconds_sum", c),
                "verify_ms_off_path": per_batch(m, "quotad_standby_verify_seconds_sum", c),
                "applies": int(m.get("quotad_standby_applies_total") or 0),
                "entries_per_apply": per_batch(m, "quotad_standby_applied_entries_total", "quotad_standby_applies_total")
                and round(m["quotad_standby_applied_entries_total"] / m["quotad_standby_applies_total"], 1),
                "apply_ms": per_batch(m, "quotad_standby_apply_seconds_sum", "quotad_standby_applies_total"),
            }
    return prof


def stand_in_stats(node):
    """What the stand-in wrote when it was stopped ({} when it wrote nothing)."""
    try:
        return json.load(open(node.stats))
    except (OSError, ValueError, AttributeError):
        return {}


def stand_in_profile(st):
    """The stand-in's pages per confirmation: how long it waited for each and journaled it."""
    pages = st.get("pages") or 0
    return {
        "pages": pages,
        "pages_sent_ahead": st.get("pending_pages"),
        "entries_per_page": round(st["entries"] / pages, 1) if pages else None,
        "ask_ms": round(1000 * st["ask_s"] / pages, 2) if pages else None,
        "journal_ms": round(1000 * st["journal_s"] / pages, 2) if pages else None,
        "errors": st.get("errors"),
    }


def tree_size(node):
    """The node's tree size from /healthz, once the standby had time to take the last batch (the
    stand-in has no API: the size it confirmed, from what it wrote when stopped)."""
    if node.url is None:
        return stand_in_stats(node).get("confirmed_size")
    try:
        return json.load(urllib.request.urlopen(node.url + "/healthz", timeout=5)).get("tree_size")
    except (OSError, ValueError):
        return None


def standby_state(node):
    """A synchronous primary's view of its standby from /healthz: {"state", "confirmed"} (the
    state is "sync" unless it went on alone or stalled for want of confirmations)."""
    try:
        return json.load(urllib.request.urlopen(node.url + "/healthz", timeout=5)).get("standby")
    except (OSError, ValueError):
        return None


def standby_went_away(log):
    """Whether the primary went on alone (or stalled) for want of its standby's confirmation: its
    log says "standby away: tree size N" (the genesis included: the stream sends the first page
    without a checkpoint, so the standby confirms the genesis like any batch)."""
    return bool(re.search(r"standby away: tree size \d+", open(log).read()))


def keygen(build, path, name=None):
    argv = [f"{build}/tools/quotactl", "keygen", path] + (["--name", name] if name else [])
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)


def start_witnesses(build, d, log_vkey, nodes):
    """Three quota-witness processes witnessing this log's key; returns the tlog-policy path."""
    lines = [f"log {log_vkey}\n"]
    for i in range(1, WITNESSES + 1):
        key, conf, port = f"{d}/w{i}.key", f"{d}/w{i}.conf", free_port()
        keygen(build, key)
        with open(conf, "w") as f:
            f.write(f"[witness]\nname = w{i}.bench.quotad.example\nkey_file = {key}\n"
                    f"data_dir = {d}/w{i}.state\n[listen]\ntcp = 127.0.0.1:{port}\n"
                    f"[logs]\nlog = {ORIGIN} {log_vkey}\n")
        exe = f"{build}/witness/quota-witness"
        vkey = subprocess.run([exe, "--config", conf, "--verifier-key"], check=True,
                              capture_output=True, text=True).stdout.strip()
        w = Node(f"w{i}", [exe, "--config", conf], f"{d}/w{i}.log", f"http://127.0.0.1:{port}")
        nodes.append(w)
        w.wait_ready()
        lines.append(f"witness W{i} {vkey} {w.url}\n")
    names = " ".join(f"W{i}" for i in range(1, WITNESSES + 1))
    lines.append(f"group G {QUORUM} {names}\nquorum G\n")
    with open(f"{d}/policy", "w") as f:
        f.writelines(lines)
    return f"{d}/policy"


def start_quotad(build, d, name, extra, nodes):
    port, mport = free_port(), free_port()
    os.makedirs(f"{d}/{name}", mode=0o700, exist_ok=True)
    argv = [f"{build}/daemon/quotad", "--data-dir", f"{d}/{name}", "--log-key", f"{d}/log.key",
            "--listen", f"127.0.0.1:{port}", "--metrics-listen", f"127.0.0.1:{mport}",
            "--log-level", "warning"] + extra
    n = Node(name, argv, f"{d}/{name}.log", f"http://127.0.0.1:{port}")
    n.metrics_url = f"http://127.0.0.1:{mport}/metrics"
    nodes.append(n)
    n.wait_ready()
    return n


def start_stand_in(a, d, primary, nodes, journal):
    """bench/echo_standby.py on the primary's stream (signing with the operator key, as the
    standby does), confirming each page once its root is checked and it is in the stand-in's
    journal (the file journal), fdatasynced. Named "standby": quota-bench watches its CPU under
    that name."""
    argv = [sys.executable, os.path.join(HERE, "echo_standby.py"), "--url", primary.url,
            "--key", f"{d}/operator.key", "--origin", ORIGIN,
            "--journal", journal, "--stats", f"{d}/stand-in.json"]
    n = Node("standby", argv, f"{d}/stand-in.log")
    n.stats = f"{d}/stand-in.json"
    nodes.append(n)
    return n


def run_config(a, name, witnesses, standby):
    """One configuration from fresh keys to quota-bench's JSON (None when it could not run)."""
    d = os.path.join(a.work, name)
    os.makedirs(d, exist_ok=True)
    nodes = []
    memory_journal = f"/dev/shm/quotad-bench-{os.getpid()}-stand-in.journal"
    try:
        keygen(a.build, f"{d}/log.key", ORIGIN)
        keygen(a.build, f"{d}/operator.key")
        log_vkey = open(f"{d}/log.key.vkey").read().strip()
        extra = ["--witness-policy", start_witnesses(a.build, d, log_vkey, nodes)] if witnesses else []
        primary = start_quotad(a.build, d, "primary", extra + (["--standby-sync"] if standby else []), nodes)
        # the operator key is registered at genesis: it signs the standby's stream requests
        if standby == "quotad":
            start_quotad(a.build, d, "standby", ["--follow", primary.url, "--follow-key", f"{d}/operator.key"], nodes)
        elif standby == "stand-in":  # its journal on the disk the primary writes
            start_stand_in(a, d, primary, nodes, f"{d}/stand-in.journal")
        elif standby == "stand-in-memory":  # its journal in memory: no disk shared with the primary
            start_stand_in(a, d, primary, nodes, memory_journal)
        argv = [f"{a.build}/bench/quota-bench", "--url", primary.url, "--log-key", f"{d}/log.key",
                "--operator-key", f"{d}/operator.key", "--quotad-pid", str(primary.proc.pid),
                "--origin", ORIGIN, "--connections", str(a.connections), "--duration", str(a.seconds),
                "--pool", str(a.pool), "--enterprises", str(a.enterprises), "--half-load", "--json",
                "--count-checkpoints"]
        for n in nodes:
            if n is not primary:
                argv += ["--watch", f"{n.name}={n.proc.pid}"]
        print(f"== {name}: quota-bench against {primary.url} ({len(nodes)} processes)", file=sys.stderr)
        with open(f"{d}/quota-bench.log", "w") as err:
            out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=err, text=True).stdout
        result = json.loads(out) if out.strip() else None
        if result is not None:
            for n in nodes:
                if n.url is None:
                    n.stop()  # the stand-in writes what it did when stopped
            result["tree_sizes"] = {n.name: tree_size(n) for n in nodes if n.name in ("primary", "standby")}
            result["timing_profile"] = timing_profile(nodes)
            if standby:
                result["primary_standby_state"] = standby_state(primary)
                # a primary that went on without its standby measured no standby: not ok (away
                # at some point, or still away at the end)
                result["standby_went_away"] = standby_went_away(primary.log) or \
                    (result["primary_standby_state"] or {}).get("state") != "sync"
                if result["standby_went_away"]:
                    print(f"== {name}: the primary went on without its standby (see {primary.log})", file=sys.stderr)
        if result is None or not result.get("ok"):
            print(f"== {name}: quota-bench reported errors; its log:\n"
                  + open(f"{d}/quota-bench.log").read()[-1500:], file=sys.stderr)
        return result
    except (RuntimeError, OSError, subprocess.CalledProcessError, ValueError) as e:
        print(f"== {name}: {e}", file=sys.stderr)
        return None
    finally:
        for n in reversed(nodes):
            n.stop()
        if os.path.exists(memory_journal):
            os.unlink(memory_journal)


def window(result, half):
    return first_run(result or {}, half)


def figures(name, result, single_tx):
    full, half = window(result, False), window(result, True)
    tx = full.get("tx_per_s")
    cores = {"quotad": full.get("quotad_cpu_cores"), "quota_bench": full.get("bench_cpu_cores"),
             **full.get("watched_cpu_cores", {})}
    f = {
        "ok": bool(result and result.get("ok")) and not (result or {}).get("standby_went_away"),
        **headline(full, half),
        "window_s": full.get("seconds"),
        "checkpoints_published": full.get("checkpoints_published"),
        "checkpoints_published_half_load": half.get("checkpoints_published"),
        "cpu_cores_at_full_load": cores,
        "cpu_s_at_full_load": {k: v * full["seconds"] for k, v in cores.items()
                               if v is not None and full.get("seconds")},
        "ratio_to_single_node": round(tx / single_tx, 3) if tx and single_tx else None,
        "timing_profile": (result or {}).get("timing_profile", {}),
    }
    if CONFIGS[name][1]:
        if CONFIGS[name][1] == "quotad":  # the stand-in's own ratio is the estimate: no model of it
            f["standby_profile"] = standby_model(cores, f["ratio_to_single_node"])
        sizes = (result or {}).get("tree_sizes", {})
        f["tree_sizes"] = sizes  # with standby.sync the standby holds every acknowledged entry
        f["primary_standby_state"] = (result or {}).get("primary_standby_state")
        f["standby_holds_the_log"] = sizes.get("standby") is not None and sizes.get("standby") == sizes.get("primary")
    return f


def standby_model(cores, ratio):
    """How the standby competes for this machine's cores, and the ratio to expect with it on a
    machine of its own. When every process together used (nearly) all the cores, the load was
    bound by CPU and the standby's share would go to the primary and the load generator: the
    throughput scales by total / (total - standby). That is an upper bound (the confirmation's
    round trip remains); when the cores were not all busy, CPU was not the limit and the measured
    ratio stands."""
    known = [v for v in cores.values() if v is not None]
    total, standby = sum(known), cores.get("standby") or 0.0
    ncpu = os.cpu_count() or 1
    bound = total >= 0.9 * ncpu and total > standby
    expected = ratio * total / (total - standby) if ratio is not None and bound else ratio
    return {
        "machine_cores": ncpu,
        "cores_used_by_all": round(total, 3),
        "standby_cores": round(standby, 3),
        "standby_share_of_used": round(standby / total, 3) if total else None,
        "cpu_bound": bound,
        # never above the single node (the model's ceiling), never below what was measured
        "expected_ratio_standby_on_own_machine": round(max(ratio, min(expected, 1.0)), 3) if expected is not None else None,
    }


CONFIGS = {  # name: (witnesses, standby: "" none, "quotad" `quotad --follow`, "stand-in", label)
    "single": (False, "", "single node"),
    "witnesses": (True, "", f"witnesses ({QUORUM} of {WITNESSES})"),
    "standby": (False, "quotad", "synchronous standby"),
    "standby_witnesses": (True, "quotad", f"standby + witnesses ({QUORUM} of {WITNESSES})"),
    "standby_elsewhere": (False, "stand-in", "synchronous standby, its work elsewhere (model)"),
    "standby_elsewhere_memory": (False, "stand-in-memory",
                                 "synchronous standby, its work elsewhere, journal in memory (model)"),
}
ELSEWHERE = "expected with the standby on its own machine (measured with the stand-in)"
ELSEWHERE_BOUNDS = ("its journal on the primary's disk, a lower bound",
                    "its journal in memory, its own disk's fdatasync left out")


def cores_cell(c):
    wit = sum(v or 0 for k, v in c.items() if k.startswith("w"))
    cells = [f"quotad {c.get('quotad') or 0:.2f}"]
    if "standby" in c:
        cells.append(f"standby {c['standby'] or 0:.2f}")
    if any(k.startswith("w") for k in c):
        cells.append(f"witnesses {wit:.2f}")
    cells.append(f"quota-bench {c.get('quota_bench') or 0:.2f}")
    return ", ".join(cells)


def profile_line(label, t):
    """One configuration's batch timing, as a sentence (empty without figures)."""
    p, s = t.get("primary") or {}, t.get("standby") or {}
    if not p.get("batches"):
        return ""
    line = (f"\n{label}, per batch over the run (metrics): {fmt(p.get('batches'))} batches of "
            f"{fmt(p.get('entries_per_batch'))} entries; commit {fmt(p.get('commit_ms'), ' ms')}, "
            f"waiting for the fence {fmt(p.get('queued_ms'), ' ms')}, fence {fmt(p.get('fence_ms'), ' ms')}")
    if s.get("appends"):
        line += (f"; the standby: {fmt(s.get('appends'))} pages of {fmt(s.get('entries_per_append'))} "
                 f"entries, ask to answer {fmt(s.get('ask_ms'), ' ms')}, journal (root, write, fdatasync) "
                 f"{fmt(s.get('append_ms'), ' ms')}; off the confirmation's path, its applier "
                 f"{fmt(s.get('applies'))} ledger commits of {fmt(s.get('entries_per_apply'))} entries "
                 f"(rules, root, fsync) of {fmt(s.get('apply_ms'), ' ms')}, its verifier "
                 f"{fmt(s.get('verify_ms_off_path'), ' ms')} of signature checks per page")
    e = t.get("stand_in") or {}
    if e.get("pages"):
        line += (f"; the stand-in: {fmt(e.get('pages'))} pages of {fmt(e.get('entries_per_page'))} "
                 f"entries, ask to answer {fmt(e.get('ask_ms'), ' ms')}, then "
                 f"{fmt(e.get('journal_ms'), ' ms')} to check its root and write and fdatasync its journal "
                 "before it confirms")
    if p.get("sent_ahead"):
        line += (f"; {fmt(p.get('sent_ahead'))} batches sent to the standby while the primary committed "
                 f"them, {fmt(p.get('confirmed_at_commit'))} already confirmed when that commit ended")
    return line + ".\n"


def elsewhere_paragraph(run):
    """What the stand-in configuration models, plainly, and the ratio it measured."""
    f = run["configs"].get("standby_elsewhere")
    if not f:
        return ""
    e = (f.get("timing_profile") or {}).get("stand_in") or {}
    return (f"\n{CONFIGS['standby_elsewhere'][2]}: a model, not a standby. The primary is real and "
            "does all its work (`standby.sync`: each batch sent to the standby while it commits it, its "
            "clients answered only once the standby confirmed it, the fence); the standby is a stand-in "
            "(bench/echo_standby.py) that asks the stream as `quotad --follow` does and does on each "
            "page what the standby does before it confirms (the root from its tree's right edge, the "
            "page to a journal file and its fdatasync, on this machine's disk: "
            f"{fmt(e.get('journal_ms'), ' ms')} per page), leaving out what the standby does after "
            "its confirmation (the applier's rules and ledger commit, the verifier's signature checks), "
            "which runs on the standby's own machine, off the primary's path. The same stand-in with "
            "its journal in memory (tmpfs) is the last configuration: there the primary's disk carries "
            "its own fsyncs alone, as on two machines, and the standby's own fdatasync (a fraction of a "
            "millisecond alone on this disk) is left out. "
            f"{ELSEWHERE[0].upper() + ELSEWHERE[1:]}: ratio to the single node "
            f"{fmt(run.get('expected_ratio_standby_elsewhere'))} ({ELSEWHERE_BOUNDS[0]}), "
            f"{fmt(run.get('expected_ratio_standby_elsewhere_memory'))} ({ELSEWHERE_BOUNDS[1]}).\n")


def write_md(md_path, run):
    rows = ["| configuration | transfers/s | ratio to single node | p99 full load | p99 half load | "
            "checkpoints published (full-load window) | CPU at full load (cores) |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, f in run["configs"].items():
        rows.append(f"| {CONFIGS[name][2]}{'' if f['ok'] else ' (errors)'} | "
                    f"{fmt(f['signed_transfers_per_s'])} | {fmt(f['ratio_to_single_node'])} | "
                    f"{fmt(f['p99_ms_at_full_load'], ' ms')} | {fmt(f['p99_ms_at_half_load'], ' ms')} | "
                    f"{fmt(f['checkpoints_published'])} in {fmt(f['window_s'], ' s')} | "
                    f"{cores_cell(f['cpu_cores_at_full_load'])} |")
    flags = " ".join(run["flags"]) + (" --quick" if run["mode"] == "quick" else "")
    with open(md_path, "a") as md:
        md.write(f"\n## {run['date']}: `bench/run {flags}`\n\n"
                 f"{run['connections']} connections, {run['seconds']} s windows, all processes on this "
                 f"{os.cpu_count()}-core machine, on loopback. Checkpoints published are counted by polling "
                 "`GET /log/checkpoint` every 10 ms (exact with witnesses, which publish at most every "
                 "`publish.checkpoint_interval_ms`; a lower bound on a single node, which publishes "
                 "after every batch).\n\n" + "\n".join(rows) + "\n")
        for name, f in run["configs"].items():
            md.write(profile_line(CONFIGS[name][2], f.get("timing_profile") or {}))
        for name, f in run["configs"].items():
            p = f.get("standby_profile")
            if not p:
                continue
            md.write(f"\n{CONFIGS[name][2]}: all processes used {p['cores_used_by_all']:.2f} of "
                     f"{p['machine_cores']} cores, the standby (verifying and applying every entry) "
                     f"{p['standby_cores']:.2f} of them ({fmt((p['standby_share_of_used'] or 0) * 100, '%')}). ")
            if p["cpu_bound"]:
                md.write("The run was bound by CPU, so with the standby on its own machine its cores go "
                         "back to the primary and the load: expected ratio to the single node "
                         f"{fmt(p['expected_ratio_standby_on_own_machine'])} (an upper bound: the "
                         "confirmation's round trip stays).\n")
            else:
                md.write("The cores were not all busy, so CPU was not the limit: expected ratio with the "
                         "standby on its own machine about the measured one, "
                         f"{fmt(p['expected_ratio_standby_on_own_machine'])}.\n")
        md.write(elsewhere_paragraph(run))


def main():
    ap = argparse.ArgumentParser(usage=__doc__)
    ap.add_argument("--build", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--witnesses", action="store_true")
    ap.add_argument("--standby", action="store_true")
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--connections", type=int, default=256)
    ap.add_argument("--pool", type=int, default=1500000)
    ap.add_argument("--enterprises", type=int, default=3378)
    ap.add_argument("--mode", default="full")
    ap.add_argument("--results")
    ap.add_argument("--md")
    a = ap.parse_args()
    if not (a.witnesses or a.standby):
        sys.exit("bench/modes.py: give --witnesses, --standby or both")
    names = ["single"] + (["witnesses"] if a.witnesses else []) + \
        (["standby", "standby_witnesses", "standby_elsewhere", "standby_elsewhere_memory"] if a.standby else [])
    raw = {}
    for n in names:
        raw[n] = run_config(a, n, *CONFIGS[n][:2])
    single_tx = window(raw["single"], False).get("tx_per_s")
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    run = {"date": now, "mode": a.mode, "connections": a.connections, "seconds": a.seconds,
           "flags": [f for f, on in (("--witnesses", a.witnesses), ("--standby", a.standby)) if on],
           "configs": {n: figures(n, raw[n], single_tx) for n in names}}
    if "standby_elsewhere" in names:
        run["expected_ratio_standby_elsewhere"] = run["configs"]["standby_elsewhere"]["ratio_to_single_node"]
        run["expected_ratio_standby_elsewhere_memory"] = \
            run["configs"]["standby_elsewhere_memory"]["ratio_to_single_node"]
    with open(os.path.join(a.work, "modes.json"), "w") as f:
        json.dump({"run": run, "quota_bench": raw}, f, indent=2)
    for n, f in run["configs"].items():
        print(f"{CONFIGS[n][2]:<48} {fmt(f['signed_transfers_per_s'], ' tx/s'):>14}  ratio "
              f"{fmt(f['ratio_to_single_node'])}  p99 {fmt(f['p99_ms_at_full_load'], ' ms')} / half "
              f"{fmt(f['p99_ms_at_half_load'], ' ms')}  checkpoints {fmt(f['checkpoints_published'])}")
    if "expected_ratio_standby_elsewhere" in run:
        print(f"{ELSEWHERE}: ratio {fmt(run['expected_ratio_standby_elsewhere'])} ({ELSEWHERE_BOUNDS[0]}), "
              f"{fmt(run['expected_ratio_standby_elsewhere_memory'])} ({ELSEWHERE_BOUNDS[1]})")
    if a.results:
        try:
            results = json.load(open(a.results))
        except (OSError, ValueError):
            results = {}
        results["witness_standby_run"] = run
        with open(a.results, "w") as f:
            json.dump(results, f, indent=2)
            f.write("\n")
    if a.md:
        write_md(a.md, run)
    sys.exit(0 if all(f["ok"] for f in run["configs"].values()) else 1)


if __name__ == "__main__":
    main()
