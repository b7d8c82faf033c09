#!/usr/bin/env python3
"""A webhook receiver for the notification tests: records every request and answers as its path says.

Usage: http_sink.py PORT_FILE LOG_FILE. Binds 127.0.0.1 on a free port, writes the port to PORT_FILE, and
appends one JSON line per request to LOG_FILE: {"path", "headers", "body", "time", "status"}.
Paths: /ok/... -> 200; /fail500/... -> 500; /hang/... -> waits 30 s (past any client timeout);
/flakyN/... -> 500 for the first N requests to that path, then 200.
"""
import json, re, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port_file, log_file = sys.argv[1], sys.argv[2]
lock = threading.Lock()
counts = {}

class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        with lock:
            counts[self.path] = counts.get(self.path, 0) + 1
            n = counts[self.path]
        status = 200
        if self.path.startswith("/fail500/"):
            status = 500
        elif self.path.startswith("/hang/"):
            time.sleep(30)
        else:
            m = re.match(r"^/flaky(\d+)/", self.path)
            if m and n <= int(m.group(1)):
                status = 500
        with lock, open(log_file, "a") as f:
            f.write(json.dumps({"path": self.path, "headers": dict(self.headers), "body": body,
                                "time": time.time(), "status": status}) + "\n")
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
