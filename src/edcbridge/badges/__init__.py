"""Open Badges 3.0 and CLR 2.0 from the internal model, secured as VC-JWT with the seal key.

::

    from edcbridge.badges import write_badges
    outputs = write_badges(pairs, Path("out"), key_for=lambda catalogue: seal_key)
"""

from edcbridge.badges.clr import clr_credential
from edcbridge.badges.export import BadgeOutputs, write_badges, write_clr, write_ob3
from edcbridge.badges.jwt import JwtError, read_vc_jwt, sign_vc_jwt
from edcbridge.badges.ob3 import open_badge
from edcbridge.badges.schemas import SchemasMissing, validate_badge

__all__ = [
    "BadgeOutputs",
    "JwtError",
    "SchemasMissing",
    "clr_credential",
    "open_badge",
    "read_vc_jwt",
    "sign_vc_jwt",
    "validate_badge",
    "write_badges",
    "write_clr",
    "write_ob3",
]
