#!/usr/bin/env python3
"""The demo's 2025 files that follow from the allocator's results (scripts/demo.sh): the
supplements each province needs from the national account before the true-up, the trades of
2025 quota between enterprises, and the 2025 surrenders.
Usage: demo_2025.py national DATA_DIR COMPUTE.csv...   (supplements per province)
       demo_2025.py trades DATA_DIR SHORT COMPUTE.csv... (transfers-2025.csv, surrenders-2025.csv)
COMPUTE.csv is `quotactl alloc compute --csv` of a sector's final data. Every amount is an
integer number of tonnes; the same inputs give the same files."""
import csv
import sys


def enterprises(paths):
    """USCC -> (province, quota, pre, true_up) from the allocator's enterprise rows."""
    out = {}
    for path in paths:
        with open(path, newline="") as f:
            for row in csv.reader(f):
                if row and row[0] == "enterprise":
                    out[row[1]] = (int(row[2]), int(row[4]), int(row[5]), int(row[6]))
    return out


def write(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def national(data, paths):
    """The national account allocates each province the sum of its positive true-ups."""
    need = {}
    for province, _, _, true_up in enterprises(paths).values():
        if true_up > 0:
            need[province] = need.get(province, 0) + true_up
    rows = [[1, "CN-%02d" % p, "CEA-2025", need[p], 2025, "supplement"] for p in sorted(need)]
    write(data + "/alloc-2025-supplements-national.csv",
          ["from", "to", "instrument", "amount", "year", "kind"], rows)
    print("supplements: %d provinces, %d t" % (len(rows), sum(r[3] for r in rows)))


def trades(data, short, paths):
    """Enterprises above their verified emissions sell the surplus to those below, largest
    shortfall first; the last `short` buyers find no seller and end the year short."""
    ents = enterprises(paths)
    account, emissions = {}, {}
    with open(data + "/accounts.csv", newline="") as f:
        for row in csv.DictReader(f):
            if row["kind"] == "enterprise":
                account[row["uscc"]] = row["account"]
    with open(data + "/emissions-2025.csv", newline="") as f:
        for row in csv.DictReader(f):
            emissions[row["account"]] = int(row["emissions"])
    holding = {u: ents[u][1] for u in ents}
    sellers = sorted((u for u in ents if holding[u] > emissions[u]), key=lambda u: (emissions[u] - holding[u], u))
    buyers = sorted((u for u in ents if holding[u] < emissions[u]), key=lambda u: (holding[u] - emissions[u], u))
    buyers = buyers[:max(0, len(buyers) - short)]
    transfers = []
    for b in buyers:
        while holding[b] < emissions[b] and sellers:
            s = sellers[0]
            amount = min(holding[s] - emissions[s], emissions[b] - holding[b])
            transfers.append([s, b, "CEA-2025", amount, "keys/rep-%s.key" % account[s]])
            holding[s] -= amount
            holding[b] += amount
            if holding[s] == emissions[s]:
                sellers.pop(0)
    write(data + "/transfers-2025.csv", ["from", "to", "instrument", "amount", "key"], transfers)
    surrenders = [[u, u, 2025, "CEA-2025", min(holding[u], emissions[u]), "keys/rep-%s.key" % account[u]]
                  for u in sorted(ents) if min(holding[u], emissions[u]) > 0]
    write(data + "/surrenders-2025.csv", ["account", "from", "year", "instrument", "amount", "key"],
          surrenders)
    left = sum(1 for u in ents if holding[u] < emissions[u])
    print("2025 trades: %d transfers, %d t; %d enterprises will be short"
          % (len(transfers), sum(t[3] for t in transfers), left))


if __name__ == "__main__":
    if len(sys.argv) > 3 and sys.argv[1] == "national":
        national(sys.argv[2], sys.argv[3:])
    elif len(sys.argv) > 4 and sys.argv[1] == "trades":
        trades(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
    else:
        sys.exit(__doc__)
