# faults.py: storage faults under a real quotad with tests/fault/libfaultshim.so preloaded:
# failing fsync (EIO), failing writes (ENOSPC, a full disk) and the map ceiling. Each fault:
# the write is refused with a clear error (HTTP status and code), never acknowledged; reads keep
# being served; nothing committed is harmed (quota-audit passes); writing resumes when the fault
# clears (at the latest after a restart, which the test reports).
# Usage: python3 faults.py BUILD_DIR TMP_DIR
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qlib
from qlib import move

build, tmp = sys.argv[1], sys.argv[2]
shim = os.path.join(build, "tests", "fault", "libfaultshim.so")
ctl = os.path.join(tmp, "fault.ctl")
data = os.path.join(tmp, "data")
w = qlib.World()
w.log.write_seed(os.path.join(tmp, "log.key"))
w.aud.write_seed(os.path.join(tmp, "aud.key"))
env = {"LD_PRELOAD": shim, "QUOTAD_FAULT_DIR": data, "QUOTAD_FAULT_CTL": ctl,
       "ASAN_OPTIONS": "verify_asan_link_order=0:detect_leaks=0"}
notes = []


check = qlib.Checks()


def transfer(amount=1):
    return move("transfer", **{"from": 101, "to": 102, "instrument": "CEA-2025", "amount": amount})


def balances(q):
    return [q.read_as(w.aud, "/v1/accounts/%d/balances" % a)[1] for a in (101, 102)]


def audit(q, vk):
    r = subprocess.run([os.path.join(build, "tools", "quota-audit"), "--url", "http://127.0.0.1:%d" % q.port,
                        "--key", os.path.join(tmp, "aud.key"), "--verifier-key", vk, "--quiet"],
                       capture_output=True, text=True)
    return r.returncode, (r.stdout + r.stderr)[-300:]


def fault_round(q, vk, mode):
    """One fault: set it, submit, observe, clear it, submit again."""
    size0, bal0 = q.tree_size(), balances(q)
    _st, cp0 = q.request("GET", "/v1/checkpoint")
    with open(ctl, "w") as f:
        f.write(mode + "\n")
    tx = transfer()
    st, j = q.submit(tx, w.rep(101))
    code = (j.get("results", [{}])[0].get("error", {}).get("code") if "results" in j
                                      else j.get("error", {}).get("code"))
    print("     %s fault: POST /v1/tx answered HTTP %s %s" % (mode, st, code))
    check("%s fault: the transaction is not acknowledged" % mode,
          not (st == 200 and j.get("results", [{}])[0].get("result") == "ok"), str(j)[:200])
    msg = (j.get("results", [{}])[0].get("error", {}) if "results" in j else j.get("error", {})).get("message", "")
    print("     message: %s" % msg)
    # code "storage", and the message names the operating system's cause
    cause = {"fsync": "Input/output error", "write": "No space left on device"}.get(mode)
    check("%s fault: refused with HTTP 5xx and a storage error naming the cause" % mode,
          st in (500, 503, 507) and code in ("storage", "read_only") and msg and (cause is None or cause in msg),
          "HTTP %s %s %s" % (st, code, msg))
    st2, _ = q.request("GET", "/healthz")
    check("%s fault: reads keep being served (healthz, checkpoint, balances)" % mode,
          st2 == 200 and q.request("GET", "/v1/checkpoint")[0] == 200 and q.read_as(w.aud, "/v1/accounts/101")[0] == 200)
    check("%s fault: the served tree and balances did not change" % mode,
          q.tree_size() == size0 and balances(q) == bal0 and q.request("GET", "/v1/checkpoint")[1] == cp0)
    os.unlink(ctl)
    st3, j3 = q.submit(transfer(), w.rep(101))
    resumed = st3 == 200 and j3["results"][0]["result"] == "ok"
    print("     %s fault cleared: next write answered HTTP %s %s" % (mode, st3, str(j3)[:160]))
    notes.append("%s: refused HTTP %s %s; after clearing, without restart: %s" %
                 (mode, st, code, "writes resume" if resumed else "HTTP %s %s" % (st3, str(j3)[:120])))
    return tx, resumed


def restart_and_check(q, vk, tx, mode):
    q.stop()
    q.start()
    st, j = q.read_as(w.aud, "/v1/tx/" + tx["id"])
    notes.append("%s: after restart the refused transaction is %s" % (mode, "present (it was durable after all; never acknowledged)" if st == 200 else "absent"))
    rc, out = audit(q, vk)
    check("%s fault: quota-audit passes after restart" % mode, rc == 0, out)
    st, j = q.submit(transfer(), w.rep(101))
    check("%s fault: writing works after restart" % mode, st == 200 and j["results"][0]["result"] == "ok", str(j)[:200])
    # a resubmission of the refused transaction is safe either way: ok once, or exists
    st, j = q.submit(tx, w.rep(101))
    check("%s fault: resubmitting the refused transaction gives ok or exists" % mode,
          st == 200 and j["results"][0]["result"] in ("ok", "exists"), str(j)[:200])


q = qlib.Quotad(build, tmp, data, os.path.join(tmp, "log.key"), env=env)
q.start()
qlib.setup_world(q, w)
vk = q.jrequest("GET", "/v1/log")[1]["verifier_key"]
for mode in ("fsync", "write", "all"):
    tx, resumed = fault_round(q, vk, mode)
    if q.proc.poll() is not None:
        notes.append("%s: quotad exited (status %s) after the fault" % (mode, q.proc.returncode))
        q.proc = None
        q.start()
    restart_and_check(q, vk, tx, mode)
q.stop()

# ---- the map ceiling: a small map_bytes_max fills, writes refuse with map_full, reads go on
data2 = os.path.join(tmp, "data2")
q = qlib.Quotad(build, tmp, data2, os.path.join(tmp, "log.key"), extra=["--map-bytes-max", str(1 << 20)])
q.start()
qlib.setup_world(q, w)
batch_full = None
for i in range(400):
    envs = [q.envelope(transfer(), w.rep(101)) for _ in range(20)]
    st, j = q.jrequest("POST", "/v1/tx", envs)
    if st != 200 or any(r["result"] != "ok" for r in j["results"]):
        batch_full = (st, j, q.tree_size())
        break
check("map ceiling: a batch that does not fit is refused whole, each result map_full, tree_size reported as is",
      batch_full is not None and batch_full[0] == 200 and
      all(r.get("error", {}).get("code") == "map_full" for r in batch_full[1]["results"]) and
      batch_full[1]["tree_size"] == batch_full[2], str(batch_full)[:300])
# smaller batches may still fit: fill with single envelopes until one does not
single = None
for i in range(400):
    st, j = q.submit(transfer(), w.rep(101))
    if st != 200:
        single = (st, j)
        break
size_full = q.tree_size()
code = single and single[1].get("results", [{}])[0].get("error", {}).get("code")
print("     map ceiling 1 MiB: full after %d entries, answer HTTP %s %s" % (size_full, single and single[0], code))
check("map ceiling: a single envelope is refused with map_full, HTTP 507",
      single is not None and single[0] == 507 and code == "map_full", str(single)[:300])
check("map ceiling: reads keep being served", q.request("GET", "/v1/checkpoint")[0] == 200 and
      q.read_as(w.aud, "/v1/accounts/101/balances")[0] == 200)
rc, out = audit(q, vk)
check("map ceiling: quota-audit passes on what was committed", rc == 0, out)
# At the ceiling, space comes and goes (LMDB reuses freed pages only once no reader holds an older
# snapshot), so each later write is either accepted or refused with map_full, and the tree grows
# exactly by the accepted ones.
odd = []
for i in range(20):
    size = q.tree_size()
    st, j = q.submit(transfer(), w.rep(101))
    r = j.get("results", [{}])[0]
    if st == 200 and r.get("result") == "ok":
        if q.tree_size() != size + 1:
            odd.append("ok but the tree did not grow by one")
    elif st == 507 and r.get("error", {}).get("code") == "map_full":
        if q.tree_size() != size:
            odd.append("map_full but the tree changed")
    else:
        odd.append("HTTP %s %s" % (st, str(j)[:120]))
check("map ceiling: 20 later writes each ok (tree + 1) or 507 map_full (tree unchanged)", not odd, str(odd[:3]))
q.stop()
q.extra = ["--map-bytes-max", str(64 << 20)]
q.start()
st, j = q.submit(transfer(), w.rep(101))
check("map ceiling raised: writing resumes after restart", st == 200 and j["results"][0]["result"] == "ok", str(j)[:200])
rc, out = audit(q, vk)
check("map ceiling raised: quota-audit passes", rc == 0, out)
q.stop()

print("observed:")
for n in notes:
    print("  " + n)
check.finish()
