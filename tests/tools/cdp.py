#!/usr/bin/python3
"""cdp.py — drive a headless Chromium through the DevTools protocol, for
integration tests (python3's standard library has no WebSocket client, so
a minimal one is here: client-to-server text frames, masked; fragmented and
control frames from the server are handled).

    cdp.py PORT navigate URL            open URL in the first page, wait for load
    cdp.py PORT eval EXPR               print EXPR's value (JSON); awaits promises
    cdp.py PORT wait SECONDS EXPR       poll EXPR until truthy; exit 1 on time-out
    cdp.py PORT screenshot FILE         save the page as PNG

Each call attaches to the same page target, so the page (and its JS state)
lives across calls: that is how a test proves something happened without a
reload (a value set in window survives only in the same document).
"""
import base64
import json
import os
import socket
import struct
import sys
import time
import urllib.request


class WebSocket:
    def __init__(self, url, timeout=30):
        assert url.startswith("ws://"), url
        hostport, _, path = url[5:].partition("/")
        host, _, port = hostport.partition(":")
        self.sock = socket.create_connection((host, int(port or 80)), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("websocket handshake: connection closed")
            head += chunk
        head, _, self.buf = head.partition(b"\r\n\r\n")
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise ConnectionError(f"websocket handshake refused: {head.decode(errors='replace')}")

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buf)))
            if not chunk:
                raise ConnectionError("websocket closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _send_frame(self, opcode, payload):
        head = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def send(self, text):
        self._send_frame(0x1, text.encode())

    def recv(self):
        message = b""
        while True:
            b0, b1 = self._read(2)
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            mask = self._read(4) if b1 & 0x80 else None
            data = self._read(n)
            if mask:
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
            if opcode == 0x9:  # ping
                self._send_frame(0xA, data)
                continue
            if opcode == 0x8:
                raise ConnectionError("websocket closed by the browser")
            if opcode in (0x1, 0x2, 0x0):
                message += data
                if b0 & 0x80:
                    return message.decode()


class Page:
    def __init__(self, port):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
            targets = [t for t in json.load(r) if t.get("type") == "page"]
        if not targets:
            raise SystemExit("cdp.py: the browser has no page")
        self.ws = WebSocket(targets[0]["webSocketDebuggerUrl"])
        self.next_id = 0
        self.events = []

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def eval(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            raise RuntimeError(d.get("exception", {}).get("description") or d.get("text"))
        return r["result"].get("value")


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    page = Page(int(argv[1]))
    cmd = argv[2]
    if cmd == "navigate":
        page.call("Page.enable")
        page.call("Page.navigate", url=argv[3])
        deadline = time.time() + 30
        while time.time() < deadline:
            if page.eval("document.readyState") == "complete":
                return 0
            time.sleep(0.1)
        print("cdp.py: the page does not finish loading", file=sys.stderr)
        return 1
    if cmd == "eval":
        print(json.dumps(page.eval(argv[3]), ensure_ascii=False))
        return 0
    if cmd == "wait":
        deadline = time.time() + float(argv[3])
        while True:
            try:
                value = page.eval(argv[4])
            except RuntimeError as err:
                value, last_error = None, err
            if value:
                print(json.dumps(value, ensure_ascii=False))
                return 0
            if time.time() > deadline:
                print(f"cdp.py: not true after {argv[3]} s: {argv[4]}", file=sys.stderr)
                return 1
            time.sleep(0.2)
    if cmd == "screenshot":
        r = page.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        with open(argv[3], "wb") as f:
            f.write(base64.b64decode(r["data"]))
        return 0
    print(f"cdp.py: unknown command '{cmd}'", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
