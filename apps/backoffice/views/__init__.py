"""Staff pages. One module per page; each view is thin (selectors in, services out)."""
