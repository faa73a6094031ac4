"""A grassroots report as a post (platform ``report``): what ingest classifies, de-duplicates,
counts in trends and stores, like any collected post.

* ``id`` ``report:<report id>``; ``source`` ``report-<reporting unit id>`` — the store's own
  ``source`` dimension then counts reports by the unit that sent them (the monthly 通报 agrees
  with ``yuqing stats --platform report --by source``);
* ``org_units`` is the unit the reporter chose (linking keeps it), ``location`` the place and
  employer, ``url`` the report's console page (readable only by those allowed);
* the reporter's identity stays in the state database: ``author`` is a pseudonym (a stable hash of
  the account, so one correspondent's reports count as one author in trends) named after the unit;
* a report marked as holding workers' personal data is stored masked (names, phone and ID
  numbers): search, the briefing and Kibana never see them.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from yuqing.pipeline.core.privacy import mask_report_text
from yuqing.pipeline.core.record import Post

if TYPE_CHECKING:
    from yuqing.alerts.report_models import Report
    from yuqing.pipeline.core.org import OrgTree

SOURCE_PREFIX = "report-"


def post_id(report_id: int) -> str:
    return f"report:{int(report_id)}"


def source_of(unit_id: str) -> str:
    return f"{SOURCE_PREFIX}{unit_id}"


def unit_of_source(source: str) -> str | None:
    return source[len(SOURCE_PREFIX):] if source.startswith(SOURCE_PREFIX) else None


def author_id(username: str) -> str:
    return "rp-" + hashlib.sha256(f"yuqing-report-author:{username}".encode()).hexdigest()[:12]


def to_post(report: Report, org: OrgTree, console_url: str) -> Post:
    names = report.personal_names or ()

    def shown(text: str) -> str:
        return mask_report_text(text, names) if report.personal_data else text

    place = "；".join(x for x in (shown(report.place), report.employer) if x)
    return Post.model_validate({
        "id": post_id(report.id), "platform": "report", "source": source_of(report.reporter_unit_id),
        "url": f"{console_url.rstrip('/')}/reports/{report.id}", "title": shown(report.title),
        "content": shown(report.text),
        "author": {"id": author_id(report.reporter_username),
                   "name": f"{org.display_name(report.reporter_unit_id)}信息员"},
        "published_at": report.created_at.isoformat(), "crawled_at": report.created_at.isoformat(),
        "location": place or None, "org_units": [report.unit_id],
    })
