#!/usr/bin/env python3
# funclen.py: fails when a function of the production code (every C file outside tests/) is
# longer than the limit (70 lines, from the line of its opening brace to its closing one).
# Usage: scripts/funclen.py [--limit N] [ROOT] | --selftest   (ctest: lint_funclen, its selftest)
import os
import re
import sys

LINES_MAX = 70
SKIP_DIRS = {"tests", ".git", "node_modules"}


def strip(text):
    """The text with comments, strings and character literals blanked (newlines kept), so that
    braces inside them do not count."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + re.sub(r"[^\n]", " ", text[i + 1:j]) + c)
            i = j + 1
        elif c == "#" and (i == 0 or text[i - 1] == "\n"):  # preprocessor line(s)
            j = i
            while True:
                j = text.find("\n", j)
                if j < 0 or text[j - 1] != "\\":
                    break
                j += 1
            j = n if j < 0 else j
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def functions(text):
    """(name, first line, lines) of every function definition: a top-level brace block whose
    head ends with ')' (not an initializer, struct, enum or union)."""
    s = strip(text)
    depth, head_start, found = 0, 0, []
    i = 0
    while i < len(s):
        c = s[i]
        if c == "{":
            if depth == 0:
                head = s[head_start:i]
                m = re.search(r"([A-Za-z_]\w*)\s*\([^;{}]*\)\s*(__attribute__\s*\(\(.*\)\)\s*)?$",
                              head, re.S)
                if m and "=" not in head.split(")")[-1] and not re.search(
                        r"\b(struct|enum|union)\s+\w*\s*$", head):
                    open_line = s.count("\n", 0, i) + 1
                    found.append([m.group(1), open_line, i])
                else:
                    found.append(None)
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                last = found[-1] if found else None
                if last is not None and len(last) == 3:
                    last.append(s.count("\n", 0, i) + 1)
                head_start = i + 1
        elif c == ";" and depth == 0:
            head_start = i + 1
        i += 1
    return [(f[0], f[1], f[3] - f[1] + 1) for f in found if f and len(f) == 4]


def selftest():
    """The rule itself: 70 lines pass, 71 fail, braces in strings and comments do not count."""
    def fn(name, body_lines):
        return "static int %s(int a) {\n%s}\n" % (name, "  a++; /* } */\n" * (body_lines - 2))
    text = ('#include <x.h>\nstatic const char *s = "{";\nstruct t { int a; };\n' +
            fn("ok70", 70) + "int v[] = {1, 2};\n" + fn("long71", 71))
    got = {f: n for f, _, n in functions(text)}
    ok = got == {"ok70": 70, "long71": 71}
    print("funclen selftest: %s %s" % ("ok" if ok else "FAILED", got))
    return 0 if ok else 1


def main(argv):
    limit = LINES_MAX
    args = argv[1:]
    if args == ["--selftest"]:
        return selftest()
    if len(args) >= 2 and args[0] == "--limit":
        limit = int(args[1])
        args = args[2:]
    root = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    long_ones, count = [], 0
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        dirnames[:] = sorted(d for d in dirnames
                             if d not in SKIP_DIRS and not d.startswith("build") and
                             not (rel == "." and d.startswith(".")))
        for name in sorted(filenames):
            if not name.endswith(".c"):
                continue
            path = os.path.join(dirpath, name)
            for fn, line, n in functions(open(path, encoding="utf-8", errors="replace").read()):
                count += 1
                if n > limit:
                    long_ones.append("%s:%d: %s is %d lines (limit %d)" % (
                        os.path.relpath(path, root), line, fn, n, limit))
    for msg in long_ones:
        print(msg)
    print("funclen: %d functions, %d over %d lines" % (count, len(long_ones), limit))
    return 1 if long_ones or count == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
