"""``python -m edcbridge.oid4vci serve|offer|upload-dc4eu ...``: the edcbridge commands with these added."""

from edcbridge.cli import main
from edcbridge.oid4vci.cli import register

if "serve" not in main.commands:
    register(main)

main()
