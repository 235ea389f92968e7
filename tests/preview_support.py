"""Helpers shared by the preview, badges and stacking tests: fixture awards, seals, Node peers."""

from __future__ import annotations

import json
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from edcbridge.load import iter_awards, load_catalogue
from edcbridge.model import Award, Catalogue
from edcbridge.seal import devpki
from edcbridge.seal.keys import SealKey
from tests.conftest import FIXTURES, need_tool

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
BROWSER = Path(__file__).resolve().parent / "browser"
PEERS = Path(__file__).resolve().parent / "peers"


@cache
def fixture_pairs() -> tuple[tuple[str, Award, Catalogue], ...]:
    """(fixture set, award, catalogue) for every award of every bundled fixture set."""
    from edcbridge.demo import fixture_sets

    pairs = []
    for catalogue_path, award_files in fixture_sets(FIXTURES):
        catalogue = load_catalogue(catalogue_path)
        for path in award_files:
            for row in iter_awards(path, catalogue):
                assert row.award is not None, [e.render() for e in row.errors]
                pairs.append((catalogue_path.parent.name, row.award, catalogue))
    return tuple(pairs)


def first_award(fixture_set: str) -> tuple[Award, Catalogue]:
    return next((a, c) for name, a, c in fixture_pairs() if name == fixture_set)


@cache
def make_key(algorithm: str = "RS256") -> SealKey:
    """A TEST seal key (RSA, or EC P-256 for ES256) with its chain."""
    pki = devpki.generate()
    if algorithm != "ES256":
        return SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,))
    return devpki.ec_seal_key(pki)


def run_jose(script: str, files: list[Path]) -> tuple[list[dict[str, Any]], int]:
    """Run a Node module ``script`` using npm jose (tests/peers) over ``files``: the JSON line
    it prints per file, and its exit code."""
    node = need_tool("node")
    if not (PEERS / "node_modules" / "jose").is_dir():
        pytest.fail(f"npm jose is missing: run `make peers` (npm ci in {PEERS})")
    result = subprocess.run([node, "--input-type=module", "-e", script, *map(str, files)],
                            cwd=PEERS, capture_output=True, text=True, check=False, timeout=120)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == len(files), result.stderr
    return lines, result.returncode


def browser_check(pages: list[dict[str, str]], workdir: Path) -> list[dict[str, Any]]:
    """Load pages in headless Chromium (puppeteer-core), run axe-core; one result per page."""
    chromium = need_tool("chromium")
    node = need_tool("node")
    for package in ("puppeteer-core", "axe-core"):
        if not (BROWSER / "node_modules" / package).is_dir():
            pytest.fail(f"npm {package} is missing: run `npm ci` in {BROWSER}")
    config = workdir / "browser-config.json"
    config.write_text(json.dumps({"chromium": chromium, "profile": str(workdir / "chromium-profile"),
                                  "pages": pages}), encoding="utf-8")
    result = subprocess.run([node, str(BROWSER / "check-pages.mjs"), str(config)], cwd=BROWSER,
                            capture_output=True, text=True, check=False, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == len(pages), result.stderr[-3000:]
    return lines


_WRAP_SCRIPT = """
import { readFileSync } from "node:fs";
import puppeteer from "puppeteer-core";
const config = JSON.parse(readFileSync(process.argv[1], "utf8"));
const browser = await puppeteer.launch({ executablePath: config.chromium, headless: true, pipe: true,
  userDataDir: config.profile, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
try {
  const page = await browser.newPage();
  await page.goto(new URL(`file://${config.file}`).href, { waitUntil: "load" });
  const split = [];
  for (const width of config.widths) {
    await page.setViewport({ width, height: 800 });
    const lines = await page.evaluate((needle) => {
      let most = 0;
      for (const block of document.querySelectorAll("p, td")) {
        const at = block.textContent.indexOf(needle);
        if (at < 0 || [...block.children].some((c) => ["P", "TD"].includes(c.tagName))) continue;
        const range = document.createRange();
        const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
        let offset = 0, node, started = false;
        while ((node = walker.nextNode())) {
          const end = offset + node.textContent.length;
          if (!started && at < end) { range.setStart(node, at - offset); started = true; }
          const last = at + needle.length;
          if (started && last <= end) { range.setEnd(node, last - offset); break; }
          offset = end;
        }
        const boxes = [...range.getClientRects()].filter((r) => r.width > 0);
        const tops = new Set(boxes.map((r) => Math.round(r.top)));
        most = Math.max(most, tops.size);
      }
      return most;
    }, config.needle);
    if (lines !== 1) split.push(width);
  }
  console.log(JSON.stringify(split));
} finally {
  await browser.close();
}
"""


def widths_splitting(page: Path, needle: str, widths: list[int], workdir: Path) -> list[int]:
    """The window widths (CSS pixels) at which Chromium lays ``needle``, found in a paragraph or
    table cell of ``page``, out over more than one line (or finds it nowhere)."""
    chromium = need_tool("chromium")
    node = need_tool("node")
    if not (BROWSER / "node_modules" / "puppeteer-core").is_dir():
        pytest.fail(f"npm puppeteer-core is missing: run `npm ci` in {BROWSER}")
    config = workdir / "wrap-config.json"
    config.write_text(json.dumps({"chromium": chromium, "profile": str(workdir / "wrap-profile"),
                                  "file": str(page), "needle": needle, "widths": widths}), encoding="utf-8")
    result = subprocess.run([node, "--input-type=module", "-e", _WRAP_SCRIPT, str(config)], cwd=BROWSER,
                            capture_output=True, text=True, check=False, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    split: list[int] = json.loads(result.stdout)
    return split
