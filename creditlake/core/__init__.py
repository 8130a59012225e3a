"""The bottom layer: the feed contract as data and what derives from it alone (value types,
identifiers, reference tables, settings, batch records, lakehouse schemas, personal-data
pseudonymisation, crash points). It imports nothing else of creditlake."""
