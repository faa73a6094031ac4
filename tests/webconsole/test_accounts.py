"""Accounts: argon2 hashes, password policy, lock-out after repeated failures, disabling and
password resets ending sessions, and the ``yuqing users`` commands."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from yuqing.console import accounts, audit, sessions
from yuqing.console.db import db_session, now_utc
from yuqing.console.models import ConsoleUser
from yuqing.pipeline.cli.main import main

PASSWORD = "Duty-Pass-2026"


def _cli(ctx, *args, input=None):
    return CliRunner().invoke(main, ["--config-dir", str(ctx.config_dir), "--data-dir", str(ctx.data_dir), *args],
                              input=input)


def test_password_is_stored_as_argon2id(ctx):
    accounts.add_user(ctx, "shiyong", PASSWORD, "sq-fangcaodi", "duty", "史勇")
    with db_session(ctx) as s:
        row = s.scalar(select(ConsoleUser).where(ConsoleUser.username == "shiyong"))
        assert row.password_hash.startswith("$argon2id$") and PASSWORD not in row.password_hash
    assert accounts.authenticate(ctx, "shiyong", PASSWORD).ok
    assert accounts.authenticate(ctx, "shiyong", PASSWORD + "x").reason == "bad_password"
    assert accounts.authenticate(ctx, "nobody", PASSWORD).reason == "unknown_user"


@pytest.mark.parametrize("bad,why", [("short1A", "至少"), ("alllowercaseletters", "两类"),
                                     (" Leading-space-1", "空白")])
def test_weak_passwords_are_refused(ctx, bad, why):
    with pytest.raises(accounts.AccountError, match=why):
        accounts.add_user(ctx, "weak", bad, "sq-fangcaodi")


def test_unknown_unit_and_role_are_refused(ctx):
    with pytest.raises(accounts.AccountError, match="no-such-unit"):
        accounts.add_user(ctx, "x1", PASSWORD, "no-such-unit")
    with pytest.raises(accounts.AccountError, match="superuser"):
        accounts.add_user(ctx, "x2", PASSWORD, "chaoyang", "superuser")
    accounts.add_user(ctx, "dup", PASSWORD, "chaoyang")
    with pytest.raises(accounts.AccountError, match="already exists"):
        accounts.add_user(ctx, "dup", PASSWORD, "chaoyang")


def test_lockout_after_repeated_failures(ctx):
    limit = ctx.settings.console.max_failed_logins
    accounts.add_user(ctx, "shiyong", PASSWORD, "sq-fangcaodi")
    now = now_utc()
    reasons = [accounts.authenticate(ctx, "shiyong", f"wrong-{i}", now).reason for i in range(limit)]
    assert reasons == ["bad_password"] * (limit - 1) + ["locked"]
    # even the right password is refused while locked …
    assert accounts.authenticate(ctx, "shiyong", PASSWORD, now + timedelta(minutes=1)).reason == "locked"
    # … and accepted once the lock has expired
    later = now + timedelta(minutes=ctx.settings.console.lockout_minutes + 1)
    assert accounts.authenticate(ctx, "shiyong", PASSWORD, later).ok


def test_disable_and_reset_end_sessions(ctx):
    account = accounts.add_user(ctx, "shiyong", PASSWORD, "sq-fangcaodi")
    token, _ = sessions.create_session(ctx, account)
    assert sessions.load_session(ctx, token).account.username == "shiyong"
    accounts.set_disabled(ctx, "shiyong")
    assert sessions.load_session(ctx, token) is None
    assert accounts.authenticate(ctx, "shiyong", PASSWORD).reason == "disabled"
    accounts.set_disabled(ctx, "shiyong", False)
    token, _ = sessions.create_session(ctx, account)
    accounts.reset_password(ctx, "shiyong", "New-Pass-2026!")
    assert sessions.load_session(ctx, token) is None
    assert not accounts.authenticate(ctx, "shiyong", PASSWORD).ok
    assert accounts.authenticate(ctx, "shiyong", "New-Pass-2026!").ok


def test_sessions_expire_when_idle(ctx):
    account = accounts.add_user(ctx, "shiyong", PASSWORD, "sq-fangcaodi")
    token, info = sessions.create_session(ctx, account)
    assert info.expires_at - now_utc() <= timedelta(minutes=ctx.settings.console.session_idle_minutes)
    from yuqing.console.models import ConsoleSession

    with db_session(ctx) as s:
        row = s.scalars(select(ConsoleSession)).one()
        row.expires_at = now_utc() - timedelta(seconds=1)
    assert sessions.load_session(ctx, token) is None
    assert sessions.load_session(ctx, "not-a-token") is None


def test_login_form_token_is_bound_to_its_cookie(ctx):
    nonce, token = sessions.new_login_token(ctx)
    assert sessions.login_token_ok(ctx, nonce, token)
    other_nonce, _ = sessions.new_login_token(ctx)
    assert not sessions.login_token_ok(ctx, other_nonce, token)
    assert not sessions.login_token_ok(ctx, nonce, token[:-2] + "xx")
    assert not sessions.login_token_ok(ctx, nonce, None)


def test_users_cli(ctx):
    r = _cli(ctx, "users", "add", "shiyong", "--unit", "sq-fangcaodi", "--name", "史勇", "--password-stdin",
             input=PASSWORD + "\n")
    assert r.exit_code == 0, r.output
    r = _cli(ctx, "users", "add", "zengyan", "--unit", "sq-jixiangli", "--role", "analyst", "--password-stdin",
             input=PASSWORD + "\n")
    assert r.exit_code == 0, r.output
    r = _cli(ctx, "users", "add", "bad", "--unit", "nowhere", "--password-stdin", input=PASSWORD + "\n")
    assert r.exit_code != 0 and "nowhere" in r.output
    listed = json.loads(_cli(ctx, "users", "list", "--json").output)
    assert [(u["username"], u["unit_id"], u["role"]) for u in listed] == [
        ("shiyong", "sq-fangcaodi", "duty"), ("zengyan", "sq-jixiangli", "analyst")]
    only = json.loads(_cli(ctx, "users", "list", "--unit", "sq-fangcaodi", "--json").output)
    assert [u["username"] for u in only] == ["shiyong"]
    assert "史勇" in _cli(ctx, "users", "list").output
    assert _cli(ctx, "users", "disable", "shiyong").exit_code == 0
    assert json.loads(_cli(ctx, "users", "list", "--json").output)[0]["disabled"] is True
    assert _cli(ctx, "users", "disable", "shiyong", "--enable").exit_code == 0
    r = _cli(ctx, "users", "reset-password", "shiyong", "--password-stdin", input="Another-Pass-99\n")
    assert r.exit_code == 0, r.output
    assert accounts.authenticate(ctx, "shiyong", "Another-Pass-99").ok
    assert _cli(ctx, "users", "reset-password", "ghost", "--password-stdin", input="x\n").exit_code != 0
    actions = [e.action for e in audit.entries(ctx)]
    assert {"user.add", "user.disable", "user.enable", "user.reset-password"} <= set(actions)
