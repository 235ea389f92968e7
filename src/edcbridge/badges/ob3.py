"""Award + catalogue -> Open Badges 3.0 ``OpenBadgeCredential`` (VC Data Model 2.0).

The achievement carries the catalogue entry: criteria (learning outcomes and assessment),
ECTS credits, EQF / NQF levels and ISCED-F fields as alignments, ESCO skills as
``ceasn:Competency`` alignments. Every ``type`` is an array (the strict 1EdTech form), texts
are plain strings in the credential's primary language, and ids are derived from issuer,
award and specification, so the same input always gives the same document.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import uuid
from typing import Any

from edcbridge import vocab
from edcbridge.mapping.edc import languages_of, valid_until
from edcbridge.mapping.image import card_png
from edcbridge.mapping.nodes import NAMESPACE, date_time
from edcbridge.model import Award, Catalogue, Organisation, Specification, pick

Doc = dict[str, Any]
VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
SCHEMA_TYPE = "1EdTechJsonSchemaValidator2019"
ESCO = "European Skills, Competences, Qualifications and Occupations (ESCO)"
ACHIEVEMENT_TYPES = {"micro-credential": "MicroCredential", "qualification": "Certificate",
                     "course": "Course"}


def urn(*parts: str) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, '/'.join(parts))}"


def credential_id(issuer_key: str, award_id: str) -> str:
    return urn("ob3", issuer_key, award_id)


def achievement_id(issuer_key: str, spec_code: str) -> str:
    return urn("achievement", issuer_key, spec_code)


def profile_id(org: Organisation) -> str:
    return urn("profile", org.eidas_identifier or org.key)


def _number(value: Any) -> float | int:
    number = float(value)
    return int(number) if number.is_integer() else number


def profile(org: Organisation, language: str) -> Doc:
    """An issuer ``Profile``: name, homepage, e-mail, country and the legal identifiers."""
    node: Doc = {"id": profile_id(org), "type": ["Profile"], "name": pick(org.legal_name, language)}
    if org.homepage:
        node["url"] = str(org.homepage)
    if org.email:
        node["email"] = org.email
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
        found.append({"type": ["Alignment"], "targetName": f"{points} {system.codes[0].upper()} credits",
                      "targetUrl": system.iri, "targetFramework": system.label, "targetCode": points,
                      "targetType": "ext:CreditValue"})
    if spec.eqf is not None:
        level = vocab.concept("eqf", spec.eqf.value)
        found.append({"type": ["Alignment"], "targetName": f"EQF {level.label}", "targetUrl": level.iri,
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
            found.append({"type": ["Alignment"], "targetName": pick(outcome.title, language),
                          "targetUrl": url, "targetFramework": ESCO, "targetCode": url.rsplit("/", 1)[-1],
                          "targetType": "ceasn:Competency"})
    return found


def criteria(spec: Specification, language: str) -> Doc:
    lines = []
    if spec.learning_outcomes:
        lines.append("Learning outcomes achieved:")
        lines += [f"- {pick(o.title, language)}" for o in spec.learning_outcomes]
    elif spec.learning_outcome_summary:
        lines.append(pick(spec.learning_outcome_summary, language))
    if spec.assessment:
        lines.append("")
        lines.append(f"Assessment: {pick(spec.assessment.title, language)}")
        if spec.assessment.grading_scheme:
            lines.append(f"Grading: {pick(spec.assessment.grading_scheme, language)}")
    node: Doc = {"narrative": "\n".join(lines).strip() or pick(spec.title, language)}
    if spec.homepage:
        node["id"] = str(spec.homepage)
    return node


def image(title: str) -> Doc:
    data = base64.b64encode(card_png()).decode("ascii")
    return {"id": f"data:image/png;base64,{data}", "type": "Image", "caption": title}


def achievement(spec: Specification, catalogue: Catalogue, issuer_key: str, language: str) -> Doc:
    title = pick(spec.title, language)
    body_key = spec.awarding_body or issuer_key
    node: Doc = {
        "id": achievement_id(issuer_key, spec.code),
        "type": ["Achievement"],
        "achievementType": ACHIEVEMENT_TYPES[spec.kind],
        "name": title,
        "description": pick(spec.description, language) if spec.description else title,
        "criteria": criteria(spec, language),
        "image": image(title),
        "creator": profile(catalogue.organisation(body_key), language),
        "humanCode": spec.code,
        "inLanguage": language,
    }
    if spec.ects is not None:
        node["creditsAvailable"] = _number(spec.ects)
    if spec.isced_f:
        node["fieldOfStudy"] = vocab.concept("isced-f", spec.isced_f[0]).label
    found = alignments(spec, language)
    if found:
        node["alignment"] = found
    if spec.assessment and spec.assessment.grading_scheme:
        node["resultDescription"] = [{
            "id": urn("grading", issuer_key, spec.code), "type": ["ResultDescription"],
            "name": pick(spec.assessment.grading_scheme, language), "resultType": "Result"}]
    # Stacking (part_of / has_part) is not ``related``: OB 3.0 reserves that for an achievement
    # "considered the same" (another language edition or version). The CLR states it instead,
    # with isChildOf / isParentOf associations.
    return node


def _identity(kind: str, value: str, salt: str) -> Doc:
    digest = hashlib.sha256((value + salt).encode("utf-8")).hexdigest()
    return {"type": "IdentityObject", "hashed": True, "identityHash": f"sha256${digest}",
            "identityType": kind, "salt": salt}


def subject(award: Award, spec: Specification, achieved: Doc, language: str, salt: str) -> Doc:
    learner = award.learner
    full = pick(learner.full_name, language) if learner.full_name else \
        f"{pick(learner.given_name, language)} {pick(learner.family_name, language)}"
    identifiers = [{"type": "IdentityObject", "hashed": False, "identityHash": full, "identityType": "name"},
                   _identity("sisSourcedId", learner.id, salt)]
    if learner.email:
        identifiers.append(_identity("emailAddress", learner.email, salt))
    node: Doc = {"type": ["AchievementSubject"], "identifier": identifiers, "achievement": achieved,
                 "activityEndDate": date_time(award.awarding_date)}
    if spec.ects is not None:
        node["creditsEarned"] = _number(spec.ects)
    if award.grade:
        result: Doc = {"type": ["Result"], "value": pick(award.grade, language)}
        if "resultDescription" in achieved:
            result["resultDescription"] = achieved["resultDescription"][0]["id"]
        node["result"] = [result]
    return node


def open_badge(award: Award, catalogue: Catalogue) -> Doc:
    """The ``OpenBadgeCredential`` of one award (unsecured; see :mod:`edcbridge.badges.jwt`)."""
    spec = catalogue.specification(award.specification)
    if spec is None:
        raise KeyError(f"specification {award.specification!r} is not in the catalogue; "
                       "add it or correct the award's specification code")
    language, _ = languages_of(award, spec, catalogue)
    issuer_key = award.issuer or catalogue.issuer
    cred_id = credential_id(issuer_key, award.award_id)
    achieved = achievement(spec, catalogue, issuer_key, language)
    doc: Doc = {
        "@context": [VC_V2, OB_CONTEXT],
        "id": cred_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": achieved["name"],
        "description": achieved["description"],
        "issuer": profile(catalogue.organisation(issuer_key), language),
        "validFrom": date_time(award.issued_at()),
        "awardedDate": date_time(award.awarding_date),
        "credentialSubject": subject(award, spec, achieved, language, salt=cred_id.rsplit(":", 1)[-1][:16]),
        "credentialSchema": [{"id": OB_SCHEMA, "type": SCHEMA_TYPE}],
    }
    until = valid_until(award, spec)
    if until is not None:
        doc["validUntil"] = date_time(until)
    return doc


def issued_at(doc: Doc) -> dt.datetime:
    return dt.datetime.strptime(doc["validFrom"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
