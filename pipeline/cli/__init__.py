"""The ``yuqing`` command line (the apps layer): thin commands over library functions.

Start-up cost is kept to what a command needs: the root group imports its subcommands only when
they run (:mod:`.main`), and command modules import only click and the light foundation at the
top — each command imports its implementation (Scrapy, scikit-learn, Elasticsearch, SQLAlchemy …)
in its body, so ``yuqing crawl --help`` never pays for them (``bench/cli.py`` measures it). These
imports are visible to the layers contract like any other; they are never needed to break a cycle.

    main.py       the root group; subcommands are loaded only when they run (``yuqing --help``
                  imports nothing but click)
    common.py     what every command module shares: context from the global options, filters,
                  time options, JSON output
    posts.py      ingest, search, stats
    store.py      store health|replay, es …
    classify.py   train, classify, evaluate
    alerts.py     alerts …, org …
    crawl.py      crawl, sources …
    scheduler.py  run, jobs
    briefing.py   briefing …
    console.py    users …, serve, kibana …
"""
