"""Notification connectors: e-mail over real SMTP (``email.gui``, the client is :class:`SmtpMailer`),
SMS (``sms.gui``) and Zalo OTT (``zalo.gui``), whose only answering systems today are the local
fakes in ``fakes.messaging``. Errors never quote the address: connector errors end up in logs and rows."""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.header import Header
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from typing import Any

from engine.connectors import ConnectorError

EMAIL_PATTERN = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 8025
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    sender: str = "Dịch vụ công <no-reply@motcua.invalid>"
    timeout: float = 20.0


@dataclass
class SmtpMailer:
    """Sends one plain-text e-mail per call through an SMTP server (the province's relay in
    production, the local sink in the embedded default). 4xx replies, refused connections and
    timeouts are retryable; 5xx replies and malformed addresses are not."""

    settings: SmtpSettings = field(default_factory=SmtpSettings)
    name: str = "email.gui"
    required_params: frozenset[str] = frozenset({"dia_chi_email", "tieu_de", "noi_dung"})
    optional_params: frozenset[str] = frozenset()
    result_fields: frozenset[str] = frozenset({"message_id"})

    def call(self, params: Mapping[str, Any]) -> Any:
        address = str(params["dia_chi_email"]).strip()
        if not EMAIL_PATTERN.match(address) or len(address) > 254:
            raise ConnectorError("invalid e-mail address", retryable=False)
        # compat32 MIMEText + Header: the newer email policy loses the spaces between encoded
        # Vietnamese words in the subject ("Mớiđăng ký") when the server lacks SMTPUTF8.
        message = MIMEText(str(params["noi_dung"]), "plain", "utf-8")
        sender_name, sender_address = parseaddr(self.settings.sender)
        message["From"] = formataddr((sender_name, sender_address), charset="utf-8")
        message["To"] = address
        message["Subject"] = Header(str(params["tieu_de"]), "utf-8")  # type: ignore[assignment]  # compat32 takes one
        message["Date"] = formatdate(localtime=True)
        message["Message-ID"] = make_msgid(domain="motcua.invalid")
        try:
            with smtplib.SMTP(self.settings.host, self.settings.port, timeout=self.settings.timeout) as smtp:
                if self.settings.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.settings.user:
                    smtp.login(self.settings.user, self.settings.password or "")
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as err:
            codes = [code for code, _ in err.recipients.values()]
            raise _reply_error("recipient refused", codes[0] if codes else 550) from None
        except smtplib.SMTPResponseException as err:
            raise _reply_error("SMTP server refused", err.smtp_code) from None
        except smtplib.SMTPServerDisconnected:
            raise ConnectorError("SMTP server closed the connection", retryable=True) from None
        except smtplib.SMTPException as err:  # e.g. AUTH or STARTTLS not offered: a configuration error
            raise ConnectorError(f"SMTP failure ({type(err).__name__})", retryable=False) from None
        except OSError as err:  # refused, unreachable, timed out (SMTPException is an OSError too: above)
            raise ConnectorError(f"SMTP server unreachable ({type(err).__name__})", retryable=True) from None
        return {"message_id": message["Message-ID"]}


def _reply_error(what: str, code: int) -> ConnectorError:
    # The server's text may quote the address, so only the code is kept.
    return ConnectorError(f"{what}: {code}", retryable=400 <= code < 500)


ZALO_MAX_LENGTH = 2000  # characters in one OA text message
SMS_MAX_LENGTH = 480  # three concatenated SMS segments


def mobile_number(params: Mapping[str, Any]) -> str:
    """``so_dien_thoai`` as a Vietnamese mobile number (10 digits from 0), or the refusal a
    messaging gateway gives (not worth retrying)."""
    number = str(params["so_dien_thoai"])
    if not (number.startswith("0") and len(number) == 10 and number.isdigit()):
        raise ConnectorError("invalid phone number", retryable=False)
    return number


@dataclass(kw_only=True)
class SmsSend:
    """``sms.gui``: an SMS gateway (brandname SMS) sends ``noi_dung`` (at most 480 characters) to a
    mobile number. Timeouts are retryable; an invalid number or a message too long is not. The
    answering system (``fakes.messaging``) subclasses this with its ``call``."""

    name: str = "sms.gui"
    required_params: frozenset[str] = frozenset({"so_dien_thoai", "noi_dung"})
    optional_params: frozenset[str] = frozenset()
    result_fields: frozenset[str] = frozenset({"message_id"})


@dataclass(kw_only=True)
class ZaloSend:
    """``zalo.gui``: Zalo's Official Account / ZNS API sends a text (at most 2,000 characters) to
    the Zalo account of a phone number; a number without one is refused for good. The answering
    system (``fakes.messaging``) subclasses this with its ``call``."""

    name: str = "zalo.gui"
    required_params: frozenset[str] = frozenset({"so_dien_thoai", "noi_dung"})
    optional_params: frozenset[str] = frozenset()
    result_fields: frozenset[str] = frozenset({"message_id"})
