"""Pages for readers: home, search, article, journal, author, keyword, subject, DOI redirect."""
