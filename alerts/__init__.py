"""Alerts: link posts to the union hierarchy, detect emerging negative trends and high-risk posts,
keep incidents and escalate them, deliver notifications.

    linking.py   post → most specific unit(s), one Aho-Corasick pass; LinkStage for ingest
    gazetteer.py data/org/chaoyang-gazetteer.yaml: places, terms with senses, places outside Chaoyang
    shortforms.py the short forms people write for units (南郎家园, 瑞丰制衣, 瑞丰)
    orgimport.py the union's rosters (.xlsx/.csv) into the org registry: plan (dry-run diff) and apply
    rules.py     config/alerts.yaml: thresholds, severities, escalation, delivery, high-risk rules
    detect.py    trend detection over store aggregations + high-risk single posts → findings
    state.py     incidents, escalation, timeline, transactional outbox (SQLAlchemy)
    models.py    the state tables
    messages.py  Chinese notification text (templates/notice.txt.j2)
    outbox.py    delivery loop: claims, retries with backoff, idempotency keys
    channels/    one class per channel: email (SMTP), WeCom, DingTalk (signed), JSON webhook
    index.py     incidents into Elasticsearch ({prefix}-alerts) for Kibana
    simulate.py  synthetic post streams for the scenario tests, the benchmark and demos
    api.py       the functions other areas call
    cli.py       yuqing alerts … / yuqing org …
"""
