"""Accounts without Flask: password policy and hashing, users, invites, login and throttling."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from tests.conftest import NOW
from trainer import Collection
from trainer.accounts.passwords import hash_password, password_problems, verify_password
from trainer.accounts.users import LOGIN_REFUSED, AccountError, Accounts, LoginRefused, LoginThrottled

GOOD = "violet tractor quantum lemon"
OTHER = "copper lantern sleepy walrus"


@pytest.fixture
def accounts(db_url: str, open_collection: Callable[..., Collection]) -> Accounts:
    return Accounts(open_collection(db_url).engine)


def messages(password: str, name: str | None = None) -> list[str]:
    return [p.message for p in password_problems(password, name)]


def test_password_length_bounds() -> None:
    assert messages("Zq8#kLp2!vW") == ["must be at least 12 characters long"]
    assert messages("x" * 129) == ["must be at most 128 characters long"]
    long_passphrase = " ".join(["orbit", "mango", "glacier", "tuba", "violet", "ferret"] * 6)[:128]
    assert len(long_passphrase) == 128 and messages(long_passphrase) == []
    assert messages(GOOD) == []
    assert messages("żółw kąpie się w morzu 42") == []


@pytest.mark.parametrize("leaked", ["password1234", "qwertyuiop123", "iloveyou1234", "passwordpassword"])
def test_common_and_guessable_passwords_are_refused(leaked: str) -> None:
    assert messages(leaked), leaked


def test_password_may_not_contain_the_name() -> None:
    assert "must not contain the account name" in messages("Alice-tractor-quantum", "alice")


def test_hashes_are_salted_argon2id_and_verify() -> None:
    first, second = hash_password(GOOD), hash_password(GOOD)
    assert first.startswith("$argon2id$") and first != second
    assert verify_password(first, GOOD) and verify_password(second, GOOD)
    assert not verify_password(first, GOOD + " ")
    assert not verify_password(None, GOOD)
    assert not verify_password("not a hash", GOOD)


def test_create_list_disable_enable(accounts: Accounts) -> None:
    alice = accounts.create("Alice", GOOD, admin=True, now=NOW)
    assert (alice.name, alice.is_admin, alice.is_active, alice.has_password) == ("alice", True, True, True)
    accounts.create("bob", OTHER, now=NOW)
    listed = {a.name: a for a in accounts.list()}
    assert set(listed) == {"alice", "bob", "local"}
    assert not listed["local"].has_password
    disabled = accounts.set_active("bob", False)
    assert not disabled.is_active and disabled.session_epoch > listed["bob"].session_epoch
    assert accounts.set_active("bob", True).is_active


def test_create_reports_every_problem_and_changes_nothing(accounts: Accounts) -> None:
    with pytest.raises(AccountError) as caught:
        accounts.create("x", "short", now=NOW)
    assert {p.field for p in caught.value.problems} == {"name", "password"}
    with pytest.raises(AccountError, match="reserved"):
        accounts.create("local", GOOD, now=NOW)
    accounts.create("alice", GOOD, now=NOW)
    with pytest.raises(AccountError) as taken:
        accounts.create("ALICE", OTHER, now=NOW)
    assert taken.value.problems[0].message == "is already taken"
    assert [a.name for a in accounts.list()] == ["alice", "local"]


def test_password_less_learner_keeps_progress_when_given_a_password(
    db_url: str, decks_dir: object, open_collection: Callable[..., Collection]
) -> None:
    carol = open_collection(db_url, user="carol")
    carol.sync_decks([decks_dir], now=NOW)
    card = carol.next_card(now=NOW)
    assert card is not None
    carol.answer(card.id, 3, now=NOW)
    accounts = Accounts(carol.engine)
    account = accounts.create("carol", GOOD, now=NOW)
    assert account.id == carol.learner_id
    assert len(carol.history()) == 1


def test_login_errors_are_identical_whatever_the_cause(accounts: Accounts) -> None:
    accounts.create("alice", GOOD, now=NOW)
    accounts.create("bob", OTHER, now=NOW)
    accounts.set_active("bob", False)
    causes = [("alice", "wrong password entirely"), ("nobody", GOOD), ("bob", OTHER), ("local", "")]
    for name, password in causes:
        with pytest.raises(LoginRefused) as caught:
            accounts.authenticate(name, password, f"10.0.0.{len(name)}", now=NOW)
        assert str(caught.value) == LOGIN_REFUSED
    assert accounts.authenticate(" ALICE ", GOOD, "10.0.0.9", now=NOW).name == "alice"


def test_five_failures_lock_out_that_client_and_only_delay_the_account(accounts: Accounts) -> None:
    accounts.create("alice", GOOD, now=NOW)
    for i in range(5):
        with pytest.raises(LoginRefused):
            accounts.authenticate("alice", "not the password", "10.0.1.1", now=NOW + timedelta(minutes=i))
    with pytest.raises(LoginThrottled) as caught:
        accounts.authenticate("alice", GOOD, "10.0.1.1", now=NOW + timedelta(minutes=5))
    assert caught.value.retry_after == 10 * 60 + 1
    # The owner, elsewhere, waits one second after the latest failure, not fifteen minutes.
    with pytest.raises(LoginThrottled) as delayed:
        accounts.authenticate("alice", GOOD, "10.0.2.1", now=NOW + timedelta(minutes=4))
    assert delayed.value.retry_after == 2
    assert accounts.authenticate("alice", GOOD, "10.0.2.1", now=NOW + timedelta(minutes=4, seconds=1))
    with pytest.raises(LoginThrottled):
        accounts.authenticate("alice", GOOD, "10.0.1.1", now=NOW + timedelta(minutes=14, seconds=59))
    assert accounts.authenticate("alice", GOOD, "10.0.1.1", now=NOW + timedelta(minutes=15, seconds=1))


def test_failures_from_many_addresses_delay_the_account_more_and_more(accounts: Accounts) -> None:
    accounts.create("alice", GOOD, now=NOW)
    moment = NOW
    waits = []
    for i in range(12):
        try:
            accounts.authenticate("alice", "not the password", f"10.0.3.{i}", now=moment)
        except LoginRefused:
            waits.append(0)
        except LoginThrottled as exc:
            waits.append(exc.retry_after)
            moment += timedelta(seconds=exc.retry_after)
            with pytest.raises(LoginRefused):
                accounts.authenticate("alice", "not the password", f"10.0.3.{i}", now=moment)
    assert waits == [0] * 5 + [2, 3, 5, 9, 17, 33, 61]
    with pytest.raises(LoginThrottled) as capped:
        accounts.authenticate("alice", GOOD, "10.0.4.1", now=moment)
    assert capped.value.retry_after == 61


def test_twenty_failures_from_one_address_throttle_every_name_from_it(accounts: Accounts) -> None:
    accounts.create("alice", GOOD, now=NOW)
    for i in range(20):
        with pytest.raises(LoginRefused):
            accounts.authenticate(f"guess{i}", "whatever it is", "10.9.9.9", now=NOW)
    with pytest.raises(LoginThrottled):
        accounts.authenticate("alice", GOOD, "10.9.9.9", now=NOW)
    assert accounts.authenticate("alice", GOOD, "10.9.9.10", now=NOW).name == "alice"


def test_success_clears_the_account_failures(accounts: Accounts) -> None:
    accounts.create("alice", GOOD, now=NOW)
    for round_ in range(3):
        for i in range(4):
            with pytest.raises(LoginRefused):
                accounts.authenticate("alice", "nope nope nope", f"10.{round_}.0.{i}", now=NOW)
        assert accounts.authenticate("alice", GOOD, f"10.{round_}.1.1", now=NOW)


def test_session_epoch_moves_on_logout_password_change_and_disable(accounts: Accounts) -> None:
    alice = accounts.create("alice", GOOD, now=NOW)
    assert accounts.session_valid(alice.id, alice.session_epoch) == alice
    after_logout = accounts.end_sessions(alice.id)
    assert accounts.session_valid(alice.id, alice.session_epoch) is None
    assert accounts.session_valid(alice.id, after_logout) is not None
    with pytest.raises(AccountError, match="not changed") as wrong:
        accounts.change_password(alice.id, "not my password", OTHER, now=NOW)
    assert wrong.value.problems[0].field == "current"
    after_change = accounts.change_password(alice.id, GOOD, OTHER, now=NOW)
    assert accounts.session_valid(alice.id, after_logout) is None
    with pytest.raises(LoginRefused):
        accounts.authenticate("alice", GOOD, "10.0.0.1", now=NOW)
    assert accounts.authenticate("alice", OTHER, "10.0.0.1", now=NOW).session_epoch == after_change
    accounts.set_active("alice", False)
    assert accounts.session_valid(alice.id, accounts.get("alice").session_epoch) is None


def test_invites_are_single_use_and_expire(accounts: Accounts) -> None:
    code = accounts.create_invite(NOW, days=2)
    with pytest.raises(AccountError, match="not created") as weak:
        accounts.sign_up("dora", "password1234", invite=code, open_signup=False, now=NOW)
    assert {p.field for p in weak.value.problems} == {"password"}
    assert accounts.sign_up("dora", GOOD, invite=code, open_signup=False, now=NOW).name == "dora"
    with pytest.raises(AccountError) as used:
        accounts.sign_up("erin", GOOD, invite=code, open_signup=False, now=NOW)
    assert used.value.problems[0].field == "invite"
    late = accounts.create_invite(NOW, days=1)
    with pytest.raises(AccountError):
        accounts.sign_up("erin", GOOD, invite=late, open_signup=False, now=NOW + timedelta(days=1))
    with pytest.raises(AccountError):
        accounts.sign_up("erin", GOOD, invite="", open_signup=False, now=NOW)
    assert "erin" not in {a.name for a in accounts.list()}


def test_a_multi_use_invite_and_open_sign_up(accounts: Accounts) -> None:
    code = accounts.create_invite(NOW, uses=2)
    accounts.sign_up("fay", GOOD, invite=code, open_signup=False, now=NOW)
    accounts.sign_up("gus", GOOD, invite=code, open_signup=False, now=NOW)
    with pytest.raises(AccountError):
        accounts.sign_up("hal", GOOD, invite=code, open_signup=False, now=NOW)
    assert accounts.sign_up("hal", GOOD, invite=None, open_signup=True, now=NOW).name == "hal"


def test_a_failed_sign_up_does_not_use_the_invite(accounts: Accounts) -> None:
    accounts.create("ivy", GOOD, now=NOW)
    code = accounts.create_invite(NOW)
    with pytest.raises(AccountError, match="not created"):
        accounts.sign_up("ivy", OTHER, invite=code, open_signup=False, now=NOW)
    assert accounts.sign_up("jan", OTHER, invite=code, open_signup=False, now=NOW).name == "jan"
