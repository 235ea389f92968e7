"""The preview page as a learner on a phone, a screen-reader user and a verifier see it.

Parsed with html.parser, and laid out by headless Chromium (puppeteer-core, tests/browser):
the page reflows at 320 CSS pixels, the focus indicator is visible, the print stylesheet keeps
the record and drops the skip link, the verdict comes before anything the credential shows
(its own image included) and is in the document title, and only web addresses become links.
"""

from __future__ import annotations

import json
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from edcbridge.mapping.edc import to_edc
from edcbridge.output import serialise
from edcbridge.preview import PreviewOptions, preview_file
from edcbridge.preview.render import render_html
from edcbridge.seal import Sealer, SealKey
from tests.conftest import REFERENCE, need_tool
from tests.preview_support import BROWSER, first_award
from tests.test_preview_browser import _issuers_pki


class _Tree(HTMLParser):
    """Start tags in document order, with their attributes, the element path and the title text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None], tuple[str, ...]]] = []
        self.stack: list[str] = []
        self.title = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs), tuple(self.stack)))
        if tag not in ("img", "meta", "br", "link"):
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        while self.stack and self.stack.pop() != tag:
            pass

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] == "title" and "svg" not in self.stack:
            self.title += data


def _parse(html: str) -> _Tree:
    tree = _Tree()
    tree.feed(html)
    return tree


def _doc(name: str = "wales") -> dict[str, Any]:
    award, catalogue = first_award(name)
    doc: dict[str, Any] = json.loads(serialise(to_edc(award, catalogue)))
    return doc


def test_the_verdict_comes_before_the_credentials_own_image() -> None:
    """The card image is the credential's: on a phone (no float) it must not stand above the
    seal's verdict, where an image saying "verified" would be read first."""
    tree = _parse(render_html(_doc()))
    order = [(t, a.get("class")) for t, a, _ in tree.tags if t == "img" or a.get("class") == "verdict"]
    assert order == [("p", "verdict"), ("img", "card")]


def test_the_card_image_is_captioned_as_the_credentials_own_unchecked_picture() -> None:
    """A picture the credential supplies may say "verified"; its caption says edcbridge did not
    check it and points to the verdict."""
    html = render_html(_doc())
    tree = _parse(html)
    img_at = next(i for i, (t, _, _) in enumerate(tree.tags) if t == "img")
    img_path = tree.tags[img_at][2]
    assert img_path[-1] == "figure"
    caption = html.split("<figcaption", 1)[1].split("</figcaption>", 1)[0]
    assert "not checked" in caption and "verdict" in caption
    assert html.index("<img") < html.index("<figcaption")


def test_the_card_images_alt_text_has_its_language() -> None:
    tree = _parse(render_html(_doc()))
    img = next(a for t, a, _ in tree.tags if t == "img")
    doc = _doc()
    title = doc["displayParameter"]["title"]
    assert img.get("lang") in title and img.get("alt") == title[img["lang"]]


@pytest.mark.parametrize("tamper", [False, True])
def test_the_document_title_says_the_verdict(tmp_path: Path, tamper: bool) -> None:
    """A tab, a bookmark, a PDF's title and the first thing a screen reader says: the verdict."""
    assert _parse(render_html(_doc())).title.startswith("Seal: NOT SEALED — ")
    sealed = _sealed(tmp_path)
    if tamper:
        signed = json.loads(sealed.read_text("utf-8"))
        signed["payload"] = signed["payload"].replace("Aberystwyth", "Oxford")
        sealed.write_text(json.dumps(signed), encoding="utf-8")
    page = preview_file(sealed, tmp_path / "pages").html
    expected = "INVALID" if tamper else "UNCONFIRMED"
    assert _parse(page.read_text("utf-8")).title.startswith(f"Seal: {expected} — ")


def test_only_web_addresses_become_links() -> None:
    doc = _doc()
    claim = doc["credentialSubject"]["hasClaim"]
    claim = claim[0] if isinstance(claim, list) else claim
    claim["specifiedBy"]["homepage"] = [
        {"type": "WebResource", "contentURL": "httpx:alert(1)", "title": {"en": "odd"}},
        {"type": "WebResource", "contentURL": "javascript:alert(1)", "title": {"en": "script"}},
        {"type": "WebResource", "contentURL": "https://ok.example/", "title": {"en": "fine"}}]
    hrefs = [a.get("href") or "" for t, a, _ in _parse(render_html(doc)).tags if t == "a"]
    assert "https://ok.example/" in hrefs
    assert all(h.startswith(("#", "http://", "https://", "mailto:")) for h in hrefs), hrefs


def _sealed(tmp_path: Path) -> Path:
    award, catalogue = first_award("wales")
    pki = _issuers_pki(catalogue)
    sealer = Sealer(SealKey(pki.seal.key, pki.seal.certificate, (pki.root.certificate,)))
    sealed = tmp_path / "sealed.jsonld"
    sealed.write_text(sealer.seal(serialise(to_edc(award, catalogue)).decode("utf-8")), encoding="utf-8")
    return sealed


_LAYOUT = """
import { readFileSync } from "node:fs";
import puppeteer from "puppeteer-core";
const config = JSON.parse(readFileSync(process.argv[1], "utf8"));
const browser = await puppeteer.launch({ executablePath: config.chromium, headless: true, pipe: true,
  userDataDir: config.profile, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
const luminance = (rgb) => {
  const [r, g, b] = rgb.match(/[\\d.]+/g).slice(0, 3).map(Number).map((c) => c / 255)
    .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
try {
  for (const file of config.files) {
    const page = await browser.newPage();
    await page.setViewport({ width: 320, height: 640 });
    await page.goto(new URL(`file://${file}`).href, { waitUntil: "load" });
    const narrow = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth, width: document.documentElement.clientWidth,
      wide: [...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right >
        document.documentElement.clientWidth + 1 && e.getBoundingClientRect().width > 0)
        .map((e) => e.tagName + "." + e.className).slice(0, 5) }));
    await page.evaluate(() => document.querySelectorAll("details").forEach((d) => { d.open = true; }));
    const opened = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth, width: document.documentElement.clientWidth }));
    await page.evaluate(() => document.querySelectorAll("details").forEach((d) => { d.open = false; }));
    await page.setViewport({ width: 1100, height: 900 });
    await page.keyboard.press("Tab");
    const focus = await page.evaluate(() => {
      const s = getComputedStyle(document.activeElement);
      return { tag: document.activeElement.tagName, style: s.outlineStyle, width: parseFloat(s.outlineWidth),
               color: s.outlineColor, page: getComputedStyle(document.body).backgroundColor };
    });
    const [a, b] = [luminance(focus.color), luminance(focus.page)].sort((x, y) => y - x);
    focus.contrast = (a + 0.05) / (b + 0.05);
    await page.emulateMediaType("print");
    const print = await page.evaluate(() => ({
      skip: document.querySelector("a[href='#main']").getBoundingClientRect().height,
      record: document.querySelector("section[aria-labelledby=record] details dl")
        ?.checkVisibility() ?? null,
      split: [...document.querySelectorAll("tr, li, dl.facts > dd, dl.tree > dd")]
        .filter(e => getComputedStyle(e).breakInside !== "avoid").length,
      orphaned: [...document.querySelectorAll("h1, h2, h3, caption")]
        .filter(e => getComputedStyle(e).breakAfter !== "avoid").length }));
    console.log(JSON.stringify({ file, narrow, opened, focus, print }));
    await page.close();
  }
} finally {
  await browser.close();
}
"""


@pytest.fixture(scope="module")
def laid_out(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Sealed (a checks table, a long verification link), unsealed, and the EC's samples."""
    work = tmp_path_factory.mktemp("layout")
    chromium, node = need_tool("chromium"), need_tool("node")
    if not (BROWSER / "node_modules" / "puppeteer-core").is_dir():
        pytest.fail(f"npm puppeteer-core is missing: run `npm ci` in {BROWSER}")
    options = PreviewOptions(verify_url="https://verify.example.ac.uk/{id}")
    used: set[str] = set()
    pages = {"sealed": preview_file(_sealed(work), work / "pages", options, used).html}
    plain = work / "plain.jsonld"
    plain.write_bytes(serialise(to_edc(*first_award("sofia"))))
    pages["plain"] = preview_file(plain, work / "pages", options, used).html
    long_word = _doc("sofia")
    long_word["displayParameter"]["title"] = {"de": "Datenschutzgrundverordnungsbeauftragtenausbildung"}
    compound = work / "long-word.jsonld"
    compound.write_text(json.dumps(long_word), encoding="utf-8")
    pages["long-word"] = preview_file(compound, work / "pages", options, used).html
    for sample in sorted(REFERENCE.glob("examples/elm-repo-v3-jsonld/*.json*"))[:2]:
        pages[sample.name] = preview_file(sample, work / "pages", options, used).html
    config = work / "layout.json"
    config.write_text(json.dumps({"chromium": chromium, "profile": str(work / "profile"),
                                  "files": [str(p) for p in pages.values()]}), encoding="utf-8")
    result = subprocess.run([node, "--input-type=module", "-e", _LAYOUT, str(config)], cwd=BROWSER,
                            capture_output=True, text=True, check=False, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == len(pages), result.stderr[-3000:]
    return dict(zip(pages, lines, strict=True))


def test_reflows_at_320_pixels_without_sideways_scrolling(laid_out: dict[str, dict[str, Any]]) -> None:
    """WCAG 1.4.10: nothing wider than a 320 px phone (the verification link, the tables)."""
    assert len(laid_out) >= 3
    for name, seen in laid_out.items():
        narrow = seen["narrow"]
        assert narrow["scroll"] <= narrow["width"], (name, narrow)


def test_reflows_at_320_pixels_with_the_full_record_open(laid_out: dict[str, dict[str, Any]]) -> None:
    """WCAG 1.4.10 once the learner opens "Show the full record": its nested levels are indented
    less on a narrow screen, so the deepest (an address of an accrediting agent) still fits."""
    for name, seen in laid_out.items():
        assert seen["opened"]["scroll"] <= seen["opened"]["width"], (name, seen["opened"])


def test_focus_indicator_contrasts_with_the_page(laid_out: dict[str, dict[str, Any]]) -> None:
    """WCAG 1.4.11: the keyboard focus outline at least 3:1 against the white page."""
    for name, seen in laid_out.items():
        focus = seen["focus"]
        assert focus["tag"] == "A" and focus["style"] != "none" and focus["width"] >= 2, (name, focus)
        assert focus["contrast"] >= 3, (name, focus)


def test_printing_the_page_keeps_the_record_and_drops_the_skip_link(
        laid_out: dict[str, dict[str, Any]]) -> None:
    """Printed from a browser (not --pdf): the closed full record is printed, not lost with its
    hidden summary, and the skip link, which does nothing on paper, is left out."""
    for name, seen in laid_out.items():
        assert seen["print"]["skip"] == 0, (name, seen["print"])
        assert seen["print"]["record"] is True, (name, seen["print"])


def test_printing_keeps_rows_and_items_whole_and_headings_with_what_follows(
        laid_out: dict[str, dict[str, Any]]) -> None:
    """On paper (and in --pdf) a table row, a list item or a fact cut by a page break reads as
    two; a heading left alone at the foot of a page names nothing."""
    for name, seen in laid_out.items():
        assert seen["print"]["split"] == 0 and seen["print"]["orphaned"] == 0, (name, seen["print"])

