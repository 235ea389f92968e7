"""Award + catalogue -> Open Badges 3.0 ``OpenBadgeCredential`` (VC Data Model 2.0).

The achievement carries the catalogue entry: criteria (learning outcome summary, learning
outcomes and assessment),
ECTS credits, EQF / NQF levels and ISCED-F fields as alignments, ESCO skills as
``ceasn:Competency`` alignments. Every ``type`` is an array (the strict 1EdTech form), and
ids are derived from issuer, award and specification, so the same input always gives the
same document.

Languages: the strict 1EdTech schema takes plain strings only, so a badge is one language
edition (``inLanguage``: the award's or catalogue's language when the specification's title
has it) and names its editions in the title's other languages with ``related``, which OB 3.0
reserves for alternate language editions. Its texts are the catalogue's own, in that
language; no fixed-language label is added, so nothing claims a language it is not in.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import uuid
from typing import Any
from urllib.parse import quote

from edcbridge import vocab
from edcbridge.mapping.edc import languages_of, valid_until
from edcbridge.mapping.image import card_png
from edcbridge.mapping.nodes import NAMESPACE, Frozen, date_time, frozen
from edcbridge.mapping.person_names import joined_name
from edcbridge.model import Award, Catalogue, Organisation, Specification, pick

Doc = dict[str, Any]
VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
# Defines the type ``1EdTechJsonSchemaValidator2019`` that ``credentialSchema`` names; the OB 3.0
# context does not, so without it JSON-LD reads that type as a relative IRI (the 1EdTech examples
# that name the schema list this context third).
OB_EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
OB_SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
SCHEMA_TYPE = "1EdTechJsonSchemaValidator2019"
ESCO = "European Skills, Competences, Qualifications and Occupations (ESCO)"
_URI_KEPT = "!#$&'()*+,/:;=?@[]%"  # RFC 3986 reserved characters, and % of an existing %XX
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
ACHIEVEMENT_TYPES = {"micro-credential": "MicroCredential", "qualification": "Certificate",
                     "course": "Course"}


def urn(*parts: str) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, '/'.join(parts))}"


def credential_id(issuer_key: str, award_id: str) -> str:
    return urn("ob3", issuer_key, award_id)


def edition(kind: str, issuer_key: str, spec_code: str, language: str, catalogue: Catalogue) -> str:
    """Id of one language edition of a specification's node; the catalogue's primary language
    keeps the language-free id."""
    if language == vocab.concept("language", catalogue.primary_language).code:
        return urn(kind, issuer_key, spec_code)
    return urn(kind, issuer_key, spec_code, language)


def achievement_id(issuer_key: str, spec_code: str, language: str, catalogue: Catalogue) -> str:
    return edition("achievement", issuer_key, spec_code, language, catalogue)


def learner_id(issuer_key: str, student: str) -> str:
    """The learner's ``credentialSubject.id`` (the VC-JWT ``sub``), the same in all of a
    learner's badges and records from one issuer."""
    return urn("learner", issuer_key, student)


def badge_language(award: Award, spec: Specification, catalogue: Catalogue) -> str:
    """The first of the award's language, the catalogue's, English and the title's first that
    the title has: the badge's name is always in its ``inLanguage``."""
    primary, _ = languages_of(award, spec, catalogue)
    own = vocab.concept("language", catalogue.primary_language).code
    for language in (primary, own, "en", *sorted(spec.title)):
        if language in spec.title:
            return language
    raise ValueError(f"specification {spec.code} has no title")


def text_in(text: dict[str, str] | None, language: str) -> str | None:
    """The text in exactly ``language`` (no fallback to another language)."""
    return text.get(language) if text else None


def profile_id(org: Organisation) -> str:
    return urn("profile", org.eidas_identifier or org.key)


def uri(address: str) -> str:
    """An address as the catalogue wrote it, as a URI: a space or a letter outside ASCII is
    percent-encoded (as UTF-8, as RFC 3987 3.1 maps an IRI to a URI). JSON-LD processors in safe
    mode, as verifiers of Data Integrity proofs run them, refuse an ``id`` holding a space, and
    with it the credential."""
    return _LONE_PERCENT.sub("%25", quote(address, safe=_URI_KEPT))


def _number(value: Any) -> float | int:
    number = float(value)
    return int(number) if number.is_integer() else number


def profile(org: Organisation, language: str) -> Doc:
    """An issuer ``Profile``: name, homepage, e-mail, logo, country and the legal identifiers."""
    node: Doc = {"id": profile_id(org), "type": ["Profile"], "name": pick(org.legal_name, language)}
    if org.homepage:
        node["url"] = str(org.homepage)
    if org.email:
        node["email"] = org.email
    if org.logo:
        node["image"] = {"id": uri(org.logo), "type": "Image", "caption": node["name"]}
    country = vocab.concept("country", org.country).code.upper()
    node["address"] = {"type": ["Address"], "addressCountryCode": country}
    if org.address:
        node["address"]["streetAddress"] = pick(org.address, language)
    others = [(org.eidas_identifier, "ext:eIDASIdentifier"), (org.vat_identifier, "ext:VATIdentifier"),
              (org.registration, "ext:BusinessRegister"), (org.eter_id, "ext:ETER"),
              (org.deqar_id, "ext:DEQAR"), (org.erasmus_code, "ext:ErasmusCode")]
    entries = [{"type": "IdentifierEntry", "identifier": value, "identifierType": kind}
               for value, kind in others if value]
    if entries:
        node["otherIdentifier"] = entries
    return node


def alignments(spec: Specification, language: str) -> list[Doc]:
    """ECTS credits, EQF and NQF levels, ISCED-F fields and ESCO skills as OB alignments."""
    found: list[Doc] = []
    if spec.credits is not None:
        system = vocab.concept("credit-system", spec.credit_system.value)
        points = format(spec.credits, "f").rstrip("0").rstrip(".") if "." in format(spec.credits, "f") \
            else format(spec.credits, "f")
        found.append({"type": ["Alignment"], "targetName": f"{points} {system.codes[0].upper()}",
                      "targetUrl": system.iri, "targetFramework": system.label, "targetCode": points,
                      "targetType": "ext:CreditValue"})
    if spec.eqf is not None:
        level = vocab.concept("eqf", spec.eqf.value)
        found.append({"type": ["Alignment"], "targetName": f"EQF {level.code}", "targetUrl": level.iri,
                      "targetFramework": "European Qualifications Framework (EQF)",
                      "targetCode": level.code, "targetType": "ext:EQFLevel"})
    if spec.nqf is not None:
        nqf = vocab.concept("nqf", spec.nqf)
        found.append({"type": ["Alignment"], "targetName": nqf.label, "targetUrl": nqf.iri,
                      "targetFramework": "National Qualifications Framework", "targetType": "ext:NQFLevel"})
    for code in spec.isced_f:
        field = vocab.concept("isced-f", code)
        found.append({"type": ["Alignment"], "targetName": field.label, "targetUrl": field.iri,
                      "targetFramework": "ISCED-F 2013", "targetCode": field.code,
                      "targetType": "ext:ISCEDF"})
    seen: set[str] = set()
    for outcome in spec.learning_outcomes:
        for skill in outcome.esco_skills:
            url = str(skill)
            if url in seen:
                continue
            seen.add(url)
            code = url.rsplit("/", 1)[-1]
            name = text_in(skill.label, language) or code  # an outcome's title is not the skill's name
            found.append({"type": ["Alignment"], "targetName": name,
                          "targetUrl": url, "targetFramework": ESCO, "targetCode": code,
                          "targetType": "ceasn:Competency"})
    return found


def criteria(spec: Specification, language: str) -> Doc:
    """Markdown of the catalogue's own texts in ``language``: the learning outcome summary, the
    learning outcomes as a list, then the assessment and its grading scheme, each a paragraph (a
    text the catalogue lacks in ``language`` left out)."""
    titles = (text_in(outcome.title, language) for outcome in spec.learning_outcomes)
    outcomes = [f"- {title}" for title in titles if title]
    summary = text_in(spec.learning_outcome_summary, language)
    blocks = [block for block in (summary, "\n".join(outcomes)) if block]
    if spec.assessment:
        blocks += [text for text in (text_in(spec.assessment.title, language),
                                     text_in(spec.assessment.grading_scheme, language)) if text]
    node: Doc = {"narrative": "\n\n".join(blocks) or spec.title[language]}
    if spec.homepage:
        node["id"] = str(spec.homepage)
    return node


def image(title: str) -> Doc:
    data = base64.b64encode(card_png()).decode("ascii")
    return {"id": f"data:image/png;base64,{data}", "type": "Image", "caption": title}


def related(spec: Specification, catalogue: Catalogue, issuer_key: str, language: str) -> list[Doc]:
    """The achievement's editions in the other languages of the specification's title."""
    return [{"id": achievement_id(issuer_key, spec.code, other, catalogue), "type": ["Related"],
             "inLanguage": other} for other in sorted(spec.title) if other != language]


def creator(catalogue: Catalogue, body_key: str, issuer_key: str, language: str,
            issuer_did: str | None) -> Doc:
    """The awarding body's ``Profile``: when it is the issuer, with the issuer's id (its DID when
    it has one), so that one organisation has one id in the credential."""
    return issuer_profile(catalogue, body_key, language, issuer_did if body_key == issuer_key else None)


def achievement(spec: Specification, catalogue: Catalogue, issuer_key: str, language: str,
                issuer_did: str | None = None) -> Doc:
    title = spec.title[language]
    body_key = spec.awarding_body or issuer_key
    node: Doc = {
        "id": achievement_id(issuer_key, spec.code, language, catalogue),
        "type": ["Achievement"],
        "achievementType": ACHIEVEMENT_TYPES[spec.kind],
        "name": title,
        "description": text_in(spec.description, language) or title,
        "criteria": criteria(spec, language),
        "image": image(title),
        "creator": creator(catalogue, body_key, issuer_key, language, issuer_did),
        "humanCode": spec.code,
        "inLanguage": language,
    }
    if spec.ects is not None:
        node["creditsAvailable"] = _number(spec.ects)
    if spec.isced_f and language == "en":  # the ISCED-F labels are English only
        node["fieldOfStudy"] = vocab.concept("isced-f", spec.isced_f[0]).label
    found = alignments(spec, language)
    if found:
        node["alignment"] = found
    grading = text_in(spec.assessment.grading_scheme, language) if spec.assessment else None
    if grading:
        node["resultDescription"] = [{
            "id": edition("grading", issuer_key, spec.code, language, catalogue),
            "type": ["ResultDescription"], "name": grading, "resultType": "Result"}]
    editions = related(spec, catalogue, issuer_key, language)
    if editions:
        node["related"] = editions
    # ``related`` names only language editions: OB 3.0 reserves it for an achievement "considered
    # the same". Stacking (part_of / has_part) is not that; the CLR states it instead, with
    # isChildOf / isParentOf associations.
    return node


def email_identity(address: str) -> str:
    """The address as hashed: trimmed and lower-cased. OB 3.0 hashes "an identifier" without
    saying how it is written; relying parties (Badgr and the wallets built on it) lower-case the
    address they know before hashing, and the domain is case-insensitive anyway (RFC 5321, 2.4),
    so ``Ana.Smith@Example.ORG`` as written would match no one's hash."""
    return address.strip().lower()


def identity_hash(value: str, salt: str) -> str:
    """The ``identityHash`` of a hashed IdentityObject (an address as :func:`email_identity` writes it)."""
    return f"sha256${hashlib.sha256((value + salt).encode('utf-8')).hexdigest()}"


def _identity(kind: str, value: str, salt: str) -> Doc:
    return {"type": "IdentityObject", "hashed": True, "identityHash": identity_hash(value, salt),
            "identityType": kind, "salt": salt}


def subject(award: Award, spec: Specification, achieved: Doc, language: str, salt: str,
            issuer_key: str) -> Doc:
    learner = award.learner
    full = pick(learner.full_name, language) if learner.full_name else \
        joined_name(language, pick(learner.given_name, language), pick(learner.family_name, language))
    identifiers = [{"type": "IdentityObject", "hashed": False, "identityHash": full, "identityType": "name"},
                   _identity("sisSourcedId", learner.id, salt)]
    if learner.email:
        identifiers.append(_identity("emailAddress", email_identity(learner.email), salt))
    node: Doc = {"id": learner_id(issuer_key, learner.id), "type": ["AchievementSubject"],
                 "identifier": identifiers, "achievement": achieved,
                 "activityEndDate": date_time(award.awarding_date)}
    if spec.ects is not None:
        node["creditsEarned"] = _number(spec.ects)
    if award.grade:
        result: Doc = {"type": ["Result"], "value": pick(award.grade, language)}
        if "resultDescription" in achieved:
            result["resultDescription"] = achieved["resultDescription"][0]["id"]
        node["result"] = [result]
    return node


# (id(catalogue), specification or organisation, issuer, language, DID) -> (the catalogue, its
# node). Every badge of a specification holds the same achievement, every badge of an issuer
# the same profile: made once and shared, unchangeable, so that the 1EdTech schema check looks
# at each once for all the badges (as EDC credentials share their catalogue nodes). The entry
# holds the catalogue, so its id is not reused while the entry stands.
_SHARED: dict[tuple[int, str, str, str, str | None, str], tuple[Catalogue, Frozen]] = {}


def _shared(catalogue: Catalogue, key: tuple[str, str, str, str | None, str], make: Any) -> Frozen:
    hit = _SHARED.get((id(catalogue), *key))
    if hit is None or hit[0] is not catalogue:
        if len(_SHARED) > 4096:
            _SHARED.clear()
        hit = _SHARED[(id(catalogue), *key)] = (catalogue, frozen(make()))
    return hit[1]


def shared_achievement(spec: Specification, catalogue: Catalogue, issuer_key: str, language: str,
                       issuer_did: str | None = None) -> Frozen:
    """:func:`achievement`, one shared node for every badge of the specification."""
    return _shared(catalogue, (spec.code, issuer_key, language, issuer_did, "achievement"),
                   lambda: achievement(spec, catalogue, issuer_key, language, issuer_did))


def shared_profile(catalogue: Catalogue, issuer_key: str, language: str, did: str | None) -> Frozen:
    """:func:`issuer_profile`, one shared node for every badge of the issuer."""
    return _shared(catalogue, ("", issuer_key, language, did, "profile"),
                   lambda: issuer_profile(catalogue, issuer_key, language, did))


def issuer_profile(catalogue: Catalogue, issuer_key: str, language: str, did: str | None) -> Doc:
    """The issuer's ``Profile``, its id the issuer's DID when it has one to sign with."""
    node = profile(catalogue.organisation(issuer_key), language)
    return {**node, "id": did} if did else node


def open_badge(award: Award, catalogue: Catalogue, issuer_did: str | None = None) -> Doc:
    """The ``OpenBadgeCredential`` of one award (unsecured; see :mod:`edcbridge.badges.jwt`);
    ``issuer_did``: the issuer's id, a DID that controls the key of its proof."""
    spec = catalogue.specification(award.specification)
    if spec is None:
        raise KeyError(f"specification {award.specification!r} is not in the catalogue; "
                       "add it or correct the award's specification code")
    language = badge_language(award, spec, catalogue)
    issuer_key = award.issuer or catalogue.issuer
    cred_id = credential_id(issuer_key, award.award_id)
    achieved = shared_achievement(spec, catalogue, issuer_key, language, issuer_did)
    doc: Doc = {
        "@context": [VC_V2, OB_CONTEXT, OB_EXTENSIONS],
        "id": cred_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": achieved["name"],
        "description": achieved["description"],
        "issuer": shared_profile(catalogue, issuer_key, language, issuer_did),
        "validFrom": date_time(award.issued_at()),
        "awardedDate": date_time(award.awarding_date),
        "credentialSubject": subject(award, spec, achieved, language, cred_id.rsplit(":", 1)[-1][:16],
                                     issuer_key),
        "credentialSchema": [{"id": OB_SCHEMA, "type": SCHEMA_TYPE}],
    }
    until = valid_until(award, spec)
    if until is not None:
        doc["validUntil"] = date_time(until)
    return doc


def issued_at(doc: Doc) -> dt.datetime:
    return dt.datetime.strptime(doc["validFrom"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
