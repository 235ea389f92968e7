"""Human-readable previews of EDC credentials: accessible HTML pages and PDF.

Any credential edcbridge can read is shown (EDC 3.x JSON-LD plain, in the upload wrapper or
JAdES-sealed; EDC XML 1.x through the importer), with every Annex I element, the outcome of
the seal checks and a QR code for verification::

    from edcbridge.preview import PreviewOptions, preview_file
    result = preview_file(Path("credential.jsonld"), Path("out/preview"), PreviewOptions(pdf=True))
"""

from edcbridge.preview.pdf import PdfError
from edcbridge.preview.render import (
    PreviewOptions,
    PreviewResult,
    preview_awards,
    preview_file,
    preview_files,
    render_html,
)

__all__ = ["PdfError", "PreviewOptions", "PreviewResult", "preview_awards", "preview_file",
           "preview_files", "render_html"]
