"""witness_set.py: configuration for three quota-witness processes and a 2-of-3 tlog-policy for a
shell test (test_failover.sh). Writes DIR/wN.conf (N = 1..3) and DIR/policy; prints one line per
witness, "N PORT". Usage: python3 witness_set.py QUOTACTL DIR ORIGIN LOG_VKEY"""
import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import witness_spec as ws  # noqa: E402

quotactl, work, origin, log_vkey = sys.argv[1:5]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


lines = []
for i in (1, 2, 3):
    key = os.path.join(work, "w%d.key" % i)
    subprocess.run([quotactl, "keygen", key], check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    name = "w%d.witness.test.example" % i
    with open(os.path.join(work, "w%d.conf" % i), "w") as f:
        f.write("[witness]\nname = %s\nkey_file = %s\ndata_dir = %s\n[listen]\ntcp = 127.0.0.1:%d\n"
                "[logs]\nlog = %s %s\n" % (name, key, os.path.join(work, "w%d.state" % i), port,
                                          origin, log_vkey))
    lines.append("witness W%d %s http://127.0.0.1:%d\n" % (i, ws.vkey(name, 0x04, ws.raw_public(ws.seed_of(key))),
                                                            port))
    print(i, port)
with open(os.path.join(work, "policy"), "w") as f:
    f.write("log %s\n" % log_vkey)
    f.writelines(lines)
    f.write("group G 2 W1 W2 W3\nquorum G\n")
