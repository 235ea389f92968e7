"""Closed code lists as enums whose values are the official concept IRIs."""

from __future__ import annotations

from enum import StrEnum


class EQFLevel(StrEnum):
    L1 = "http://data.europa.eu/snb/eqf/1"
    L2 = "http://data.europa.eu/snb/eqf/2"
    L3 = "http://data.europa.eu/snb/eqf/3"
    L4 = "http://data.europa.eu/snb/eqf/4"
    L5 = "http://data.europa.eu/snb/eqf/5"
    L6 = "http://data.europa.eu/snb/eqf/6"
    L7 = "http://data.europa.eu/snb/eqf/7"
    L8 = "http://data.europa.eu/snb/eqf/8"

    @property
    def number(self) -> int:
        return int(self.value.rsplit("/", 1)[-1])


class CreditSystem(StrEnum):
    ECTS = "http://data.europa.eu/snb/education-credit/6fcec5c5af"
    ECVET = "http://data.europa.eu/snb/education-credit/60b314e826"


class CredentialType(StrEnum):
    GENERIC = "http://data.europa.eu/snb/credential/e34929035b"
    QUALIFICATION_AWARD = "http://data.europa.eu/snb/credential/6cf8e68c43"
    DIPLOMA_SUPPLEMENT = "http://data.europa.eu/snb/credential/6dff8a0f87"
    LEARNING_ACTIVITY = "http://data.europa.eu/snb/credential/48b514e72a"
    LEARNING_ENTITLEMENT = "http://data.europa.eu/snb/credential/bdc47cb449"


class LearningSetting(StrEnum):
    FORMAL = "http://data.europa.eu/snb/learning-setting/6fd4685715"
    NON_FORMAL = "http://data.europa.eu/snb/learning-setting/e207a81fc7"


class Mode(StrEnum):
    ONLINE = "http://data.europa.eu/snb/learning-assessment/920fbb3cbe"
    BLENDED = "http://data.europa.eu/snb/learning-assessment/e92d221e4d"
    PRESENTIAL = "http://data.europa.eu/snb/learning-assessment/9191af2ed9"
    WORKBASED = "http://data.europa.eu/snb/learning-assessment/729f3bed4b"
    PROJECT_BASED = "http://data.europa.eu/snb/learning-assessment/7813801c77"
    RESEARCH_LAB_BASED = "http://data.europa.eu/snb/learning-assessment/ed4c557045"


class Supervision(StrEnum):
    SUPERVISED_WITH_ID = "http://data.europa.eu/snb/supervision-verification/70be69aaf9"
    ID_VERIFICATION = "http://data.europa.eu/snb/supervision-verification/44314532f9"
    UNSUPERVISED_WITH_ID = "http://data.europa.eu/snb/supervision-verification/df2880c5cb"
    UNSUPERVISED_WITHOUT_ID = "http://data.europa.eu/snb/supervision-verification/c598449d64"


class Encoding(StrEnum):
    BASE64 = "http://data.europa.eu/snb/encoding/6146cde7dd"
