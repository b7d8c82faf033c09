#!/usr/bin/env python3
"""An auditor's check of a Firebreak journal (format v1), independent of Firebreak's code.

Usage: check_journal.py JOURNAL_DIR [PUBLIC_KEY_FILE]

Checks every line's SHA-256, the seq and prev chain across segments, and each journal.checkpoint; with a
public key file (base64 of the raw 32-byte Ed25519 key) it also checks checkpoint signatures, which needs the
`cryptography` package. Prints "OK <last seq> <last hash> sealed=<seq or none>" and exits 0, or prints
"BAD seq <n> (<segment> line <l>): <reason>" and exits 1.
"""
import base64
import hashlib
import json
import os
import re
import sys


def main(directory, public_key_path=None):
    verify = None
    key_id = None
    if public_key_path:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
        raw = base64.b64decode(open(public_key_path).read().strip())
        key = Ed25519PublicKey.from_public_bytes(raw)
        key_id = hashlib.sha256(raw).hexdigest()[:16]
        verify = key.verify
    segments = sorted(f for f in os.listdir(directory) if re.fullmatch(r"[0-9]{8}\.jsonl", f))
    prev, seq, sealed = "0" * 64, 0, None
    for segment in segments:
        data = open(os.path.join(directory, segment), "rb").read()
        lines = data.split(b"\n")
        if lines[-1] != b"":
            return bad(seq + 1, segment, len(lines), "incomplete last line")
        for number, line in enumerate(lines[:-1], 1):
            where = (seq + 1, segment, number)
            # The hash covers the bytes before the LAST ',"hash":"' (data may contain the same text earlier).
            head, marker, tail = line.rpartition(b',"hash":"')
            if not marker or len(tail) != 66 or not tail.endswith(b'"}'):
                return bad(*where, "no hash member at the end")
            stored = tail[:64].decode("ascii", "replace")
            if hashlib.sha256(head).hexdigest() != stored:
                return bad(*where, "hash mismatch")
            try:
                record = json.loads(line)
            except ValueError as error:
                return bad(*where, "not JSON: %s" % error)
            if list(record)[-1] != "hash":
                return bad(*where, "hash is not the last member")
            if record.get("seq") != seq + 1:
                return bad(*where, "seq is %r" % record.get("seq"))
            if record.get("prev") != prev:
                return bad(*where, "prev does not match")
            for field in ("time", "type", "actor"):
                if not isinstance(record.get(field), str):
                    return bad(*where, "%s missing" % field)
            if not isinstance(record.get("data"), dict):
                return bad(*where, "data is not an object")
            if record["type"] == "journal.checkpoint":
                d = record["data"]
                if d.get("covers_seq") != seq or d.get("covers_hash") != prev:
                    return bad(*where, "checkpoint does not cover the record before it")
                if verify:
                    if d.get("key_id") != key_id:
                        return bad(*where, "checkpoint signed by another key")
                    message = b"firebreak-checkpoint-v1\n%d\n%s\n" % (d["covers_seq"], d["covers_hash"].encode())
                    try:
                        verify(base64.b64decode(d["signature"]), message)
                    except Exception:
                        return bad(*where, "bad signature")
                sealed = d["covers_seq"]
            seq, prev = seq + 1, stored
    if verify and sealed is None:
        print("BAD no checkpoint signed by the key")
        return 1
    print("OK %d %s sealed=%s" % (seq, prev, sealed if sealed is not None else "none"))
    return 0


def bad(seq, segment, line, reason):
    print("BAD seq %d (%s line %d): %s" % (seq, segment, line, reason))
    return 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
