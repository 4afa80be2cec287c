"""Headless Chromium (Debian's `chromium`), driven over the DevTools protocol on a pipe
(`--remote-debugging-pipe`: commands on the browser's fd 3, answers and events on fd 4, each message JSON
ended by a NUL). No port, no websocket, nothing but the standard library.

A test opens a page with the network off and reads what happened: every request the page started, every
console error, exception, dialog and Content-Security-Policy violation, what a JavaScript expression
evaluates to (marks drawn, text shown), and a full-page screenshot.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# As root in a container: no sandbox; and no call home (background networking, component updates, sync).
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-pipe",
)
TIMEOUT = 30.0
EXECUTABLES = ("chromium", "chromium-browser")


def chromium() -> str | None:
    return next((path for name in EXECUTABLES if (path := shutil.which(name))), None)


def unavailable_reason() -> str | None:
    if chromium() is None:
        return "chromium is not installed (`make setup` installs Debian's chromium with apt-get where it runs as root)"
    return None


class BrowserError(Exception):
    pass


class Browser:
    """One Chromium process with a fresh profile. Use as a context manager."""

    def __init__(self) -> None:
        executable = chromium()
        if executable is None:
            raise BrowserError(unavailable_reason())
        self.profile = tempfile.mkdtemp(prefix="pages-chromium-")
        commands_read, commands_write = os.pipe()
        answers_read, answers_write = os.pipe()

        def on_fds_3_and_4() -> None:  # in the child, before exec: the protocol's fixed descriptors
            read_end = fcntl.fcntl(commands_read, fcntl.F_DUPFD, 10)
            write_end = fcntl.fcntl(answers_write, fcntl.F_DUPFD, 10)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        self.process = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=on_fds_3_and_4,
            pass_fds=(3, 4, commands_read, answers_write),
        )
        os.close(commands_read)
        os.close(answers_write)
        self._commands = os.fdopen(commands_write, "wb")
        self._answers = os.fdopen(answers_read, "rb")
        self._next_id = 0
        self._waiting: dict[int, queue.Queue[dict[str, Any]]] = {}
        self._events: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._read, name="chromium-devtools", daemon=True).start()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _read(self) -> None:
        pending = b""
        while chunk := self._answers.read1(1 << 16):
            pending += chunk
            *messages, pending = pending.split(b"\0")
            for raw in messages:
                message = json.loads(raw)
                with self._lock:
                    if "id" in message:
                        self._waiting.setdefault(message["id"], queue.Queue()).put(message)
                    else:
                        self._events.append(message)

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        with self._lock:
            self._next_id += 1
            ident = self._next_id
            answer = self._waiting.setdefault(ident, queue.Queue())
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        self._commands.write(json.dumps(message).encode() + b"\0")
        self._commands.flush()
        try:
            reply = answer.get(timeout=TIMEOUT)
        except queue.Empty:
            raise BrowserError(f"no answer to {method} within {TIMEOUT:g}s") from None
        if "error" in reply:
            raise BrowserError(f"{method}: {reply['error']}")
        result: dict[str, Any] = reply.get("result", {})
        return result

    def events(self, session: str) -> list[dict[str, Any]]:
        with self._lock:
            return [event for event in self._events if event.get("sessionId") == session]

    def wait_for(self, method: str, session: str) -> dict[str, Any]:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            found = [event for event in self.events(session) if event["method"] == method]
            if found:
                return found[0]
            time.sleep(0.02)
        raise BrowserError(f"no {method} within {TIMEOUT:g}s")

    @contextmanager
    def opened(self, page: Path, width: int = 1100, height: int = 900) -> Iterator[Tab]:
        """A new tab with the network off, showing `page` (loaded: its load event fired)."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        tab = Tab(self, session, page.resolve().as_uri())
        try:
            tab.load(width, height)
            yield tab
        finally:
            self.send("Target.closeTarget", {"targetId": target})

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (BrowserError, OSError, ValueError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        for stream in (self._commands, self._answers):
            try:
                stream.close()
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)


class Tab:
    def __init__(self, browser: Browser, session: str, url: str) -> None:
        self.browser = browser
        self.session = session
        self.url = url
        self.load_seconds = 0.0

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.browser.send(method, params, self.session)

    def load(self, width: int, height: int) -> None:
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        offline = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
        self.send("Network.emulateNetworkConditions", offline)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        started = time.monotonic()
        self.send("Page.navigate", {"url": self.url})
        self.browser.wait_for("Page.loadEventFired", self.session)
        self.load_seconds = time.monotonic() - started

    def evaluate(self, expression: str) -> Any:
        """The expression's value, computed in the page (returned by value: JSON-able results only)."""
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def requests(self) -> list[str]:
        """Every URL the page asked for, its own document first."""
        return [
            event["params"]["request"]["url"]
            for event in self.browser.events(self.session)
            if event["method"] == "Network.requestWillBeSent"
        ]

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions, browser log errors (a CSP violation is one) and dialogs
        (alert, confirm, prompt), as one line each."""
        found = []
        for event in self.browser.events(self.session):
            method, params = event["method"], event["params"]
            if method == "Runtime.exceptionThrown":
                found.append(f"exception: {params['exceptionDetails'].get('text')}")
            elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
                found.append(f"console.{params['type']}: {[arg.get('value') for arg in params['args']]}")
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                found.append(f"log ({params['entry']['source']}): {params['entry']['text']}")
            elif method == "Page.javascriptDialogOpening":
                found.append(f"dialog ({params['type']}): {params['message']}")
        return found

    def screenshot(self, path: Path) -> Path:
        """The whole page, not only the viewport, as a PNG."""
        size = self.send("Page.getLayoutMetrics")["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        shot = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path
