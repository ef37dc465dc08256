#!/usr/bin/env python3
"""Coverage floors for the Go packages: reads `go test -cover ./...` output on stdin, prints
each package's statement coverage beside its floor, and fails when one falls below it.

The floors (scripts/go-coverage-floors.txt) are the coverage measured when they were set,
rounded down to a whole percent so that timing-dependent paths do not make the check flaky.
They may only rise: raise a floor when a package's coverage does, and give a new package one.
"""
import re
import sys

LINE = re.compile(r"^(?:ok|FAIL)?\s+(\S+)\s+(?:\S+\s+)?coverage: ([\d.]+)% of statements")


def main() -> int:
    floors = {}
    with open(sys.argv[1]) as f:
        for raw in f:
            line = raw.split("#", 1)[0].strip()
            if line:
                pkg, floor = line.split()
                floors[pkg] = float(floor)
    measured = {}
    for raw in sys.stdin:
        m = LINE.match(raw.rstrip("\n"))
        if m:
            measured[m.group(1)] = float(m.group(2))
    failed = []
    print(f"{'package':<62} {'coverage':>9} {'floor':>7}")
    for pkg in sorted(set(measured) | set(floors)):
        got, floor = measured.get(pkg), floors.get(pkg)
        note = ""
        if got is None:
            note = "  not measured"
            failed.append(pkg)
        elif floor is None:
            note = "  no floor yet: add one"
        elif got < floor:
            note = "  BELOW THE FLOOR"
            failed.append(pkg)
        shown = "-" if got is None else f"{got:.1f}%"
        print(f"{pkg:<62} {shown:>9} {'-' if floor is None else f'{floor:.0f}%':>7}{note}")
    if failed:
        print(f"coverage fell below its floor in: {', '.join(failed)}", file=sys.stderr)
        return 1
    print("Go coverage: every package at or above its floor")
    return 0


if __name__ == "__main__":
    sys.exit(main())
