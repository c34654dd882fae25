"""Who is signing in, and their sessions: the desk's one seam onto the people of the application layer
(``application.people``: passwords, slowing down and lockout, sessions that a disabled user loses at once)."""

from __future__ import annotations

from datetime import timedelta

from application.cases import Application
from application.people import SignInRefused
from domain.events import Actor

__all__ = ["SignInRefused", "end_session", "enter_password_again", "password_age", "session_actor", "sign_in"]


async def sign_in(app: Application, login: str, password: str) -> str:
    """Check the login and password and open a session; answers its secret for the cookie. Raises
    :class:`SignInRefused` with a Chinese message for the sign-in page."""
    people = app.people
    return await people.start_session(await people.sign_in(login, password))


async def session_actor(app: Application, secret: str) -> Actor | None:
    user = await app.people.session_user(secret)
    return user.actor if user is not None else None


async def end_session(app: Application, secret: str) -> None:
    await app.people.end_session(secret)


async def password_age(app: Application, secret: str) -> timedelta | None:
    """How long ago this session's person last entered their password (the admin's desk wants it fresh)."""
    return await app.people.password_age(secret)


async def enter_password_again(app: Application, secret: str, password: str) -> None:
    """Raises :class:`SignInRefused` with a Chinese message when the password is not this person's."""
    await app.people.enter_password_again(secret, password)
