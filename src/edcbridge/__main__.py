from edcbridge.cli import main

main()
