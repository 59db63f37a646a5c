"""People's accounts: passwords (argon2id), sign-in with its throttle, invitations,
self sign-up and its approval, one-time password reset links, roles.

Sign-in answers the same ("wrong user name, e-mail or password") whether the account is
unknown, has no password, or the password is wrong, and takes about as long: an unknown
account's attempt verifies the password against a dummy argon2 hash. Failed attempts
are counted per account name and per client address in token buckets
(`api.limits.TokenBuckets`: a burst, then one try per interval); while either is empty,
every attempt is refused (429). They are keyed by what was typed, so the throttle too
answers alike for accounts that exist and those that do not.

One-time links (`AccountLink`) carry 256 random bits; the store keeps their SHA-256.
A link that is unknown, used or expired is refused with one message, so a link cannot be
probed for which of these it is.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from ..api.limits import TokenBuckets
from ..core import security
from ..errors import Conflict, Forbidden, InvalidRequest, NotFound, QuotaExceeded, Unauthenticated
from ..models import AccountLink, ConsoleSession, User, utcnow
from . import accounts
from .audit import record_event

logger = logging.getLogger("kuafu.identity")

WRONG_CREDENTIALS = "wrong user name, e-mail or password"
BAD_LINK = "this link is unknown, used already or expired; ask an administrator for a new one"
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
LINK_KINDS = ("invite", "reset")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
_HASHER = PasswordHasher()  # argon2id, RFC 9106's low-memory profile (64 MiB, t=3, p=4)


# ----- passwords --------------------------------------------------------------------------
def hash_password(password: str) -> str:
    return _HASHER.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _HASHER.hash("kuafu: a password nobody has")


def verify_password(user: User | None, password: str) -> bool:
    """Whether `password` is `user`'s; an unknown user, or one without a password, costs
    one argon2 verification too (no timing difference tells them apart). A hash made with
    weaker parameters than today's is upgraded in place."""
    stored = user.password_hash if user is not None else None
    try:
        _HASHER.verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    if stored is None:
        return False
    if _HASHER.check_needs_rehash(stored):
        user.password_hash = _HASHER.hash(password)
    return True


def check_password_rules(password: str, name: str | None = None) -> str:
    """`password` if it is acceptable: 10 to 1024 characters, not the user's name.

    Raises:
        InvalidRequest: saying which rule it breaks.
    """
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise InvalidRequest(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise InvalidRequest(f"a password has at most {MAX_PASSWORD} characters")
    if name and password.strip().lower() == name.lower():
        raise InvalidRequest("a password must not be the user name")
    return password


def normalise_email(email: str | None) -> str | None:
    """`email` trimmed and lower-cased (None for an empty one).

    Raises:
        InvalidRequest: not an address.
    """
    if email is None or not email.strip():
        return None
    email = email.strip().lower()
    if len(email) > 254 or not _EMAIL.fullmatch(email):
        raise InvalidRequest(f"{email[:100]!r} is not an e-mail address")
    return email


def set_password(session: Session, user: User, password: str,
                 keep_session_id: int | None = None) -> None:
    """Give `user` a new password and end their console sessions but `keep_session_id`
    (a stolen session must not outlive the password change)."""
    check_password_rules(password, user.name)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    ended = delete(ConsoleSession).where(ConsoleSession.user_id == user.id)
    if keep_session_id is not None:
        ended = ended.where(ConsoleSession.id != keep_session_id)
    session.execute(ended)
    session.flush()


def change_password(session: Session, user: User, current: str, new: str,
                    keep_session_id: int | None = None) -> None:
    """The user's own change: the current password must be right (when they have one).

    Raises:
        Forbidden: the current password is wrong.
        InvalidRequest: the new one breaks a rule.
    """
    if user.password_hash is not None and not verify_password(user, current):
        raise Forbidden("the current password is wrong")
    set_password(session, user, new, keep_session_id)
    record_event(session, actor_id=user.id, action="password.change", subject=_who(user))


def set_email(session: Session, user: User, email: str | None) -> None:
    """Set (or, with None or "", remove) the e-mail `user` may sign in with.

    Raises:
        InvalidRequest: not an address.
        Conflict: another account has it.
    """
    email = normalise_email(email)
    if email and session.scalar(select(User.id).where(User.email == email,
                                                      User.id != user.id)) is not None:
        raise Conflict("that e-mail address belongs to another account")
    if email != user.email:
        record_event(session, actor_id=user.id, action="user.email", subject=_who(user),
                     details={"email": email})
        user.email = email
    session.flush()


# ----- sign-in ----------------------------------------------------------------------------
@dataclass
class SignInThrottle:
    """Token buckets for failed sign-in attempts: per account (what was typed,
    lower-cased) and per client address. Defaults: 5 failures, then one a minute, per
    account; 30, then one every 10 s, per address. While a bucket is empty every try is
    refused, the right password too. In memory: one server, one set."""

    account_burst: int = 5
    account_every: float = 60.0
    address_burst: int = 30
    address_every: float = 10.0

    def __post_init__(self) -> None:
        self.accounts = TokenBuckets(1.0 / self.account_every, self.account_burst)
        self.addresses = TokenBuckets(1.0 / self.address_every, self.address_burst)
        self._reported: dict[str, float] = {}

    def wait(self, login: str | None, address: str | None) -> float:
        """Seconds before another try is allowed (0: now), spending nothing. `login`
        None: a try that names no account (a pasted API token, a sign-up), counted per
        address only."""
        waits = [self.addresses.wait(self._address_key(address))]
        if login is not None:
            waits.append(self.accounts.wait(self._account_key(login)))
        return max(waits)

    def failed(self, login: str | None, address: str | None) -> None:
        """Count a failed try (successful ones cost nothing)."""
        self.addresses.take(self._address_key(address))
        if login is not None:
            self.accounts.take(self._account_key(login))

    @staticmethod
    def _account_key(login: str) -> bytes:
        return b"a:" + login.strip().lower().encode("utf-8", "replace")[:300]

    @staticmethod
    def _address_key(address: str | None) -> bytes:
        return b"i:" + (address or "?").encode()

    def first_refusal(self, login: str | None, address: str | None) -> bool:
        """Whether a refusal is the first for this name and address in a minute: only
        those go to the audit log, so a flood of refused tries does not flood it."""
        key = f"{(login or '').strip().lower()[:300]}|{address}"
        now = time.monotonic()
        if self._reported.get(key, 0.0) > now:
            return False
        if len(self._reported) > 10_000:
            self._reported.clear()
        self._reported[key] = now + 60.0
        return True


def find_login(session: Session, login: str) -> User | None:
    """The user whose name, or e-mail (any case), is `login`."""
    login = login.strip()
    if not login or len(login) > 254:
        return None
    return session.scalar(select(User).where(or_(User.name == login,
                                                 User.email == login.lower())))


def password_sign_in(session: Session, login: str, password: str, address: str | None,
                     throttle: SignInThrottle) -> User:
    """The user `login` (a name or an e-mail) and `password` identify.

    Raises:
        QuotaExceeded: too many attempts for this account or from this address (429).
        Unauthenticated: wrong name, e-mail or password, one message for all.
        Forbidden: the password is right but the account is disabled or awaits approval.
    """
    user = find_login(session, login)
    # the log names the account tried, never what was typed for an unknown one (often a
    # password typed into the wrong field)
    tried = _who(user) if user is not None else "unknown account"
    wait = throttle.wait(login, address)
    if wait > 0:
        if throttle.first_refusal(login, address):
            record_event(session, actor_id=None, action="sign_in.throttled", subject=tried,
                         details={"address": address})
        session.commit()  # the refusal stays logged
        raise QuotaExceeded(f"too many sign-in attempts; try again in {int(wait) + 1} s")
    if not verify_password(user, password[:MAX_PASSWORD]):
        throttle.failed(login, address)
        record_event(session, actor_id=None, action="sign_in.failed", subject=tried,
                     details={"address": address})
        session.commit()  # the failed attempt stays logged
        raise Unauthenticated(WRONG_CREDENTIALS)
    if user.pending_approval:
        raise Forbidden("your account waits for an administrator's approval")
    if user.disabled_at is not None:
        raise Forbidden("your account is disabled; ask an administrator")
    return user


# ----- one-time links ---------------------------------------------------------------------
def create_link(session: Session, kind: str, actor: User | None, *, user: User | None = None,
                email: str | None = None, is_admin: bool = False, days: float = 7.0,
                grants: dict | None = None, commit: bool = True) -> str:
    """A one-time link's secret (the caller builds the URL: `/console/invite/<secret>` or
    `/console/reset/<secret>`); only its hash is stored.

    Args:
        kind: "invite" (a new account) or "reset" (a new password for `user`).
        actor: who issues it (None: the operator's command line).
        email: an invitation's address, filled in for the invitee.
        is_admin: an invitation to an administrator's account.
        days: how long it works (at most 90).
        grants: what accepting an invitation also gives, e.g. a project's membership
            {"project": 3, "role": "member"} (a project owner's invitation).
    """
    if kind not in LINK_KINDS:
        raise ValueError(f"kind must be one of {LINK_KINDS}")
    if not 1 / 24 <= days <= 90:
        raise InvalidRequest(f"a link lasts an hour (1/24 day) to 90 days, not {days:g}")
    if kind == "reset" and user is None:
        raise ValueError("a reset link needs its user")
    secret = security.new_token()
    now = utcnow()
    link = AccountLink(kind=kind, secret_hash=security.hash_token(secret),
                       user_id=user.id if user is not None else None,
                       created_by=actor.id if actor is not None else None,
                       email=normalise_email(email), is_admin=is_admin, grants=grants,
                       created_at=now, expires_at=now + timedelta(days=days))
    session.add(link)
    session.flush()
    if kind == "invite":
        record_event(session, actor_id=actor.id if actor else None, action="invitation.create",
                     subject=f"invitation {link.id}",
                     details={"email": link.email, "admin": is_admin, "days": days,
                              **({"grants": grants} if grants else {})})
    else:
        record_event(session, actor_id=actor.id if actor else None,
                     action="password.reset_link", subject=_who(user), details={"days": days})
    if commit:
        session.commit()
    return secret


def open_link(session: Session, kind: str, secret: str) -> AccountLink:
    """The unused, unexpired link of `kind` whose secret this is.

    Raises:
        NotFound: one message for unknown, used and expired links.
    """
    link = session.scalar(select(AccountLink).where(
        AccountLink.secret_hash == security.hash_token(secret or ""),
        AccountLink.kind == kind))
    if link is None or link.used_at is not None or link.expires_at <= utcnow():
        raise NotFound(BAD_LINK)
    return link


def open_invitations(session: Session) -> list[AccountLink]:
    """Invitation links not used yet and not expired, newest first."""
    return list(session.scalars(select(AccountLink).where(
        AccountLink.kind == "invite", AccountLink.used_at.is_(None),
        AccountLink.expires_at > utcnow()).order_by(AccountLink.id.desc())))


def revoke_invitation(session: Session, link_id: int, actor: User | None, *,
                      commit: bool = True) -> AccountLink:
    """End an invitation link before its time (given to the wrong person, say).

    Raises:
        NotFound: no open invitation with this id.
    """
    link = session.get(AccountLink, link_id)
    if link is None or link.kind != "invite" or link.used_at is not None \
            or link.expires_at <= utcnow():
        raise NotFound(f"no open invitation {link_id}")
    link.expires_at = utcnow()
    record_event(session, actor_id=actor.id if actor else None, action="invitation.revoke",
                 subject=f"invitation {link.id}", details={"email": link.email})
    session.flush()
    if commit:
        session.commit()
    return link


def accept_invitation(session: Session, secret: str, name: str, email: str | None,
                      password: str) -> User:
    """Create the invitee's account (an invitation's e-mail, when it names one, is kept).

    Raises:
        NotFound: the link does not work.
        InvalidRequest: a bad name, e-mail or password.
        Conflict: the name or e-mail is taken.
    """
    link = open_link(session, "invite", secret)
    email = link.email or normalise_email(email)
    check_password_rules(password, name)
    user = _new_account(session, name, email, password, admin=link.is_admin)
    link.used_at = utcnow()
    link.user_id = user.id
    record_event(session, actor_id=user.id, action="invitation.accept", subject=_who(user),
                 details={"invitation": link.id, "admin": link.is_admin})
    if link.grants:
        _apply_grants(session, user, link.grants)
    return user


def _apply_grants(session: Session, user: User, grants: dict) -> None:
    """What an invitation gives besides the account: the projects service's
    `accept_invitation_grants(session, user, grants)` when it has one."""
    from importlib import import_module

    try:
        hook = import_module("kuafu.server.services.projects").accept_invitation_grants
    except (ImportError, AttributeError):
        logger.warning("invitation grants %r ignored: no projects service", grants)
        return
    hook(session, user, grants)


def reset_password(session: Session, secret: str, password: str, *, commit: bool = True) -> User:
    """Set a new password with a reset link; every console session of the user ends.

    Raises:
        NotFound: the link does not work.
        InvalidRequest: the password breaks a rule.
    """
    link = open_link(session, "reset", secret)
    user = session.get(User, link.user_id)
    if user is None:
        raise NotFound(BAD_LINK)
    set_password(session, user, password)
    link.used_at = utcnow()
    record_event(session, actor_id=user.id, action="password.reset", subject=_who(user),
                 details={"link": link.id})
    if commit:
        session.commit()
    return user


# ----- self sign-up, approval, roles ------------------------------------------------------
def sign_up(session: Session, name: str, email: str | None, password: str, *,
            commit: bool = True) -> User | None:
    """Ask for an account (self sign-up): the account waits for an administrator's
    approval. A name or e-mail that is taken creates nothing and says nothing (the caller
    answers alike either way, so sign-up tells nobody which accounts exist).

    Raises:
        InvalidRequest: a bad name, e-mail or password.
    """
    accounts.check_user_name(name)
    email = normalise_email(email)
    check_password_rules(password, name)
    taken = session.scalar(select(func.count()).select_from(User).where(
        or_(User.name == name, User.email == email) if email else User.name == name))
    if taken:
        hash_password(password)  # the same work as a new account
        return None
    user = _new_account(session, name, email, password, pending=True)
    record_event(session, actor_id=user.id, action="signup.request", subject=_who(user),
                 details={"email": email})
    if commit:
        session.commit()
    return user


def _waiting_for_approval(session: Session, name: str) -> User:
    """User `name`, who signed up and waits for an administrator (NotFound, Conflict)."""
    user = accounts.get_user(session, name)
    if not user.pending_approval:
        raise Conflict(f"user {name!r} does not wait for approval")
    return user


def approve(session: Session, name: str, actor: User | None, *, commit: bool = True) -> User:
    """Let a self-signed-up user in.

    Raises:
        NotFound: no such user.
        Conflict: they do not wait for approval.
    """
    user = _waiting_for_approval(session, name)
    user.pending_approval = False
    record_event(session, actor_id=actor.id if actor else None, action="signup.approve",
                 subject=_who(user))
    session.flush()
    if commit:
        session.commit()
    return user


def reject(session: Session, name: str, actor: User | None, *, commit: bool = True) -> User:
    """Turn down a self-signed-up user: the account stays, disabled (its name taken, so
    nobody else appears under it), and leaves the waiting list.

    Raises:
        NotFound: no such user.
        Conflict: they do not wait for approval.
    """
    user = _waiting_for_approval(session, name)
    user.pending_approval = False
    user.disabled_at = utcnow()
    record_event(session, actor_id=actor.id if actor else None, action="signup.reject",
                 subject=_who(user))
    session.flush()
    if commit:
        session.commit()
    return user


def list_pending(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.pending_approval.is_(True))
                                .order_by(User.id)))


def set_role(session: Session, name: str, admin: bool, actor: User | None, *,
             commit: bool = True) -> User:
    """Make user `name` an administrator or take the role away.

    Raises:
        NotFound: no such user.
        Conflict: an administrator taking their own role (someone must be left).
    """
    user = accounts.get_user(session, name)
    if actor is not None and actor.id == user.id and not admin:
        raise Conflict("you cannot take away your own administrator role; "
                       "ask another administrator")
    if user.is_admin != admin:
        user.is_admin = admin
        record_event(session, actor_id=actor.id if actor else None, action="user.role",
                     subject=_who(user), details={"admin": admin})
    session.flush()
    if commit:
        session.commit()
    return user


def _new_account(session: Session, name: str, email: str | None, password: str,
                 admin: bool = False, pending: bool = False) -> User:
    if email and session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("that e-mail address belongs to another account")
    user = accounts.create_user(session, name, admin, commit=False)
    user.email = email
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.pending_approval = pending
    session.flush()
    return user


def _who(user: User | None) -> str:
    return f"user {user.name}" if user is not None else "user ?"
