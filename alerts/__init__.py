"""Alerts: link posts to the union hierarchy, detect emerging negative trends and high-risk posts,
keep incidents and escalate them, deliver notifications.

    org.py       the union hierarchy (config/org.yaml): OrgTree, Unit, Officer
    linking.py   post → most specific unit(s), one Aho-Corasick pass; LinkStage for ingest
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
