"""Reading one mail as it arrived (pure functions: no database, no storage).

:func:`parse` turns the raw bytes into a :class:`ParsedMail` with the standard library's
``email`` package (``policy.default``: RFC 2047 headers and RFC 2231 file names decoded). What the
wild sends is taken as it comes: a text part and an HTML one (``multipart/alternative``), HTML
only (sanitized with nh3, its text extracted), inline images and attachments at any depth, text in
latin-1 labelled as such or as something else (as browsers do, ``iso-8859-1`` and ``us-ascii``
are read as cp1252; bytes that fit no label are read as UTF-8 with replacement), a message without
a ``Message-ID`` (one is derived from the bytes, so that the same mail twice gets the same id).

:func:`automatic_kind` says whether a machine sent it (an auto-reply, a bounce, a mailing list),
:func:`trim_quoted` cuts the quoted history off the text shown.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage as StdMessage
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser
from pathlib import PurePosixPath

import nh3

#: The domain of the Message-IDs derived for mail that came without one.
DERIVED_ID_DOMAIN = "derived.switchboard.invalid"
#: Longest Message-ID kept as it is (``EmailMessage.message_id``); a longer one is hashed.
MAX_MESSAGE_ID = 255
#: Charsets read as cp1252, its superset (what browsers do: Outlook labels cp1252 text so).
_CP1252_ALIASES = frozenset({"iso-8859-1", "iso8859-1", "latin-1", "latin1", "us-ascii", "ascii", "windows-1252"})
_ID = re.compile(r"<([^<>\s]+)>")
#: Tags of mail HTML kept by the sanitizer, beside nh3's defaults (tables are how mail lays out).
_URL_SCHEMES = nh3.ALLOWED_URL_SCHEMES | {"cid"}


class MailParseError(Exception):
    """The bytes are not a mail (no header at all, or nothing)."""


@dataclass
class Part:
    """A file carried by the mail, or an image inline in its HTML."""

    filename: str
    content_type: str
    content: bytes
    content_id: str = ""


@dataclass
class ParsedMail:
    message_id: str
    derived_id: bool
    in_reply_to: str
    references: list[str]
    from_address: str
    from_name: str
    to: list[str]
    cc: list[str]
    subject: str
    date: datetime | None
    full_text: str
    body_text: str
    html: str
    parts: list[Part] = field(default_factory=list)
    automatic: str = "none"
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def thread_ids(self) -> list[str]:
        """Every id this mail names as its parents, nearest first."""
        ids = [self.in_reply_to] if self.in_reply_to else []
        ids += [item for item in reversed(self.references) if item not in ids]
        return ids


def parse(raw: bytes) -> ParsedMail:
    """Read ``raw`` (one mail, as the MTA or the IMAP server gave it); :class:`MailParseError`
    when it is not a mail."""
    if not raw or not raw.strip():
        raise MailParseError("empty message")
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as exc:  # the parser is lenient; anything it still raises is bad data
        raise MailParseError(str(exc)) from exc
    if not message.keys():
        raise MailParseError("no header")
    message_id, derived = _message_id(message, raw)
    from_name, from_address = _sender(message)
    plain, html_part = _body_parts(message)
    html = _sanitized_html(_decoded(html_part)) if html_part is not None else ""
    full_text = _decoded(plain) if plain is not None else html_to_text(html)
    full_text = full_text.replace("\r\n", "\n").strip("\n")
    headers = {name.lower(): _header(message, name) for name in _AUTOMATIC_HEADERS}
    parsed = ParsedMail(
        message_id=message_id,
        derived_id=derived,
        in_reply_to=next(iter(_ids(_header(message, "In-Reply-To"))), ""),
        references=_ids(_header(message, "References")),
        from_address=from_address,
        from_name=from_name,
        to=_addresses(message, "To"),
        cc=_addresses(message, "Cc"),
        subject=" ".join(_header(message, "Subject").split()),
        date=_date(message),
        full_text=full_text,
        body_text=trim_quoted(full_text),
        html=html,
        parts=_parts(message, skip={id(plain), id(html_part)}),
        headers=headers,
    )
    parsed.automatic = automatic_kind(
        headers=headers,
        content_type=message.get_content_type(),
        report_type=str(message.get_param("report-type", "") or ""),
        from_address=from_address,
    )
    return parsed


# --- Headers -------------------------------------------------------------------------------------


def _header(message: Message, name: str) -> str:
    """The header's decoded text, ``""`` when absent or past decoding."""
    try:
        value = message.get(name)
    except Exception:  # a header policy.default cannot read: its raw text then
        value = next((raw for key, raw in message.raw_items() if key.lower() == name.lower()), "")
    return str(value or "").strip()


def _ids(value: str) -> list[str]:
    return [item for item in _ID.findall(value) if len(item) <= MAX_MESSAGE_ID]


def _message_id(message: Message, raw: bytes) -> tuple[str, bool]:
    found = _ID.findall(_header(message, "Message-ID"))
    if found and len(found[0]) <= MAX_MESSAGE_ID:
        return found[0], False
    # None (or past any sensible length): the same bytes always give the same id.
    return f"{hashlib.sha256(raw).hexdigest()[:40]}@{DERIVED_ID_DOMAIN}", True


def _sender(message: Message) -> tuple[str, str]:
    try:
        addresses = message["From"].addresses if message["From"] is not None else ()
        if addresses:
            return (addresses[0].display_name or "").strip(), addresses[0].addr_spec.strip().lower()
    except Exception:  # noqa: S110 (unreadable as an address header: the lenient reading below)
        pass
    name, address = parseaddr(_header(message, "From"))
    return name.strip(), address.strip().lower()


def _addresses(message: Message, name: str) -> list[str]:
    try:
        header = message[name]
        if header is None:
            return []
        return [item.addr_spec.lower() for item in header.addresses if item.addr_spec]
    except Exception:
        return [address.lower() for _name, address in getaddresses([_header(message, name)]) if address]


def _date(message: Message) -> datetime | None:
    try:
        header = message["Date"]
        moment = header.datetime if header is not None else None
    except Exception:
        return None
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# --- Bodies --------------------------------------------------------------------------------------


def _body_parts(message: StdMessage) -> tuple[Message | None, Message | None]:
    """The text part and the HTML part shown as the mail's body (either may be missing)."""
    try:
        plain = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
    except Exception:
        return None, None
    if plain is not None and plain.get_content_disposition() == "attachment":
        plain = None
    if html is not None and html.get_content_disposition() == "attachment":
        html = None
    return plain, html


def _decoded(part: Message) -> str:
    """The text of a part, whatever charset it claims."""
    payload = part.get_payload(decode=True)
    if payload is None:
        return ""
    charset = (part.get_content_charset() or "us-ascii").lower()
    if charset in _CP1252_ALIASES:
        charset = "cp1252"
    for candidate in (charset, "utf-8"):
        try:
            return payload.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("cp1252", errors="replace")


def _sanitized_html(html: str) -> str:
    """The HTML as shown in the desk: no script, style, event handler nor remote form; ``cid:``
    images kept (they point at the mail's inline parts)."""
    return nh3.clean(html, url_schemes=_URL_SCHEMES, link_rel="noopener noreferrer nofollow").strip()


class _TextExtractor(HTMLParser):
    _BLOCKS = frozenset(
        {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "ul", "ol", "hr"}
    )
    _SKIPPED = frozenset({"style", "script", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self._SKIPPED:
            self.skipping += 1
        elif tag in self._BLOCKS:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self._BLOCKS:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.chunks.append(" ".join(data.split()) if data.strip() else (" " if data else ""))


def html_to_text(html: str) -> str:
    """The text of a mail's HTML: one line per block, blank lines collapsed."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    lines = [line.strip() for line in "".join(extractor.chunks).split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# --- Quoted history ------------------------------------------------------------------------------

_QUOTE_MARKERS = (
    re.compile(r"^-{2,}\s*(original message|message d'origine|message original)\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^(on|le)\s.+(wrote|a écrit)\s?:\s*$", re.IGNORECASE),
    re.compile(r"^_{10,}\s*$"),
    re.compile(r"^(from|de)\s?:\s.+$", re.IGNORECASE),
)


def trim_quoted(text: str) -> str:
    """``text`` without the history it quotes: cut at the first "On … wrote:" / "Le … a écrit :"
    line (also wrapped on two lines), an "Original Message" rule, Outlook's header block
    ("From: … Sent: …", "De : … Envoyé : …"), or the trailing block of "> " lines. All of it
    when that leaves nothing (a mail that only quotes)."""
    lines = text.split("\n")
    cut = len(lines)
    for index, line in enumerate(lines):
        stripped = line.strip()
        joined = f"{stripped} {lines[index + 1].strip()}" if index + 1 < len(lines) else stripped
        if _QUOTE_MARKERS[0].match(stripped) or _QUOTE_MARKERS[2].match(stripped):
            cut = index
            break
        if _QUOTE_MARKERS[1].match(stripped) or (
            re.match(r"^(on|le)\s", stripped, re.IGNORECASE) and _QUOTE_MARKERS[1].match(joined)
        ):
            cut = index
            break
        if _QUOTE_MARKERS[3].match(stripped) and _outlook_block(lines[index + 1 : index + 4]):
            cut = index
            break
        if stripped.startswith(">") and all(
            not rest.strip() or rest.lstrip().startswith(">") for rest in lines[index:]
        ):
            cut = index
            break
    kept = "\n".join(lines[:cut]).strip()
    return kept or text.strip()


def _outlook_block(following: list[str]) -> bool:
    return any(re.match(r"^\s*(sent|date|envoyé|to|à)\s?:", line, re.IGNORECASE) for line in following)


# --- Files ---------------------------------------------------------------------------------------


def _parts(message: Message, *, skip: set[int]) -> list[Part]:
    """Every file of the mail at any depth (not the parts shown as its body); a mail inside the
    mail (a bounce's copy, a forward) is one ``.eml`` file."""
    found: list[Part] = []

    def visit(part: Message) -> None:
        content_type = part.get_content_type()
        if id(part) in skip:
            return
        if part.get_content_maintype() == "multipart":
            for child in part.iter_parts():
                visit(child)
            return
        if content_type == "message/rfc822":
            inner = part.get_payload(0) if part.is_multipart() else None
            content = inner.as_bytes() if inner is not None else b""
            found.append(Part(_filename(part, len(found), ".eml"), content_type, content, _content_id(part)))
            return
        if part is message and content_type.startswith("text/"):
            return  # a single-part mail's body
        # A text part beside the body (a bounce's explanation) is a file too; a delivery report
        # (message/delivery-status, a list of header blocks to the parser) is kept as written.
        content = part.get_payload(decode=True)
        if content is None:
            content = part.as_bytes() if part.is_multipart() else b""
        found.append(Part(_filename(part, len(found)), content_type, content, _content_id(part)))

    visit(message)
    return found


def _content_id(part: Message) -> str:
    found = _ID.findall(str(part.get("Content-ID") or ""))
    return found[0] if found else ""


#: Names of the unnamed parts of a delivery report.
_REPORT_NAMES = {"message/delivery-status": "delivery-status.txt", "text/rfc822-headers": "returned-headers.txt"}


def _filename(part: Message, index: int, default_extension: str = "") -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    name = PurePosixPath(name.replace("\\", "/")).name
    name = "".join(char for char in name if char.isprintable()).strip()[:200]
    if not name:
        content_type = part.get_content_type()
        if content_type in _REPORT_NAMES:
            return _REPORT_NAMES[content_type]
        extension = default_extension or mimetypes.guess_extension(content_type) or ".bin"
        name = f"part-{index + 1}{extension}"
    return name


# --- What a machine sent -------------------------------------------------------------------------

_AUTOMATIC_HEADERS = (
    "Auto-Submitted",
    "X-Autoreply",
    "X-Autorespond",
    "X-Auto-Response-Suppress",
    "Precedence",
    "List-Id",
    "List-Unsubscribe",
    "Return-Path",
)
_DAEMONS = frozenset({"mailer-daemon", "postmaster"})


def automatic_kind(*, headers: dict[str, str], content_type: str, report_type: str, from_address: str) -> str:
    """``bounce`` (a delivery report, or from MAILER-DAEMON/postmaster), ``auto_reply``
    (Auto-Submitted other than "no", X-Autoreply, X-Autorespond, Precedence auto_reply), ``list``
    (List-Id, List-Unsubscribe, Precedence bulk/list/junk), or ``none`` (a person wrote it)."""
    local = from_address.partition("@")[0].lower()
    if (content_type == "multipart/report" and report_type.lower() == "delivery-status") or local in _DAEMONS:
        return "bounce"
    precedence = headers.get("precedence", "").strip().lower()
    submitted = headers.get("auto-submitted", "").strip().lower()
    if (submitted and submitted != "no") or headers.get("x-autoreply") or headers.get("x-autorespond"):
        return "auto_reply"
    if precedence == "auto_reply":
        return "auto_reply"
    if headers.get("list-id") or headers.get("list-unsubscribe") or precedence in ("bulk", "list", "junk"):
        return "list"
    return "none"
