#!/usr/bin/env python3
"""A local SMTP server for the notification tests: accepts every message and records it.

Usage: smtp_sink.py PORT_FILE LOG_FILE. Speaks enough RFC 5321 (EHLO/HELO, MAIL, RCPT, DATA with dot-unstuffing,
RSET, NOOP, QUIT) and appends one JSON line per message to LOG_FILE: {"from", "to", "data"}.
"""
import json, os, socketserver, sys, threading

port_file, log_file = sys.argv[1], sys.argv[2]
lock = threading.Lock()

class Handler(socketserver.StreamRequestHandler):
    def say(self, line):
        self.wfile.write((line + "\r\n").encode())
        self.wfile.flush()

    def handle(self):
        self.say("220 sink ESMTP")
        sender, rcpts = None, []
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb = line[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.say("250-sink")
                self.say("250 8BITMIME")
            elif verb == "MAIL":
                sender, rcpts = line[10:].strip().strip("<>"), []
                self.say("250 ok")
            elif verb == "RCPT":
                rcpts.append(line[8:].strip().strip("<>"))
                self.say("250 ok")
            elif verb == "DATA":
                self.say("354 go ahead")
                lines = []
                while True:
                    l = self.rfile.readline().decode("utf-8", "replace").rstrip("\r\n")
                    if l == ".":
                        break
                    lines.append(l[1:] if l.startswith("..") else l)
                with lock, open(log_file, "a") as f:
                    f.write(json.dumps({"from": sender, "to": rcpts, "data": "\n".join(lines)}) + "\n")
                self.say("250 queued")
            elif verb == "QUIT":
                self.say("221 bye")
                return
            else:
                self.say("250 ok")

class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

server = Server(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
