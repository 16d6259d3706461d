#!/usr/bin/env python3
"""Times SEARCH BODY/TEXT on the largest mailbox of an IMAP server (Hadron or Dovecot).

Usage: body-search.py PORT [USER PASSWORD]   (default user and password: bench)

One session, EXAMINE of the mailbox with the most messages, then each search three times
with UID SEARCH; prints the hits and the median. Used for the full-text index rows of
docs/BENCHMARKS.md on a corpus left by `hadron-bench --scenario fill --keep`.
"""
import imaplib
import statistics
import sys
import time

SEARCHES = [("BODY", "zanzibar"), ("TEXT", "zanzibar"), ("BODY", "quarterly report"), ("BODY", "xq")]


def main():
    port = int(sys.argv[1])
    user, password = (sys.argv[2], sys.argv[3]) if len(sys.argv) > 3 else ("bench", "bench")
    m = imaplib.IMAP4("127.0.0.1", port)
    m.login(user, password)
    _, boxes = m.list()
    best = None
    for line in boxes:
        name = line.decode().rsplit(" ", 1)[-1].strip('"')
        _, status = m.status(name, "(MESSAGES)")
        count = int(status[0].decode().split("MESSAGES ")[1].rstrip(")"))
        if best is None or count > best[1]:
            best = (name, count)
    m.select(best[0], readonly=True)
    print(f"port {port}: {best[0]} ({best[1]} messages)")
    for key, needle in SEARCHES:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            _, data = m.uid("SEARCH", key, f'"{needle}"')
            times.append(time.perf_counter() - start)
        runs = [round(t * 1000, 1) for t in times]
        print(f"{key} {needle!r}: {len(data[0].split())} hits, runs {runs} ms, "
              f"median {statistics.median(times) * 1000:.1f} ms")
    m.logout()


if __name__ == "__main__":
    main()
