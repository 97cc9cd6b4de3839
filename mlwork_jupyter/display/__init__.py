"""Display: record cards, reports and (later) live panels, as MIME bundles."""
