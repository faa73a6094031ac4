"""The duty console (值班控制台): a small, secure web application for duty officers and analysts.

Design
------
* **One FastAPI app** (:func:`yuqing.console.app.create_app`) serving server-rendered Jinja2 pages
  (``console/templates``) with a little progressive enhancement (``console/static/app.js``: live
  refresh of the incident queue, confirmation of actions) and a JSON API under ``/api/`` described
  by the app's OpenAPI schema (``/api/openapi.json``, ``/api/docs``). No front-end build.
* **Accounts** (:mod:`yuqing.console.accounts`) live in the shared state database (tables in
  :mod:`yuqing.console.models` on :class:`yuqing.pipeline.core.statedb.Base`). Passwords are argon2id hashes
  (argon2-cffi, re-hashed when the parameters change). Repeated failures lock an account for a while.
  ``yuqing users add|list|disable|enable|reset-password`` manages them (:mod:`yuqing.pipeline.cli.console`).
* **Sessions** (:mod:`yuqing.console.sessions`) are server-side: the cookie carries a random token whose
  SHA-256 is the session's key, so disabling an account or resetting its password ends its sessions
  at once. Cookies are HttpOnly, SameSite=Lax, Secure over https. Every session has its own CSRF
  token, required as a form field on every form and as the ``X-CSRF-Token`` header on every
  state-changing API call. The sign-in form is protected by a signed double-submit token
  (itsdangerous) bound to a pre-session cookie.
* **Access** (:mod:`yuqing.console.access`): an account belongs to one union unit and acts within that
  unit's subtree (``yuqing.pipeline.core.org.load_org(ctx).subtree(unit)``). Every page and API call resolves
  the caller's :class:`~yuqing.console.access.Principal` and checks each incident, post filter and
  briefing against the subtree on the server; an incident outside it answers 404 exactly like a
  missing one. Roles: ``duty`` (值班员: sees and acts), ``analyst`` (分析员: sees, searches, charts —
  read-only on incidents), ``admin`` (管理员: as duty, plus the audit log of the subtree).
* **Audit** (:mod:`yuqing.console.audit`): every sign-in (successful or not), sign-out, incident action,
  refused access, search and download is written to the ``console_audit`` table.
* **Data** comes from the other areas through their agreed interfaces: incidents from
  :mod:`yuqing.alerts.api`, posts and aggregates from the configured :class:`~yuqing.pipeline.store.base.PostStore`,
  briefings from :func:`yuqing.pipeline.briefing.list_archive`. Charts are inline SVG
  (:mod:`yuqing.console.charts`) so pages work without scripts and under a strict CSP.
* **Kibana** (:mod:`yuqing.console.kibana`): saved objects for analysts in ``config/kibana/*.ndjson``,
  written with ``yuqing kibana export`` (index prefix rewritten on the way).
"""
