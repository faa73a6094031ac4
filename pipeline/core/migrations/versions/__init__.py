"""One module per state-database revision, oldest first."""
