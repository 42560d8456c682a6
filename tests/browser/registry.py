#!/usr/bin/env python3
"""registry.py OUT: the input files of a small registry like the demo's, for the browser tests:
3 provinces, 36 enterprises (names in English and Chinese), their authority and representative
keys, 2024 verified emissions, allocations and surrenders that leave 4 enterprises short; and the
2025 data of its steel enterprises (units-steel-2025.csv) for an allocation table."""
import base64
import os
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

ALPHA = '0123456789ABCDEFGHJKLMNPQRTUWXY'
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
PROVINCES = [(11, 'Beijing', '北京'), (35, 'Fujian', '福建'), (44, 'Guangdong', '广东')]
SECTORS = ['steel', 'cement', 'aluminium']
SECTOR_ZH = {'steel': '钢铁', 'cement': '水泥', 'aluminium': '铝业'}
PER_PROVINCE = 12
SHORT = 4  # enterprises that surrender less than their emissions


def uscc(body17):
    s = sum(ALPHA.index(c) * w for c, w in zip(body17, WEIGHTS))
    return body17 + ALPHA[(31 - s % 31) % 31]


def keyfile(out, name):
    seed = os.urandom(32)
    with open(os.path.join(out, 'keys', name), 'w') as f:
        f.write('quotad-ed25519-seed %s\n' % base64.b64encode(seed).decode())
    os.chmod(os.path.join(out, 'keys', name), 0o600)
    pub = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def main(out):
    os.makedirs(os.path.join(out, 'keys'), exist_ok=True)
    acc = ['account,kind,province,sector,threshold,uscc,name,note']
    keys = ['public_key,role,scope,name']
    ems = ['account,year,emissions,ref,key']
    nat = ['from,to,instrument,amount,year,kind']
    alloc = ['from,to,instrument,amount,year,kind,key']
    sur = ['account,from,year,instrument,amount,key']
    steel = ['uscc,province,sector,unit,emissions,output']
    total = 0
    n = 0
    for code, en, zh in PROVINCES:
        acc.append('%d,provincial,%d,none,1,,%s provincial account,' % (1000 + code, code, en))
        keys.append('%s,authority,%d,%s authority' % (keyfile(out, 'auth-%d.key' % code), code, en))
        psum = 0
        for i in range(PER_PROVINCE):
            n += 1
            account = 100000 + n
            sector = SECTORS[i % 3]
            name = ('%s%s有限公司%d' % (zh, SECTOR_ZH[sector], i + 1)) if i % 2 else ('%s %s Works %d' % (en, sector.title(), i + 1))
            code_u = uscc('91%d0100MA%07d' % (code, n))
            acc.append('%d,enterprise,%d,%s,1,%s,%s,' % (account, code, sector, code_u, name))
            keys.append('%s,representative,%d,rep %d' % (keyfile(out, 'rep-%d.key' % account), account, account))
            e = 50000 + (n * 7919) % 400000
            a = e + 1000
            psum += a
            ems.append('%s,2024,%d,report 2024-%d,keys/auth-%d.key' % (code_u, e, n, code))
            alloc.append('CN-%d,%s,CEA-2024,%d,2024,final,keys/auth-%d.key' % (code, code_u, a, code))
            give = e - 1234 if n % 9 == 0 and n // 9 <= SHORT else e
            sur.append('%s,%s,2024,CEA-2024,%d,keys/rep-%d.key' % (code_u, code_u, give, account))
            if sector == 'steel':  # intensities from about 1.6 to 2.3 t per t of steel
                steel.append('%s,%d,steel,BF%d,%d,%d.%03d' % (code_u, code, n, e, e * 10 // (16 + n % 8),
                                                              (n * 37) % 1000))
        nat.append('1,CN-%d,CEA-2024,%d,2024,final' % (code, psum))
        total += psum
    files = {'accounts.csv': acc, 'keys.csv': keys, 'emissions.csv': ems, 'alloc-national.csv': nat,
             'alloc.csv': alloc, 'surrenders.csv': sur, 'units-steel-2025.csv': steel}
    for name, lines in files.items():
        with open(os.path.join(out, name), 'w') as f:
            f.write('\n'.join(lines) + '\n')
    print('TOTAL_2024=%d' % total)
    print('STEEL_UNITS=%d' % (len(steel) - 1))


if __name__ == '__main__':
    main(sys.argv[1])
