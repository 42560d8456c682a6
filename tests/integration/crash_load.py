# crash_load.py: SIGKILL quotad at seeded random moments while several clients submit signed
# transfers, restart it, and check that every acknowledged transaction is still there (GET
# /v1/tx/{id} gives the acknowledged index), that every checkpoint served before the kill is
# consistent with the one served after it (RFC 9162 proof checked here, in python), and that
# quota-audit passes on the result.
# Usage: python3 crash_load.py BUILD_DIR TMP_DIR CYCLES SEED
import json
import os
import random
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qlib
from qlib import move

build, tmp, cycles, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(seed)          # batch sizes (shared by the client threads)
kill_rng = random.Random(seed)     # kill moments: the same sequence on every run of a seed
w = qlib.World()
w.log.write_seed(os.path.join(tmp, "log.key"))
w.aud.write_seed(os.path.join(tmp, "aud.key"))
q = qlib.Quotad(build, tmp, os.path.join(tmp, "data"), os.path.join(tmp, "log.key"))
q.start()
ENTS = (101, 102, 103, 104)
qlib.setup_world(q, w, enterprises=ENTS)
verifier_key = q.jrequest("GET", "/v1/log")[1]["verifier_key"]

acked = {}         # tx id -> index acknowledged with ok/exists
served = {}        # size -> root of every checkpoint served
failures = []
totals = {"submitted": 0, "acked": 0, "errors": 0, "lost_conn": 0}


def client(account, stop):
    dest = ENTS[(ENTS.index(account) + 1) % len(ENTS)]
    key = w.rep(account)
    while not stop.is_set():
        txs = [move("transfer", **{"from": account, "to": dest, "instrument": "CEA-2025", "amount": 1})
               for _ in range(rng.randint(1, 4))]
        try:
            envs = [q.envelope(t, key) for t in txs]
            st, j = q.jrequest("POST", "/v1/tx", envs)
        except Exception:
            totals["lost_conn"] += 1
            return  # quotad is gone: whatever was not answered is not acknowledged
        totals["submitted"] += len(txs)
        if st != 200:
            totals["errors"] += len(txs)
            continue
        for t, r in zip(txs, j["results"]):
            if r["result"] in ("ok", "exists"):
                acked[t["id"]] = r["index"]
                totals["acked"] += 1
            else:
                totals["errors"] += 1


def poller(stop):
    while not stop.is_set():
        try:
            st, body = q.request("GET", "/v1/checkpoint", timeout=5)
        except Exception:
            return
        if st == 200:
            try:
                size, root = qlib.parse_checkpoint(body.decode(), w.log.pub)
                if size in served and served[size] != root:
                    failures.append("two checkpoints of size %d with different roots" % size)
                served[size] = root
            except Exception as e:
                failures.append("a served checkpoint does not verify: %r" % e)
        time.sleep(0.01)


def check_after_restart(cycle, new_acks):
    st, body = q.request("GET", "/v1/checkpoint")
    size, root = qlib.parse_checkpoint(body.decode(), w.log.pub)
    for tid, idx in new_acks.items():
        st, j = q.read_as(w.aud, "/v1/tx/" + tid)
        if st != 200 or j.get("index") != idx:
            failures.append("cycle %d: acknowledged %s (index %d) is %s %s after restart" % (cycle, tid, idx, st, j))
    for s, r in sorted(served.items()):
        if s > size:
            failures.append("cycle %d: checkpoint of size %d was served, the log now has %d" % (cycle, s, size))
            continue
        st, j = q.jrequest("GET", "/v1/proof/consistency?first=%d&second=%d" % (s, size))
        proof = [qlib.base64.b64decode(h) for h in j.get("hashes", [])] if st == 200 else None
        if s == 0:
            continue
        if proof is None or not qlib.verify_consistency(s, size, r, root, proof):
            failures.append("cycle %d: checkpoint %d is not consistent with %d" % (cycle, s, size))
        elif s < size and qlib.verify_consistency(s, size, bytes(32), root, proof):
            failures.append("the proof checker accepts a wrong old root: it proves nothing")
    served[size] = root
    return size


def audit():
    rc = subprocess.run([os.path.join(build, "tools", "quota-audit"), "--url", "http://127.0.0.1:%d" % q.port,
                         "--key", os.path.join(tmp, "aud.key"), "--verifier-key", verifier_key, "--quiet"],
                        capture_output=True, text=True)
    if rc.returncode != 0:
        failures.append("quota-audit exit %d: %s %s" % (rc.returncode, rc.stdout[-400:], rc.stderr[-400:]))
    return rc.returncode


for cycle in range(cycles):
    before = dict(acked)
    stop = threading.Event()
    threads = [threading.Thread(target=client, args=(a, stop)) for a in ENTS]
    threads.append(threading.Thread(target=poller, args=(stop,)))
    for t in threads:
        t.start()
    time.sleep(kill_rng.uniform(0.1, 1.2))
    q.kill()
    stop.set()
    for t in threads:
        t.join()
    q.start()
    new = {k: v for k, v in acked.items() if k not in before}
    size = check_after_restart(cycle, new)
    print("cycle %2d: killed after %d acknowledged, tree size %d after restart" % (cycle, len(new), size))
    sys.stdout.flush()
    if (cycle + 1) % 10 == 0:
        audit()

# every acknowledgement of every cycle, once more at the end
for tid, idx in acked.items():
    st, j = q.read_as(w.aud, "/v1/tx/" + tid)
    if st != 200 or j.get("index") != idx:
        failures.append("final: acknowledged %s (index %d) is %s" % (tid, idx, st))
audit_rc = audit()
q.stop()
print("%d cycles, %s; %d checkpoints checked; quota-audit exit %d" % (cycles, json.dumps(totals), len(served), audit_rc))
for f in failures[:30]:
    print("FAIL - " + f)
print("%d failures" % len(failures))
sys.exit(1 if failures else 0)
