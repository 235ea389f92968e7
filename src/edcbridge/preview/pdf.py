"""PDF from the preview HTML with headless Chromium.

One Chromium process prints a whole batch: it is driven over the DevTools protocol on a pipe
(``--remote-debugging-pipe``: no network port), each page printed with ``Page.printToPDF``.
Chromium runs without network or sandbox-dependent features and with a fresh profile per
batch, so it works as root in a container and leaves nothing behind.

The PDF is tagged (structure tree, language, title shown as the window title) and has bookmarks
from the headings; ``pdf_finish`` then adds what PDF/UA-1 asks beyond that (XMP metadata with the
PDF/UA identifier and the title, a description on each link, a role map, artifacts marked).
Before printing, ligatures are turned off, so text copied or searched in the PDF is the letters
written ("fi", not the single ligature glyph U+FB01), links other than web and
mail addresses are unlinked (their text stays), and each ``<span lang>`` is given its implicit
role (``generic``) explicitly: Chromium writes a language (``/Lang``) only on the structure
elements of its accessibility tree, which leaves a plain span out, so a Bulgarian title or a
Greek name would be read out as English. A ``<figure>`` (a picture with its caption) is printed as
a group (``Div``): as a ``Figure`` it would be a figure without a text alternative around the
picture's own, which PDF/UA does not allow. A reprint that differs only in its timestamps
leaves the existing file alone.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from edcbridge.preview.pdf_finish import pdf_ua

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
ENV = "EDCBRIDGE_CHROMIUM"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
         "--disable-dev-shm-usage", "--remote-debugging-pipe")
# A4 in inches, 12 mm margins
_PRINT = {"printBackground": True, "paperWidth": 8.27, "paperHeight": 11.69, "marginTop": 0.47,
          "marginBottom": 0.47, "marginLeft": 0.47, "marginRight": 0.47, "preferCSSPageSize": True,
          "generateTaggedPDF": True, "generateDocumentOutline": True}
# Run in the page before printing (see the module docstring for why)
_PREPARE = """(() => {
  const style = document.createElement("style");
  style.textContent = "* { font-variant-ligatures: none !important; }";
  document.head.append(style);
  for (const span of document.querySelectorAll("body span[lang]:not([role]), body bdi[lang]:not([role])")) {
    span.setAttribute("role", "generic");
  }
  for (const figure of document.querySelectorAll("figure:not([role])")) figure.setAttribute("role", "group");
  const here = location.href.split("#")[0];
  for (const link of document.querySelectorAll("a[href], area[href]")) {
    let url;
    try { url = new URL(link.getAttribute("href"), document.baseURI); } catch { url = null; }
    const inPage = url !== null && url.hash !== "" && url.href.split("#")[0] === here;
    if (!inPage && !(url && ["http:", "https:", "mailto:"].includes(url.protocol))) {
      link.removeAttribute("href");
    }
  }
})()"""
# the print time Chromium writes into every PDF
_TIMESTAMPS = re.compile(rb"/(?:CreationDate|ModDate) *\(D:[0-9Z+\-']*\)")


class PdfError(RuntimeError):
    """PDF output failed; the message says how to fix it."""


def find_chromium() -> str:
    configured = os.environ.get(ENV)
    if configured:
        if not Path(configured).is_file():
            raise PdfError(f"{ENV}={configured} is not a file; point it at a Chromium binary")
        return configured
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    raise PdfError("PDF output needs headless Chromium, which is not installed: install it "
                   "(Debian/Ubuntu: apt-get install chromium) or set EDCBRIDGE_CHROMIUM to its path")


class PdfPrinter:
    """A headless Chromium for a batch of pages: ``with PdfPrinter() as p: p.print(html, pdf)``."""

    def __init__(self, timeout: float = 60.0) -> None:
        self.timeout = timeout
        binary = find_chromium()
        self._profile = tempfile.TemporaryDirectory(prefix="edcbridge-chromium-")
        commands_read, self._commands = os.pipe()
        self._replies, replies_write = os.pipe()

        def wire() -> None:  # in the child: Chromium reads commands on fd 3, answers on fd 4
            high_read = fcntl.fcntl(commands_read, fcntl.F_DUPFD, 10)
            high_write = fcntl.fcntl(replies_write, fcntl.F_DUPFD, 10)
            os.dup2(high_read, 3)
            os.dup2(high_write, 4)
            for fd in {commands_read, replies_write, high_read, high_write} - {3, 4}:
                os.close(fd)

        try:
            self._process = subprocess.Popen(
                [binary, *FLAGS, f"--user-data-dir={self._profile.name}", "about:blank"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                preexec_fn=wire, close_fds=False)
        except OSError as exc:
            self._profile.cleanup()
            os.close(self._commands)
            os.close(self._replies)
            raise PdfError(f"cannot start {binary}: {exc.strerror}; check the Chromium "
                           "installation") from None
        finally:
            os.close(commands_read)
            os.close(replies_write)
        self._buffer = b""
        self._next_id = 0

    def __enter__(self) -> PdfPrinter:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self._process.poll() is None:
            with contextlib.suppress(PdfError):
                self._send("Browser.close")
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        for fd in (self._commands, self._replies):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._profile.cleanup()

    # --- the DevTools protocol over the pipe ---

    def _message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([self._replies], [], [], max(remaining, 0))
            if not ready:
                raise PdfError(f"Chromium did not answer within {self.timeout:.0f}s; retry, or check that "
                               "the page opens in a browser")
            chunk = os.read(self._replies, 1 << 16)
            if not chunk:
                raise PdfError("Chromium stopped unexpectedly; run it by hand to see why "
                               "(e.g. chromium --headless --no-sandbox about:blank)")
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        message: dict[str, Any] = json.loads(raw)
        return message

    def _send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
              until_event: str | None = None) -> dict[str, Any]:
        self._next_id += 1
        request: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            request["sessionId"] = session
        os.write(self._commands, json.dumps(request).encode("utf-8") + b"\0")
        deadline = time.monotonic() + self.timeout
        result: dict[str, Any] | None = None
        seen_event = until_event is None
        while result is None or not seen_event:
            message = self._message(deadline)
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise PdfError(f"Chromium refused {method}: {message['error'].get('message')}")
                result = message.get("result", {})
            elif until_event and message.get("method") == until_event and message.get("sessionId") == session:
                seen_event = True
        return result

    def print(self, html_file: Path, pdf_file: Path) -> None:
        """Print one page to ``pdf_file`` (A4, backgrounds kept), written atomically."""
        target = self._send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self._send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        try:
            self._send("Page.enable", session=session)
            self._send("Page.navigate", {"url": html_file.resolve().as_uri()}, session,
                       until_event="Page.loadEventFired")
            prepared = self._send("Runtime.evaluate", {"expression": _PREPARE}, session)
            if "exceptionDetails" in prepared:
                raise PdfError(f"cannot prepare {html_file} for printing: "
                               f"{prepared['exceptionDetails'].get('text')}")
            title = self._send("Runtime.evaluate", {"expression": "document.title", "returnByValue": True},
                               session)["result"].get("value", "")
            data = base64.b64decode(self._send("Page.printToPDF", _PRINT, session)["data"])
        finally:
            self._send("Target.closeTarget", {"targetId": target})
        if not data.startswith(b"%PDF-"):
            raise PdfError(f"Chromium printed no PDF for {html_file}")
        data = pdf_ua(data, str(title))
        if _same_but_for_timestamps(pdf_file, data):
            return
        from edcbridge.output import write_atomic

        write_atomic(pdf_file, data)


def _same_but_for_timestamps(pdf_file: Path, data: bytes) -> bool:
    """Whether ``pdf_file`` already holds ``data`` printed at another time (so a re-run does not
    rewrite an unchanged PDF). Only a regular file of about that size is read: a named pipe or
    a device in its place is never read (it is replaced)."""
    try:
        if not pdf_file.is_file() or pdf_file.stat().st_size > 2 * len(data):
            return False
        existing = pdf_file.read_bytes()
    except OSError:
        return False
    return _TIMESTAMPS.sub(b"", existing) == _TIMESTAMPS.sub(b"", data)
