"""Guard sign-in on the phone page: device id + per-guard PIN, signed tokens.

PINs are kept only as salted scrypt hashes in ``guard_pins``. A guard with
no PIN yet gets the pilot's demo PIN, **the last four digits of his phone
number in guards.csv**, seeded on start (:meth:`GuardAuth.seed_demo_pins`).
An admin changes one with::

    python -m shouwang set-pin G001          # asks for the new PIN twice
    echo 4821 | python -m shouwang set-pin G001 --stdin

Sign-in answers a token signed with ``SECRET_KEY`` (itsdangerous) that holds
the guard, his device and his PIN version; changing the PIN ends every
session signed with the old one. Failed PINs are counted per device in Redis
and a device is locked out for the rest of the window after
``max_failures``. Every attempt, good or bad, is written to ``guard_signins``
before it is answered.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import os
import secrets
import sys
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from live.state.claims import Claims
from shouwang.errors import TooManyAttempts, Unauthenticated
from shouwang.records import audit
from shouwang.records.fieldops_tables import guard_pins, guard_signins
from shouwang.records.tables import guards
from shouwang.timeutil import utc

__all__ = [
    "GuardAuth",
    "GuardSession",
    "demo_pin",
    "hash_pin",
    "load_secret_key",
    "store_pin",
    "verify_pin",
]

# Demo PINs are 4 digits derived from a phone number kept in the same
# database, so a costly hash buys nothing there (and seeding every guard must
# not slow the first start); the Redis lock-out is the real defence.
# Admin-set PINs get the stronger cost.
DEMO_SCRYPT = (2**8, 8, 1)
ADMIN_SCRYPT = (2**14, 8, 1)
_TOKEN_SALT = "shouwang.guard-token"


@dataclass(frozen=True)
class GuardSession:
    """Who a valid token belongs to."""

    guard_id: str
    device_id: str


def demo_pin(phone: str) -> str:
    """The pilot's demo PIN: the last four digits of the guard's phone number."""
    digits = "".join(ch for ch in str(phone) if ch.isdigit())
    return digits[-4:].rjust(4, "0")


def hash_pin(pin: str, params: tuple[int, int, int] = ADMIN_SCRYPT) -> str:
    """Salted scrypt hash of ``pin`` as ``scrypt$n$r$p$salt$hash`` (hex)."""
    n, r, p = params
    salt = os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, dklen=32)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str) -> bool:
    """Whether ``pin`` matches a hash made by :func:`hash_pin` (constant time)."""
    try:
        algo, n, r, p, salt, digest = stored.split("$")
        if algo != "scrypt":
            return False
        got = hashlib.scrypt(
            pin.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


def valid_pin_problem(pin: object) -> str | None:
    """Why ``pin`` cannot be a PIN (4 to 8 digits), or None."""
    if not isinstance(pin, str) or not pin.isdigit() or not 4 <= len(pin) <= 8:
        return "must be 4 to 8 digits"
    return None


def store_pin(engine: Engine, guard_id: str, pin: str, *, now: float, actor: str = "admin") -> int:
    """Set a guard's PIN (admin strength hash); returns the new PIN version.

    Raises
    ------
    ValueError
        The PIN is not 4 to 8 digits.
    """
    problem = valid_pin_problem(pin)
    if problem:
        raise ValueError(f"pin {problem}")
    pin_hash = hash_pin(pin, ADMIN_SCRYPT)
    values = {"pin_hash": pin_hash, "source": "admin", "updated_at": utc(now)}
    with engine.begin() as conn:
        audit.write(conn, audit.Actor(actor), "guard.set_pin", f"guard:{guard_id}", {}, at=now)
        version = conn.execute(
            sa.select(guard_pins.c.version).where(guard_pins.c.guard_id == guard_id)
        ).scalar_one_or_none()
        if version is None:
            conn.execute(guard_pins.insert().values(guard_id=guard_id, version=1, **values))
            return 1
        conn.execute(
            guard_pins.update()
            .where(guard_pins.c.guard_id == guard_id)
            .values(version=guard_pins.c.version + 1, **values)
        )
        return version + 1


def load_secret_key(configured: str | None, state_dir: Path) -> str:
    """The signing secret: ``SECRET_KEY`` if set, else one kept in STATE_DIR.

    The file is created once (exclusively, so two processes starting together
    agree on one key) and read on every later start, so restarts keep the
    guards signed in.
    """
    if configured:
        return configured
    path = Path(state_dir) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
        if key:
            return key
        raise RuntimeError(f"{path} is empty; delete it to make a new key") from None
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        key = secrets.token_urlsafe(48)
        fh.write(key + "\n")
    return key


class GuardAuth:
    """PIN checks, tokens and the failed-PIN lock-out.

    Parameters
    ----------
    engine
        Records database (``guard_pins``, ``guard_signins``).
    claims
        The live store's coordination keys (``store.claims``): failed-PIN
        counters under ``pinfail:{device_id}``.
    secret_key
        Token signing secret (:func:`load_secret_key`).
    device_guard
        Maps a device id to its guard id (None if unknown): the live roster.
    clock
        Epoch seconds.
    token_max_age_s
        A token is refused after this long (a 12-hour shift plus slack).
    max_failures, window_s
        Failed PINs allowed per device and window before the lock-out.
    """

    def __init__(
        self,
        engine: Engine,
        claims: Claims,
        *,
        secret_key: str,
        device_guard: Callable[[str], str | None],
        clock: Callable[[], float],
        token_max_age_s: float = 16 * 3600,
        max_failures: int = 5,
        window_s: int = 900,
    ) -> None:
        self.engine = engine
        self.claims = claims
        self.device_guard = device_guard
        self.clock = clock
        self.token_max_age_s = token_max_age_s
        self.max_failures = max_failures
        self.window_s = window_s
        self._serializer = URLSafeTimedSerializer(secret_key, salt=_TOKEN_SALT)

    # -- PINs -----------------------------------------------------------------
    def seed_demo_pins(self, phones: Mapping[str, str]) -> int:
        """Give every guard without a PIN his demo PIN; returns how many were added.

        Safe with several processes starting at once: a row another process
        inserted first is left alone.
        """
        with self.engine.connect() as conn:
            have = set(conn.execute(sa.select(guard_pins.c.guard_id)).scalars())
        missing = sorted(set(phones) - have)
        if not missing:
            return 0
        # hashlib.scrypt releases the GIL: hash on every core.
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            hashes = list(pool.map(lambda g: hash_pin(demo_pin(phones[g]), DEMO_SCRYPT), missing))
        now = utc(self.clock())
        rows = [
            {"guard_id": g, "pin_hash": h, "version": 1, "source": "demo", "updated_at": now}
            for g, h in zip(missing, hashes, strict=True)
        ]
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        insert = dialect.insert(guard_pins).on_conflict_do_nothing(index_elements=["guard_id"])
        with self.engine.begin() as conn:
            conn.execute(insert, rows)
        with self.engine.connect() as conn:
            added = conn.execute(
                sa.select(sa.func.count())
                .select_from(guard_pins)
                .where(guard_pins.c.guard_id.in_(missing), guard_pins.c.updated_at == now)
            ).scalar_one()
        return int(added)

    def set_pin(self, guard_id: str, pin: str, *, actor: str = "admin") -> int:
        """Set a guard's PIN (admin); returns the new PIN version."""
        return store_pin(self.engine, guard_id, pin, now=self.clock(), actor=actor)

    def _pin_row(self, guard_id: str) -> sa.Row[Any, Any] | None:
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(guard_pins.c.pin_hash, guard_pins.c.version).where(
                    guard_pins.c.guard_id == guard_id
                )
            ).first()

    # -- sign-in ----------------------------------------------------------------
    @staticmethod
    def _fail_key(device_id: str) -> str:
        return f"pinfail:{device_id}"

    def failures(self, device_id: str) -> int:
        """Failed PINs counted for a device in the current window."""
        return self.claims.failures(self._fail_key(device_id))

    def _record(
        self, device_id: str, guard_id: str | None, ok: bool, reason: str, remote: str
    ) -> None:
        now = self.clock()
        who = f"guard:{guard_id}" if guard_id else f"device:{device_id[:64]}"
        with self.engine.begin() as conn:
            audit.write(
                conn, audit.Actor(who, remote or None), "guard.signin" if ok else "guard.signin_failed",
                who, {"device_id": device_id[:64], "reason": reason}, at=now,
            )  # fmt: skip
            conn.execute(
                guard_signins.insert().values(
                    at=utc(now), device_id=device_id[:64], guard_id=guard_id, ok=ok,
                    reason=reason, remote_addr=(remote or "")[:64],
                )
            )  # fmt: skip

    def sign_in(self, device_id: str, pin: str, *, remote_addr: str = "") -> tuple[str, str]:
        """Check a device's PIN; returns ``(guard_id, token)``.

        Raises
        ------
        Unauthenticated, TooManyAttempts
            TooManyAttempts ``locked_out`` when the device has used up its failures (the
            PIN is not even checked), Unauthenticated ``bad_credentials`` for an unknown
            device or a wrong PIN (one message for both, so the answer does
            not tell which device ids exist).
        """
        key = self._fail_key(device_id)
        if self.failures(device_id) >= self.max_failures:
            ttl = self.claims.window_left_s(key)
            self._record(device_id, None, False, "locked_out", remote_addr)
            raise TooManyAttempts(
                "locked_out",
                "too many wrong PINs from this device; try again later",
                max(int(ttl), 1),
            )
        guard_id = self.device_guard(device_id)
        row = self._pin_row(guard_id) if guard_id else None
        if row is None or not verify_pin(pin, row.pin_hash):
            self.claims.add_failure(key, window_s=self.window_s)
            reason = "unknown_device" if guard_id is None else "bad_pin"
            self._record(device_id, guard_id, False, reason, remote_addr)
            raise Unauthenticated("bad_credentials", "device id or PIN is wrong")
        assert guard_id is not None  # its PIN row was found
        self.claims.clear(key)
        self._record(device_id, guard_id, True, "ok", remote_addr)
        token = self._serializer.dumps({"g": guard_id, "d": device_id, "v": int(row.version)})
        return guard_id, token

    def verify(self, token: str | None) -> GuardSession:
        """The session a token stands for.

        Raises
        ------
        Unauthenticated
            Unauthenticated ``invalid_token`` (missing, forged, for a device no longer the
            guard's, or signed before a PIN change) or ``token_expired``.
        """
        if not token:
            raise Unauthenticated("invalid_token", "sign in first: no guard token")
        try:
            data = self._serializer.loads(token, max_age=int(self.token_max_age_s))
        except SignatureExpired as exc:
            raise Unauthenticated(
                "token_expired", "the session has expired; sign in again"
            ) from exc
        except BadSignature as exc:
            raise Unauthenticated("invalid_token", "the guard token is not valid") from exc
        guard_id, device_id = data.get("g"), data.get("d")
        if not guard_id or self.device_guard(device_id) != guard_id:
            raise Unauthenticated("invalid_token", "the token's device is not this guard's")
        row = self._pin_row(guard_id)
        if row is None or int(row.version) != data.get("v"):
            raise Unauthenticated("invalid_token", "the PIN has changed; sign in again")
        return GuardSession(guard_id=guard_id, device_id=device_id)


def set_pin_command(engine: Engine, guard_id: str, read_pin: Callable[[], str | None]) -> int:
    """Set ``guard_id``'s PIN from ``read_pin()`` (None: the two entries differ).

    What ``python -m shouwang set-pin`` runs; prints the outcome and returns
    the exit code (0 changed, 1 refused, 2 unknown guard).
    """
    with engine.connect() as conn:
        known = conn.execute(
            sa.select(guards.c.guard_id).where(guards.c.guard_id == guard_id)
        ).scalar_one_or_none()
    if known is None:
        print(f"unknown guard {guard_id!r} (not in the loaded guard list)", file=sys.stderr)
        return 2
    pin = read_pin()
    if pin is None:
        print("the two PINs differ; nothing changed", file=sys.stderr)
        return 1
    problem = valid_pin_problem(pin)
    if problem:
        print(f"PIN {problem}; nothing changed", file=sys.stderr)
        return 1
    version = store_pin(engine, guard_id, pin, now=time.time(), actor=f"cli:{getpass.getuser()}")
    print(f"PIN of {guard_id} changed (version {version}); his old sessions are ended")
    return 0
