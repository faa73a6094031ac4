"""The foundation every other part of yuqing builds on; it imports nothing above it.

    record.py     the post record (the one interchange format) and JSON Lines reading
    config.py     settings.yaml and the YAML/pydantic loading every config reader uses
    context.py    Context: config dir, data dir, settings and what is built from them
    statedb.py    the state database (SQLAlchemy, SQLite or PostgreSQL) and its migrations
    tokenizer.py  text normalisation and Chinese segmentation (user dictionary in data/dict)
    textindex.py  how text becomes searchable, identically in both stores
    taxonomy.py   config/taxonomy.yaml: topic ids and their Chinese names
    org.py        config/org.yaml: the union hierarchy, rosters, linking terms
    names.py      Chinese names users read: sentiments, platforms, statuses, levels …
    es.py         the one Elasticsearch client factory (auth, TLS, retries, errors)
    timeutil.py   aware datetimes, ISO/relative time options
    smtp.py       opening an SMTP session from the settings
    resources.py  where the shipped config, dictionaries and corpus live (package data)
"""
