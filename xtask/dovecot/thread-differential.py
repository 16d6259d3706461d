#!/usr/bin/env python3
"""Differential THREAD check against Dovecot: the same random mailbox on two servers.

Generates N messages from SEED (replies by References or In-Reply-To to earlier, later or
missing messages, duplicate and missing Message-IDs, reply and forward subjects, equal and
missing dates), APPENDs them to a mailbox `difft` on Hadron and on Dovecot, and compares
THREAD REFERENCES and ORDEREDSUBJECT over three search sets. Prints each difference.

    bash xtask/dovecot/start.sh /tmp/dove 10143 bench bench
    hadron serve --data-dir D --listen 127.0.0.1:14143   # user imaptest, password imaptest
    python3 xtask/dovecot/thread-differential.py SEED N
"""
import imaplib, random, sys, email.utils, time

def gen(seed, n):
    rng = random.Random(seed)
    msgs = []
    subjects = ["Plans", "Lunch", "Report", "", "[list] Weekly", "Hello (fwd)", "[fwd: Plans]", "Café"]
    for i in range(n):
        h = []
        mid = None
        r = rng.random()
        if r < 0.85:
            mid = f"m{i}@x" if rng.random() > 0.05 else f"m{rng.randrange(max(i,1))}@x"  # dup ids
        if mid:
            h.append(f"Message-ID: <{mid}>")
        kind = rng.random()
        if i > 0 and kind < 0.5:
            # reply to earlier message or missing one
            depth = rng.randrange(1, 4)
            refs = [f"m{rng.randrange(i + 20)}@x" for _ in range(depth)]
            if rng.random() < 0.5:
                h.append("References: " + " ".join(f"<{r}>" for r in refs))
            else:
                h.append(f"In-Reply-To: <{refs[-1]}>")
        base = rng.choice(subjects)
        pre = rng.choice(["", "", "Re: ", "RE: Re: ", "Fwd: ", "[x] Re: "])
        if base or pre:
            h.append(f"Subject: {pre}{base}")
        if rng.random() < 0.9:
            t = 1600000000 + rng.randrange(0, 20) * 3600  # many equal dates
            h.append("Date: " + email.utils.formatdate(t))
        h.append("From: a@x.org")
        msgs.append(("\r\n".join(h) + "\r\n\r\nbody\r\n").encode())
    return msgs

def fill(host, port, user, pw, box, msgs):
    c = imaplib.IMAP4(host, port)
    c.login(user, pw)
    try:
        c.delete(box)
    except Exception:
        pass
    c.create(box)
    for m in msgs:
        c.append(box, None, imaplib.Time2Internaldate(1600000000), m)
    c.select(box)
    return c

def thread(c, alg, crit="ALL"):
    typ, data = c.thread(alg, "UTF-8", crit)
    assert typ == "OK", (typ, data)
    return data[0].decode() if data and data[0] else ""

if __name__ == "__main__":
    seed = int(sys.argv[1]); n = int(sys.argv[2])
    msgs = gen(seed, n)
    a = fill("127.0.0.1", 14143, "imaptest", "imaptest", "difft", msgs)
    b = fill("127.0.0.1", 10143, "bench", "bench", "difft", msgs)
    bad = 0
    for alg in ["REFERENCES", "ORDEREDSUBJECT"]:
        for crit in ["ALL", "1:%d" % (n // 2), "NOT SUBJECT plans"]:
            x, y = thread(a, alg, crit), thread(b, alg, crit)
            if x != y:
                bad += 1
                print(f"DIFF seed={seed} {alg} {crit}\n hadron : {x[:600]}\n dovecot: {y[:600]}")
    print(f"seed {seed}: {'ok' if not bad else str(bad) + ' differ'}")
