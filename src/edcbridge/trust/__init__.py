"""Trust anchoring through the EU trusted lists (ETSI TS 119 612)."""
