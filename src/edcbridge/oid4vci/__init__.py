"""edcbridge as an OpenID4VCI 1.0 credential issuer for EUDI wallets (pre-authorized code flow).

* :mod:`~edcbridge.oid4vci.source` reads exported awards from the run journal;
* :mod:`~edcbridge.oid4vci.offers` keeps single-use offers, tokens and nonces (hashed, in SQLite);
* :mod:`~edcbridge.oid4vci.sdjwt` builds the ``dc+sd-jwt`` ELM credential (``vct urn:eudi:elm:1``);
* :mod:`~edcbridge.oid4vci.proof` checks the wallet's key-proof JWT;
* :mod:`~edcbridge.oid4vci.service` is the protocol, :mod:`~edcbridge.oid4vci.app` its ASGI face;
* :mod:`~edcbridge.oid4vci.dc4eu` uploads ELM documents to a DC4EU API gateway instead.
"""

from edcbridge.oid4vci.errors import OAuthError, Oid4vciError
from edcbridge.oid4vci.offers import CreatedOffer, OfferStore
from edcbridge.oid4vci.service import IssuerService, IssuerSettings

__all__ = ["CreatedOffer", "IssuerService", "IssuerSettings", "OAuthError", "OfferStore", "Oid4vciError"]
