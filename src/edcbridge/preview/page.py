"""The preview page: one self-contained, script-free HTML document per credential.

Accessibility (WCAG 2.1 AA): landmarks and one heading outline, tables with headers and
captions, every credential text marked with its ``lang``, text contrast of at least 7:1 for
body text and 4.5:1 elsewhere, status never shown by colour alone, and the whole record
readable without JavaScript (collapsed parts use ``<details>``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from edcbridge.folder_files import PREVIEW_TITLE_END
from edcbridge.preview.annex import Element, annex1_elements, claims, get
from edcbridge.preview.describe import Reader, direction, is_language_map, language_name
from edcbridge.preview.markup import Html, esc, join, shown_controls, tag
from edcbridge.validation.annex1 import only_activities
from edcbridge.validation.document import as_list

Doc = dict[str, Any]

CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #1a1a1a;
  background: #ffffff; margin: 0; line-height: 1.5; font-size: 1rem; }
header, main, footer { max-width: 60rem; margin: 0 auto; padding: 1rem 1.5rem; }
header { border-bottom: 4px solid #003399; display: flow-root; }
.kicker { color: #3d3d3d; font-size: .9rem; margin: 0; }
h1 { font-size: 1.8rem; margin: .25rem 0; color: #00205b; }
h2 { font-size: 1.35rem; margin-top: 2rem; color: #00205b; border-bottom: 1px solid #c8c8c8; }
h3 { font-size: 1.15rem; margin-top: 1.5rem; color: #1a1a1a; }
h4, h5, h6 { font-size: 1rem; margin-top: 1rem; }
h1, h2, h3, h4, h5, h6 { overflow-wrap: anywhere; }
a { color: #0b4f9c; }
a:focus, summary:focus { outline: 3px solid #1a1a1a; outline-offset: 2px; background: #ffbf47;
  color: #1a1a1a; }
dl.facts { display: grid; grid-template-columns: minmax(9rem, 16rem) 1fr; gap: .25rem 1rem; margin: .5rem 0; }
dl.facts > dt { font-weight: bold; }
dl.facts > dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
caption { text-align: left; font-weight: bold; padding: .25rem 0; }
th, td { border: 1px solid #8a8a8a; padding: .35rem .5rem; text-align: left; vertical-align: top;
  overflow-wrap: anywhere; }
table.checks th[scope=row], td.req { white-space: nowrap; }
th[scope=col] { word-break: normal; overflow-wrap: normal; }
table.annex th[scope=row] { width: 30%; }
th { background: #eef1f7; }
.status { font-weight: bold; padding: 0 .35rem; border-radius: .2rem; white-space: nowrap; }
.status-ok { background: #e3f2e6; color: #0b5323; }
.status-error { background: #fbe4e4; color: #8a1111; }
.status-skipped, .status-none { background: #eeeeee; color: #333333; }
.status-check, .status-unconfirmed { background: #fff1cc; color: #5c3d00; }
.verdict { font-size: 1.05rem; margin: .5rem 0; }
.missing { color: #6b0000; font-style: italic; }
.muted { color: #4a4a4a; }
.verify { display: flex; gap: 1.5rem; align-items: flex-start; flex-wrap: wrap; }
.verify > p { flex: 1 1 12rem; min-width: 0; overflow-wrap: anywhere; }
figure { margin: 0; }
figcaption { font-size: .9rem; max-width: 16rem; overflow-wrap: anywhere; }
.card-figure { max-width: 14rem; float: right; margin: 0 0 1rem 1rem; }
.card { display: block; max-width: 100%; height: auto; border: 1px solid #c8c8c8; }
details { margin: .5rem 0; }
summary { cursor: pointer; font-weight: bold; }
dl.tree { margin: .25rem 0 .25rem 1rem; padding-left: .75rem; border-left: 2px solid #d5d5d5; }
dl.tree > dt { font-weight: bold; margin-top: .25rem; }
dl.tree > dd { margin: 0 0 0 .5rem; overflow-wrap: anywhere; }
ul.plain { margin: 0; padding-left: 1.2rem; }
.t { white-space: pre-line; }
code.option { white-space: nowrap; }
footer { border-top: 1px solid #c8c8c8; color: #3d3d3d; font-size: .9rem; }
@media (max-width: 30rem) {
  header, main, footer { padding: .75rem; }
  dl.facts { grid-template-columns: 1fr; } dl.facts > dd { margin-bottom: .5rem; }
  th, td { padding: .25rem .3rem; } table.checks { font-size: .85rem; }
  table.checks th[scope=row], td.req { white-space: normal; } .status { white-space: normal; }
  .card-figure { float: none; margin: 0 0 1rem; }
  dl.tree { margin-left: 0; padding-left: .4rem; } dl.tree > dd { margin-left: 0; } }
@media print { .skip { display: none; } details > summary { display: none; }
  details::details-content { content-visibility: visible; display: block; }
  .card-figure { max-width: 9rem; } a { color: #000; }
  tr, figure, li, dl.facts > dt, dl.facts > dd, dl.tree > dt, dl.tree > dd { break-inside: avoid; }
  h1, h2, h3, h4, h5, h6, caption, dt { break-after: avoid; } thead { display: table-header-group; } }
"""

_SKIP_KEYS = {"@context"}
# word breaks in a property name: "hasPart", "contentURL", "eIDASIdentifier" (a one-letter prefix stays)
# word breaks in a camel-case name: before a capital after two small letters (eIDAS stays whole)
# or after a capital and a small letter (dateOfBirth), inside a run of capitals before a word
# (ESCOSkill), and before digits (ShaclValidator2017)
_WORD = re.compile(r"(?<=[a-z0-9]{2})(?=[A-Z])|(?<=[A-Z][a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])"
                   r"|(?<=[A-Za-z]{2})(?=[0-9])")
# acronyms ELM writes in small letters (eqfLevel, ShaclValidator2017, idVerification)
_ACRONYMS = {"eqf": "EQF", "nqf": "NQF", "shacl": "SHACL", "esco": "ESCO", "isced": "ISCED", "ects": "ECTS",
             "url": "URL", "id": "ID", "dc": "DC"}


_REVOKED = re.compile(r"certificate revoked on|credential (revoked|suspended) per")
# a SEAL reason for a seal whose algorithm is not checked here: CHECK, as verify says (xades.UNCHECKED)
_UNCHECKED = re.compile(r"\bcannot be checked here\b")
# a command-line option in a sentence of ours, e.g. "--trust-anchor"
_OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
# the FORMAT check's words: "3 violation(s); first: $.displayParameter.individualDisplay[0]...: ..."
_VIOLATIONS = re.compile(r"^(\d+) violation\(s\); first: (?:\$\.)?([^:]*):")
# where a format violation is, in the reader's words, by the start of its path (longest first)
_PARTS = (("credentialSubject.hasClaim", "what it says was achieved"),
          ("credentialSubject", "what it says about the learner"),
          ("displayParameter", "how it is to be displayed"),
          ("issuer", "what it says about the issuer"),
          ("credentialSchema", "its reference to the official format"),
          ("credentialStatus", "its revocation information"),
          ("evidence", "its evidence"),
          ("validFrom", "its dates"), ("validUntil", "its dates"), ("expirationDate", "its dates"),
          ("issued", "its dates"), ("issuanceDate", "its dates"))
_VERDICT_CLASS = {"INVALID": "error", "CHECK": "check", "UNCONFIRMED": "unconfirmed", "VALID": "ok",
                  "NOT SEALED": "none", "DRAFT": "none"}
_CARD_CAPTION = ("The credential's own picture: edcbridge has not checked what it shows. The seal "
                 "verdict is at the top of this page.")
_NAMED_LANGUAGES = 5  # more languages than this are listed by code alone
DRAFT_FORM = "draft"  # SealStatus.form of a page rendered from the records, before sealing


@dataclass(frozen=True)
class SealStatus:
    """The outcome of ``verify`` for a sealed credential: check name -> (status, reason)."""

    form: str
    checks: dict[str, tuple[str, str]]
    anchored: bool = False  # checked against trust anchors: a valid seal names a known sealer
    note: str | None = None  # e.g. "sealed by another organisation than the credential's issuer: ..."
    sealer: str | None = None  # the organisation the seal certificate names, said with the verdict
    test: str = ""  # the name by which the seal certificate says it is for tests, if it does

    @property
    def verdict(self) -> tuple[str, str]:
        """One word and one sentence for the top of the page, the worst finding first, the word
        that of ``verify``: INVALID only when the seal, its timestamp, the certificate it names or
        a revocation says so; other errors (the official
        shapes, a validity date, revocation data that cannot be confirmed) ask for a CHECK."""
        if self.form == DRAFT_FORM:
            return "DRAFT", ("Rendered from the records before sealing, for checking: the sealed file is "
                             "the credential.")
        errors = {name: reason for name, (state, reason) in self.checks.items() if state == "ERROR"}
        broken = {"SEAL", "TIMESTAMP", "CERTIFICATE"} & errors.keys()
        revoked = bool(_REVOKED.search(errors.get("REVOCATION", "")))
        if broken == {"SEAL"} and _UNCHECKED.search(errors["SEAL"]) and not revoked:
            return "CHECK", ("The seal could not be checked here (see the SEAL row): it is neither confirmed "
                             "nor shown broken; check it with another validator, such as the EU DSS "
                             "demonstration, before relying on it.")
        if broken or revoked:
            return "INVALID", "The seal does not verify, or was revoked: do not rely on this credential."
        if errors:
            name, reason = next(iter(errors.items()))
            if name == "FORMAT":
                return "CHECK", f"The seal is intact, but {format_words(reason)}."
            if name == "EXPIRY":  # the words of verify: a claimed signing time proves nothing
                from edcbridge.seal.verify import expiry_words

                return "CHECK", f"The seal is intact, but {expiry_words(reason)} (see the EXPIRY row)."
            return "CHECK", f"The seal is intact, but {name} says: {reason}."
        by = f" Sealed by {self.sealer}." if self.sealer else ""
        if self.test:
            by += f" Its certificate says '{self.test}': a TEST seal, not a real one."
        if self.note:
            return "CHECK", f"The seal is intact, but {self.note}.{by}"
        if not self.anchored:
            return "UNCONFIRMED", ("The seal is intact, but who made it was not checked against a trust "
                                   "anchor: anyone can make a seal in any name. Verify with the "
                                   f"issuer's CA certificate (--trust-anchor) before relying on it.{by}")
        return "VALID", f"The seal is valid and made with a certificate that chains to a trust anchor.{by}"


def format_words(reason: str) -> str:
    """What a FORMAT error means for a reader; the validator's own words stay in the table of
    checks, for whoever wants them."""
    found = _VIOLATIONS.match(reason)
    count = int(found.group(1)) if found else 0
    where = _part(found.group(2).strip()) if found else None
    places = f" in {count} place{'s' if count != 1 else ''}" if count else ""
    first = f", {'the first ' if count > 1 else ''}in {where}" if where else ""
    return (f"the credential does not follow the official EDC format{places}{first}. EDC wallets and "
            "viewers may refuse it or show it differently from this page; the technical detail is in "
            "the FORMAT row of the verification checks below")


def _part(path: str) -> str | None:
    """The part of a credential a property path is in, as words (None when it has no name)."""
    return next((words for prefix, words in _PARTS if re.match(rf"{re.escape(prefix)}(?!\w)", path)), None)


def said(text: str, name: str | None = None) -> Html:
    """A sentence of ours as HTML: direction controls written out, and each command-line option
    kept on one line (``--trust-anchor`` broken after its hyphen reads as two words). A ``name``
    it quotes (the sealer's) is isolated in ``<bdi>``: a right-to-left name with a number after
    it would otherwise be shown with the number first."""
    if name and f" {name}." in text:
        before, _, after = text.partition(f" {name}.")
        return join([said(before), esc(" "), tag("bdi", shown_controls(name)), said("." + after)])
    text = shown_controls(text)
    parts: list[Html] = []
    last = 0
    for found in _OPTION.finditer(text):
        parts += [esc(text[last:found.start()]), tag("code", found.group(), class_="option")]
        last = found.end()
    parts.append(esc(text[last:]))
    return join(parts)


@dataclass(frozen=True)
class Verification:
    """Where to verify the credential: a link (and its QR code as SVG), or only the id."""

    url: str | None
    credential_id: str
    qr_svg: str | None


def node_at(doc: Doc, key: str) -> Doc:
    """The object under ``key``, or an empty one."""
    value = doc.get(key)
    return value if isinstance(value, dict) else {}


def human(key: str) -> str:
    """A property or class name as words; acronyms (ESCO, URL, eIDAS) keep their capitals."""
    words = [w if _acronym(w) else _ACRONYMS.get(w.lower(), w.lower())
             for w in _WORD.sub(" ", key).replace("_", " ").split()]
    if not words:
        return key
    first = words[0] if _acronym(words[0]) or words[0] in _ACRONYMS.values() else words[0].capitalize()
    return " ".join([first, *words[1:]])


def class_words(value: Any) -> str:
    """The class name(s) of a node's ``type``, one or a list, as words."""
    return ", ".join(human(str(kind)) for kind in as_list(value))


def _acronym(word: str) -> bool:
    return any(c.isupper() for c in word[1:])


def page_languages(doc: Doc) -> list[str]:
    """The credential's languages, primary first: displayParameter, else the claim titles'."""
    from edcbridge.preview.describe import language_code

    display = node_at(doc, "displayParameter")
    concepts = [*as_list(display.get("primaryLanguage")), *as_list(display.get("language"))]
    iris = [c.get("id") if isinstance(c, dict) else c for c in concepts]  # a node, or its IRI alone
    found = [lang for lang in (language_code(iri) for iri in iris if isinstance(iri, str)) if lang]
    if not found:
        for claim in claims(doc):
            if is_language_map(claim.get("title") if isinstance(claim, dict) else None):
                found.extend(claim["title"])
    ordered: list[str] = []
    for lang in found or ["en"]:
        if lang not in ordered:
            ordered.append(lang)
    return ordered


def text_languages(doc: Doc) -> list[str]:
    """Every language the credential gives a text in, in the order met."""
    found: list[str] = []
    stack: list[Any] = [doc]
    while stack:
        node = stack.pop()
        if is_language_map(node):
            found += [lang for lang in node if lang not in found]
        elif isinstance(node, dict):
            stack += reversed(list(node.values()))
        elif isinstance(node, list):
            stack += reversed(node)
    return found


def _moment(value: Any) -> datetime | None:
    """An xsd:dateTime (or date) as an aware datetime; one without a zone is taken as UTC."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def title_of(doc: Doc) -> dict[str, Any] | None:
    display = doc.get("displayParameter")
    if isinstance(display, dict) and is_language_map(display.get("title")):
        return dict(display["title"])
    for claim in claims(doc):
        if isinstance(claim, dict) and is_language_map(claim.get("title")):
            return dict(claim["title"])
    return None


def get_unique(doc: Doc, path: str) -> list[Any]:
    """The values at ``path`` under every claim of ``doc``, each once."""
    found: list[Any] = []
    for value in (v for c in claims(doc) for v in get(c, path)):
        if value not in found:
            found.append(value)
    return found


class _Page:
    def __init__(self, doc: Doc, languages: list[str], for_print: bool, notes: list[str],
                 chosen: bool = False) -> None:
        self.doc = doc
        self.chosen = chosen  # the languages were chosen for the page, not the credential's
        self.notes = notes
        self.r = Reader(languages)
        self.for_print = for_print
        self.seen: set[str] = set()

    def facts(self, rows: list[tuple[str, Html]]) -> Html:
        items = [join([tag("dt", label), tag("dd", value)]) for label, value in rows if value]
        return tag("dl", *items, class_="facts") if items else Html("")

    # --- sections ---

    def verdict(self, status: SealStatus | None) -> Html:
        """The seal's verdict where it is seen first, before anything the credential claims."""
        word, sentence = status.verdict if status is not None else (
            "NOT SEALED", "This file carries no electronic seal: it is not proof of the award.")
        badge = tag("span", word, class_=f"status status-{_VERDICT_CLASS[word]}")
        sealer = status.sealer if status is not None else None
        return tag("p", join([esc("Seal: "), badge, esc(" "), said(sentence, sealer)]), class_="verdict",
                   role="status")

    def header(self, source: str, status: SealStatus | None = None) -> Html:
        title = title_of(self.doc)
        display = node_at(self.doc, "displayParameter")
        image = self.card_image(display, title)
        parts = [tag("p", "European Digital Credential — preview", class_="kicker"), self.verdict(status),
                 image, tag("h1", self.r.text(title) if title else esc("Credential"))]
        if is_language_map(display.get("description")):
            parts.append(tag("p", self.r.text(display["description"])))
        parts.append(self.awarded())
        if source:
            parts.append(tag("p", join([esc("File: "), tag("code", source)]), class_="muted"))
        parts += [tag("p", join([tag("strong", "Note: "), esc(note[:1].upper() + note[1:] + ".")]))
                  for note in self.notes]
        return tag("header", *parts)

    def awarded(self) -> Html:
        """Who was awarded, by whom: the awarding bodies of the claims, and the issuer too when
        another organisation issued the credential (issuing by mandate)."""
        learner = self.r.person(node_at(self.doc, "credentialSubject"))
        issuer = self.r.name(self.doc.get("issuer"))
        bodies: list[Html] = []
        for body in (self.r.name(b) for b in get_unique(self.doc, "awardedBy.awardingBody")):
            if body and body not in bodies:
                bodies.append(body)
        parts = [esc("Awarded to "), tag("strong", learner or "—"), esc(" by "),
                 join([tag("strong", b) for b in bodies or [issuer or esc("—")]], ", ")]
        if issuer and bodies and issuer not in bodies:
            parts += [esc("; credential issued by "), tag("strong", issuer)]
        return tag("p", join(parts))

    def card_image(self, display: dict[str, Any], title: dict[str, Any] | None) -> Html:
        for media in get(display, "individualDisplay.displayDetail.image"):
            content = media.get("content") if isinstance(media, dict) else None
            kind = get(media, "contentType.id")
            mime = "image/jpeg" if kind and str(kind[0]).endswith("JPEG") else "image/png"
            if isinstance(content, str) and content:
                lang, alt = self.r.pick(title) if title else ("en", "Credential image")
                image = Html(f'<img class="card" src="data:{mime};base64,{esc(content)}" alt="{esc(alt)}" '
                             f'lang="{esc(lang)}" dir="{direction(lang)}">')
                # the credential supplies the picture, and a picture can say anything ("verified")
                return tag("figure", image, tag("figcaption", _CARD_CAPTION, class_="muted"),
                           class_="card-figure")
        return Html("")

    def summary(self) -> Html:
        d = self.doc
        subject = node_at(d, "credentialSubject")
        rows = [
            ("Learner", self.r.person(subject)),
            ("Date of birth", self.r.values(as_list(subject.get("dateOfBirth")))),
            ("Learner identifier", self.r.values(as_list(subject.get("identifier")))),
            ("Issuer", self.r.name(d.get("issuer"))),
            ("Issued", self.r.values(as_list(d.get("issued") or d.get("issuanceDate")))),
            ("Valid from", self.when(d.get("validFrom"), "not valid yet", ahead=True)),
            ("Valid until", self.when(d.get("validUntil") or d.get("expirationDate"), "expired", ahead=False)
             or esc("no expiry date")),
            ("Credential type", self.r.values(as_list(d.get("credentialProfiles")))),
            ("Credential number", self.r.values(as_list(d.get("identifier")))),
            ("Credential id", tag("code", d.get("id", ""))),
            ("Languages", esc(", ".join(map(language_name, self.r.languages)))),
        ]
        return tag("section", tag("h2", "Summary", id="summary"), self.facts(rows),
                   aria_labelledby="summary")

    def when(self, value: Any, warning: str, *, ahead: bool) -> Html:
        """A validity date, with ``warning`` when it is still ahead (``ahead``) or already past:
        an unsealed copy runs no EXPIRY check, so the page itself must say it."""
        shown = self.r.values(as_list(value))
        moment = _moment(value)
        if not shown or moment is None or (moment > datetime.now(UTC)) != ahead:
            return shown
        return join([shown, esc(" "), tag("strong", f"({warning})")])

    def seal(self, status: SealStatus | None, verification: Verification) -> Html:
        if status is not None and status.form == DRAFT_FORM:
            body = tag("p", join([tag("span", "DRAFT", class_="status status-none"),
                                  esc(" " + status.verdict[1])]))
        elif status is None:
            body = tag("p", join([tag("span", "NOT SEALED", class_="status status-none"),
                                  esc(" This file carries no electronic seal: it is a draft or a copy "
                                      "for reading, not proof of the award.")]))
        else:
            rows = [tag("tr", tag("th", name, scope="row"),
                        tag("td", tag("span", state, class_=f"status status-{state.lower()}")),
                        tag("td", said(reason)))
                    for name, (state, reason) in status.checks.items()]
            verdict, sentence = status.verdict
            body = join([
                tag("p", join([esc("Seal form: "), tag("strong", status.form), esc(". Overall: "),
                               tag("span", verdict, class_=f"status status-{_VERDICT_CLASS[verdict]}"),
                               esc(" "), said(sentence, status.sealer)])),
                tag("table", tag("caption", "Verification checks"),
                    tag("thead", tag("tr", tag("th", "Check", scope="col"), tag("th", "Status", scope="col"),
                                     tag("th", "Details", scope="col"))),
                    tag("tbody", *rows), class_="checks")])
        return tag("section", tag("h2", "Seal and verification", id="seal"), body,
                   self.verify_block(verification), aria_labelledby="seal")

    def verify_block(self, v: Verification) -> Html:
        if v.url:
            text = join([esc("Verify this credential at "), tag("a", v.url, href=v.url), esc(".")])
        else:
            text = join([esc("Verify the sealed file with "), tag("code", "edcbridge verify FILE"),
                         esc(" or a European Digital Credentials viewer. Credential id: "),
                         tag("code", v.credential_id)])
        figure = Html("")
        if v.qr_svg:
            caption = "QR code: verification link" if v.url else "QR code: credential id"
            figure = tag("figure", Html(v.qr_svg), tag("figcaption", caption))
        return tag("div", figure, tag("p", text), class_="verify")

    def annex1(self) -> Html:
        if only_activities(self.doc):  # a certificate of participation is no micro-credential
            return Html("")
        rows = []
        for element in annex1_elements(self.doc):
            rows.append(tag("tr", tag("th", element.name, scope="row"),
                            tag("td", "mandatory" if element.mandatory else "optional", class_="req"),
                            tag("td", self.element_value(element))))
        table = tag("table",
                    tag("caption", "Elements of Annex I of the Council Recommendation on micro-credentials "
                        "(2022/C 243/02)"),
                    tag("thead", tag("tr", tag("th", "Element", scope="col"),
                                     tag("th", "Status", scope="col"),
                                     tag("th", "In this credential", scope="col"))),
                    tag("tbody", *rows), class_="annex")
        return tag("section", tag("h2", "Micro-credential elements (Annex I)", id="annex1"), table,
                   aria_labelledby="annex1")

    def element_value(self, element: Element) -> Html:
        values = element.values
        if element.name == "Identification of the learner" and values:
            person = values[0]
            parts = [self.r.person(person)] + [self.r.value(i) for i in as_list(person.get("identifier"))]
            return join([p for p in parts if p], "; ")
        shown = self.r.values(values, sep="list") if values else Html("")
        if element.partial_flag is not None:
            flag = esc(f"part of a larger qualification: {'yes' if element.partial_flag else 'no'}")
            shown = join([shown, flag], "; ") if shown else flag
        return shown or tag("span", "not stated", class_="missing")

    def achievements(self) -> Html:
        items = [self.claim(c, 3) for c in claims(self.doc) if isinstance(c, dict)]
        heading = "Learning activities" if only_activities(self.doc) else "Achievements"
        return tag("section", tag("h2", heading, id="achievements"), *items,
                   aria_labelledby="achievements")

    def claim(self, claim: dict[str, Any], level: int) -> Html:
        h = f"h{min(level, 6)}"
        spec = next((s for s in as_list(claim.get("specifiedBy")) if isinstance(s, dict)), {})
        proven = next((p for p in as_list(claim.get("provenBy")) if isinstance(p, dict)), {})
        r = self.r
        rows = [
            ("Type", esc(class_words(claim.get("type")))),
            ("Description", r.values(as_list(claim.get("description")))),
            ("Awarded by", r.values(get(claim, "awardedBy.awardingBody"))),
            ("Awarding date", r.values(get(claim, "awardedBy.awardingDate"))),
            ("Grade", r.values(as_list(proven.get("grade")))),
            ("Grading scheme", self.grading(proven)),
            ("Assessment", r.values(as_list(proven.get("title")))),
            ("Specification", r.values(as_list(spec.get("title")))),
            ("Credits", r.values(as_list(spec.get("creditPoint")))),
            ("Volume of learning", r.values(as_list(spec.get("volumeOfLearning")))),
            ("EQF level", r.values(as_list(spec.get("eqfLevel")))),
            ("National level", r.values(as_list(spec.get("nqfLevel")))),
            ("Field of study", r.values(as_list(spec.get("thematicArea")))),
            ("Summary of learning outcomes", r.values(as_list(spec.get("learningOutcomeSummary")))),
            ("Learning outcomes", r.values(as_list(spec.get("learningOutcome")), sep="list")),
            ("Mode", r.values(as_list(spec.get("mode")))),
            ("Learning setting", r.values(as_list(spec.get("learningSetting")))),
            ("Language of instruction", r.values(as_list(spec.get("language")))),
            ("Maximum duration", r.values(as_list(spec.get("maximumDuration")))),
            ("Part of", r.values(as_list(spec.get("isPartOf")), sep="list")),
            ("Made of", r.values(as_list(spec.get("hasPart")), sep="list")),
            ("Homepage", r.values(as_list(spec.get("homepage")))),
        ]
        parts = [tag(h, r.name(claim) or esc("Achievement")), self.facts(rows)]
        for sub in as_list(claim.get("hasPart")):
            if isinstance(sub, dict):
                parts.append(self.claim(sub, level + 1))
        return tag("article", *parts)

    def grading(self, proven: dict[str, Any]) -> Html:
        """The grading scheme of an assessment, title and description: a grade such as "1" or
        "19" cannot be read without it (the best German grade is 1)."""
        schemes = []
        for scheme in get(proven, "specifiedBy.gradingScheme"):
            if not isinstance(scheme, dict):
                schemes.append(self.r.value(scheme))
                continue
            parts = [self.r.name(scheme), self.r.values(as_list(scheme.get("description")))]
            schemes.append(join([p for p in parts if p], " — "))
        return join([s for s in schemes if s], "; ")

    def record(self) -> Html:
        tree = self.tree(self.doc, 0)
        open_ = True if self.for_print else None
        how = "as read (see the notes at the top)" if self.notes else "as issued"
        return tag("section", tag("h2", "Full record", id="record"),
                   tag("p", f"Every statement in the credential, {how}.", class_="muted"),
                   tag("details", tag("summary", "Show the full record"), tree, open=open_),
                   aria_labelledby="record")

    def footer(self) -> Html:
        """Which languages the texts appear in: all the credential's, or only some of them when
        languages were chosen for the page (a text in none of them is shown in those it has)."""
        shown = self.r.languages
        others = [lang for lang in text_languages(self.doc) if lang not in shown]
        names = ", ".join(language_name(lang) for lang in shown)
        if self.chosen:
            sentence = f"Texts appear in the languages chosen for this page: {names}."
        elif others:
            sentence = f"Texts appear in the credential's languages: {names}."
        else:
            sentence = "Texts appear in each language the credential carries."
        if others:
            listed = ", ".join(map(language_name, others)) if len(others) <= _NAMED_LANGUAGES else \
                f"{len(others)} other languages ({', '.join(others)})"
            sentence += (f" The credential also carries texts in {listed}, shown only where a text is in "
                         "none of these.")
        return tag("footer", tag("p", f"Rendered by edcbridge from the credential data. {sentence}"))

    def tree(self, node: Any, depth: int) -> Html:
        r = self.r
        if isinstance(node, list):
            items = [self.tree(item, depth) for item in node]
            return tag("ul", *[tag("li", i) for i in items], class_="plain") if len(items) > 1 else \
                (items[0] if items else Html(""))
        if not isinstance(node, dict) or is_language_map(node):
            return r.value(node)
        kinds = set(as_list(node.get("type")))
        if kinds & {"Concept", "CreditPoint", "WebResource", "Mailbox", "MediaObject", "LegalIdentifier",
                    "Identifier", "Note"} or depth > 12:
            return r.value(node) if "Note" not in kinds else r.values(as_list(node.get("noteLiteral")))
        node_id = node.get("id")
        if isinstance(node_id, str) and node_id in self.seen:
            return join([r.name(node) or esc(class_words(node.get("type"))),
                         tag("span", " (shown above)", class_="muted")])
        if isinstance(node_id, str):
            self.seen.add(node_id)
        rows = []
        for key, value in node.items():
            if key in _SKIP_KEYS or key == "id" or value in (None, "", [], {}):
                continue
            shown = esc(class_words(value)) if key == "type" \
                else self.tree(value, depth + 1)
            rows.append(join([tag("dt", human(key)), tag("dd", shown)]))
        return tag("dl", *rows, class_="tree")


def render(doc: Doc, *, status: SealStatus | None, verification: Verification,
           languages: list[str] | None = None, source: str = "", for_print: bool = False,
           notes: list[str] | None = None) -> str:
    """The preview page of one (unwrapped) EDC JSON-LD credential; ``notes`` say how it was
    read when that was not as issued, and are shown first."""
    langs = languages or page_languages(doc)
    page = _Page(doc, langs, for_print, notes or [], chosen=bool(languages))
    title = title_of(doc)
    word = status.verdict[0] if status is not None else "NOT SEALED"
    named = f"{page.r.pick(title)[1]} — {PREVIEW_TITLE_END}" if title else PREVIEW_TITLE_END.capitalize()
    head_title = f"Seal: {word} — {named}"  # a tab, a bookmark or a screen reader says the verdict first
    body = join([
        tag("a", "Skip to the credential", href="#main", class_="muted skip"),
        page.header(source, status),
        tag("main", page.summary(), page.seal(status, verification), page.annex1(), page.achievements(),
            page.record(), id="main"),
        page.footer(),
    ])
    return ("<!DOCTYPE html>\n"
            f'<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            f"img-src data:; style-src 'unsafe-inline'\">"
            f"<title>{esc(head_title)}</title><style>{CSS}</style></head>\n"
            f"<body>{body}</body></html>\n")
