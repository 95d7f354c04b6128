"""Reports: result files, tables, plots."""
