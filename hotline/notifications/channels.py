"""The channel interface and its three channels: SMS over an HTTP gateway, e-mail over
SMTP, and the outbox, which records and sends nothing.

A channel's ``send`` either returns (the other side accepted the message) or raises
:class:`~hotline.core.http.DeliveryError`. Channels read their settings from the app's
configuration (``HOTLINE_SMS_GATEWAY_*``, ``HOTLINE_SMTP_*``); a channel that is not
configured is not offered, and messages for it go to the outbox.
"""

from __future__ import annotations

import json
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol

from ..core.http import DeliveryError, post
from .models import ChannelName, Status


@dataclass(frozen=True)
class Message:
    """What a channel needs to send one notification."""

    idempotency_key: str
    address: str | None
    subject: str | None
    body: str


class Channel(Protocol):
    name: str
    #: The status a message has once ``send`` returned.
    delivered_status: str

    def send(self, message: Message) -> None: ...


class OutboxChannel:
    """Records only: the message stays in the outbox, visible with status ``recorded``."""

    name = ChannelName.OUTBOX.value
    delivered_status = Status.RECORDED.value

    def send(self, message: Message) -> None:
        return None


class SmsGatewayChannel:
    """POST ``{"to", "text", "id"}`` as JSON to the gateway, with a bearer token.

    The message's idempotency key goes in the body (``id``) and in an ``Idempotency-Key``
    header, so a gateway that de-duplicates never sends a retried message twice.
    """

    name = ChannelName.SMS.value
    delivered_status = Status.SENT.value

    def __init__(self, url: str, token: str | None, timeout: float) -> None:
        self.url, self.token, self.timeout = url, token, timeout

    def send(self, message: Message) -> None:
        if not message.address:
            raise DeliveryError("no phone number for this recipient")
        body = json.dumps(
            {"to": message.address, "text": message.body, "id": message.idempotency_key}, ensure_ascii=False
        ).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": message.idempotency_key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        post(self.url, body, headers, timeout=self.timeout)


class SmtpChannel:
    """Send an e-mail through an SMTP server (STARTTLS and login when configured).

    The Message-ID is derived from the idempotency key, so a mail system can recognise a
    retried message.
    """

    name = ChannelName.EMAIL.value
    delivered_status = Status.SENT.value

    def __init__(self, *, host, port, user, password, sender, starttls, timeout) -> None:
        self.host, self.port, self.user, self.password = host, port, user, password
        self.sender, self.starttls, self.timeout = sender, starttls, timeout

    def build(self, message: Message) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.address
        mail["Subject"] = message.subject or ""
        mail["Date"] = formatdate(localtime=False)
        domain = self.sender.rsplit("@", 1)[-1].strip("> ") or "hotline.local"
        mail["Message-ID"] = make_msgid(idstring=message.idempotency_key.replace(":", "."), domain=domain)
        mail.set_content(message.body)
        return mail

    def send(self, message: Message) -> None:
        if not message.address:
            raise DeliveryError("no e-mail address for this recipient")
        mail = self.build(message)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password or "")
                refused = smtp.send_message(mail)
        except smtplib.SMTPException as exc:
            raise DeliveryError(f"SMTP: {exc}") from None
        except OSError as exc:
            raise DeliveryError(f"SMTP connection failed: {exc}") from None
        if refused:
            raise DeliveryError(f"SMTP refused the recipient: {refused}")


def configured(config) -> dict[str, Channel]:
    """The channels this configuration can deliver through (the outbox always)."""
    channels: dict[str, Channel] = {ChannelName.OUTBOX.value: OutboxChannel()}
    timeout = config.get("DELIVERY_TIMEOUT", 10)
    if config.get("SMS_GATEWAY_URL"):
        channels[ChannelName.SMS.value] = SmsGatewayChannel(
            config["SMS_GATEWAY_URL"], config.get("SMS_GATEWAY_TOKEN"), timeout
        )
    if config.get("SMTP_HOST"):
        channels[ChannelName.EMAIL.value] = SmtpChannel(
            host=config["SMTP_HOST"],
            port=config.get("SMTP_PORT", 587),
            user=config.get("SMTP_USER"),
            password=config.get("SMTP_PASSWORD"),
            sender=config["SMTP_FROM"],
            starttls=config.get("SMTP_STARTTLS", True),
            timeout=timeout,
        )
    return channels


def is_configured(config, name: str) -> bool:
    if name == ChannelName.SMS.value:
        return bool(config.get("SMS_GATEWAY_URL"))
    if name == ChannelName.EMAIL.value:
        return bool(config.get("SMTP_HOST"))
    return name == ChannelName.OUTBOX.value
