"""Pages for librarians: BibTeX upload, preview, confirm, history and undo."""
