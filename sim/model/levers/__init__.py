"""Policy levers: one module per kind, and the fiscal ledger that pays them."""
