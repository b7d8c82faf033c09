#!/usr/bin/env python3
"""Drives Debian's headless Chromium through the DevTools protocol over a pipe (--remote-debugging-pipe, so
no WebSocket library is needed) for the web tests.

Usage: browse.py CHROMIUM SCRIPT.json OUT_DIR. The script is a list of steps:
  {"goto": URL}                       navigate and wait for the load event
  {"dump": NAME}                      write the rendered DOM (document.documentElement.outerHTML) to OUT_DIR/NAME
  {"shot": NAME}                      write a PNG screenshot of the page to OUT_DIR/NAME
  {"fill": {SELECTOR: VALUE, ...}}    set form fields
  {"click": SELECTOR}                 click an element and wait for the next page to load
  {"upload": {SELECTOR: [PATH, ...]}}  choose files in a file input, as a person picking them would
Prints one JSON line per step; exits non-zero on the first failure.
"""
import base64, json, os, subprocess, sys, tempfile, time

chromium, script_path, out_dir = sys.argv[1], sys.argv[2], sys.argv[3]
steps = json.load(open(script_path))
os.makedirs(out_dir, exist_ok=True)

to_chrome_r, to_chrome_w = os.pipe()
from_chrome_r, from_chrome_w = os.pipe()

def child_fds():
    # Chromium reads commands on fd 3 and writes replies on fd 4; go through high numbers first so that
    # neither pipe end is overwritten by the other's dup2.
    a, b = os.dup2(to_chrome_r, 100), os.dup2(from_chrome_w, 101)
    os.dup2(a, 3)
    os.dup2(b, 4)

profile = tempfile.mkdtemp(prefix="fb-chromium-")
proc = subprocess.Popen(
    [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
     "--remote-debugging-pipe", "--user-data-dir=" + profile, "--window-size=1024,1400", "about:blank"],
    preexec_fn=child_fds, close_fds=False, stdout=subprocess.DEVNULL,
    stderr=open(os.path.join(out_dir, "chromium.log"), "wb"))
os.close(to_chrome_r)
os.close(from_chrome_w)
out = os.fdopen(to_chrome_w, "wb", buffering=0)
inp = os.fdopen(from_chrome_r, "rb", buffering=0)
buffer = b""
next_id = 0
session = None
pending_events = []

def read_message(deadline):
    global buffer
    while b"\0" not in buffer:
        if time.time() > deadline:
            raise TimeoutError("no answer from chromium")
        chunk = os.read(inp.fileno(), 65536)
        if not chunk:
            raise EOFError("chromium closed the pipe")
        buffer += chunk
    raw, buffer = buffer.split(b"\0", 1)
    return json.loads(raw)

def call(method, params=None, timeout=30):
    global next_id
    next_id += 1
    msg = {"id": next_id, "method": method, "params": params or {}}
    if session and not method.startswith("Target."):
        msg["sessionId"] = session
    out.write(json.dumps(msg).encode() + b"\0")
    deadline = time.time() + timeout
    while True:
        m = read_message(deadline)
        if m.get("id") == next_id:
            if "error" in m:
                raise RuntimeError(f"{method}: {m['error']}")
            return m.get("result", {})
        pending_events.append(m)

def wait_event(name, timeout=30):
    deadline = time.time() + timeout
    while True:
        for i, m in enumerate(pending_events):
            if m.get("method") == name:
                del pending_events[i]
                return m
        pending_events.append(read_message(deadline))

def evaluate(expr):
    r = call("Runtime.evaluate", {"expression": expr, "returnByValue": True, "awaitPromise": True})
    if "exceptionDetails" in r:
        raise RuntimeError(f"script failed: {r['exceptionDetails']}")
    return r.get("result", {}).get("value")

status = 0
try:
    target = call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    call("Page.enable")
    call("Runtime.enable")
    for step in steps:
        if "goto" in step:
            pending_events.clear()
            call("Page.navigate", {"url": step["goto"]})
            wait_event("Page.loadEventFired")
            print(json.dumps({"goto": step["goto"], "at": evaluate("location.href")}), flush=True)
        elif "dump" in step:
            html = evaluate("document.documentElement.outerHTML")
            open(os.path.join(out_dir, step["dump"]), "w").write(html)
            print(json.dumps({"dump": step["dump"], "bytes": len(html)}), flush=True)
        elif "shot" in step:
            data = call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})["data"]
            open(os.path.join(out_dir, step["shot"]), "wb").write(base64.b64decode(data))
            print(json.dumps({"shot": step["shot"]}), flush=True)
        elif "fill" in step:
            for selector, value in step["fill"].items():
                ok = evaluate(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); if (!e) return false; e.value = {json.dumps(value)}; return true; }})()")
                if not ok:
                    raise RuntimeError(f"no element {selector}")
            print(json.dumps({"fill": list(step["fill"].keys())}), flush=True)
        elif "upload" in step:
            for selector, paths in step["upload"].items():
                root = call("DOM.getDocument")["root"]["nodeId"]
                node = call("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
                if not node:
                    raise RuntimeError(f"no element {selector}")
                call("DOM.setFileInputFiles", {"nodeId": node, "files": paths})
            print(json.dumps({"upload": list(step["upload"].keys())}), flush=True)
        elif "click" in step:
            pending_events.clear()
            ok = evaluate(f"(() => {{ const e = document.querySelector({json.dumps(step['click'])}); if (!e) return false; e.click(); return true; }})()")
            if not ok:
                raise RuntimeError(f"no element {step['click']}")
            wait_event("Page.loadEventFired")
            print(json.dumps({"click": step["click"], "at": evaluate("location.href")}), flush=True)
except Exception as e:
    print(json.dumps({"error": str(e)}), flush=True)
    status = 1
finally:
    try:
        call("Browser.close", timeout=5)
    except Exception:
        pass
    proc.kill()
    proc.wait()
sys.exit(status)
