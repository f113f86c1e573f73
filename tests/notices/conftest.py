"""Notification tests: a real SMTP server on loopback (aiosmtpd) that keeps what it receives, and people
in each role with an email address."""

import email
import socket
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth.models import AbstractBaseUser

from tests.conftest import member_of


class Inbox:
    """What the SMTP server received, each message as the recipient's mail program reads it."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # aiosmtpd's name
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in m["To"]]

    @staticmethod
    def body(message: EmailMessage) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings) -> Iterator[Inbox]:
    """A real SMTP server on a loopback port, and the site's email settings pointing at it."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.SITE_URL = "https://backoffice.example.com"
    yield inbox
    controller.stop()


def person(role: str, username: str) -> AbstractBaseUser:
    user = member_of(role, username)
    user.email = f"{username}@example.org"
    user.save()
    return user


@pytest.fixture
def people(db) -> dict[str, AbstractBaseUser]:
    """One person in each role, each with an email address."""
    return {role: person(role, role.lower().replace(" ", "-")) for role in
            ("Observer", "Customer service", "Supervisor", "Admin")}
