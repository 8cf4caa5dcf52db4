"""Gold standards and evaluation: OpenI (MeSH-derived), user CSVs, metrics, ``evaluate``."""
