"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives: the sink the
tests and benchmarks deliver to. Addresses at bounce.invalid are refused with 550 (a bad
address); `tempfail` makes it answer 451 to every recipient for a while."""

import email
import email.policy
import re
import socket
import threading
import time

from aiosmtpd.controller import Controller

_MESSAGE_ID = re.compile(rb"(?im)^Message-ID:\s*(<[^>\r\n]+>)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Received:
    def __init__(self, mail_from, rcpt_tos, content):
        self.mail_from, self.rcpt_tos, self.content = mail_from, rcpt_tos, content
        self._message = None

    @property
    def message(self):
        """The parsed message, parsed when first asked for (not while the server runs)."""
        if self._message is None:
            self._message = email.message_from_bytes(
                self.content.replace(b"\r\n", b"\n"), policy=email.policy.default
            )
        return self._message

    @property
    def message_id(self):
        """The Message-ID header, found without parsing the whole message."""
        found = _MESSAGE_ID.search(self.content)
        return found.group(1).decode() if found else None

    def __getitem__(self, header):
        return self.message[header]

    def text(self):
        return self.message.get_body(("plain",)).get_content()

    def html(self):
        part = self.message.get_body(("html",))
        return part.get_content() if part is not None else ""


class _Handler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@bounce.invalid"):
            return "550 5.1.1 No such user here"
        if self.sink.tempfail:
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.sink.add(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"


class SmtpSink:
    """Start it, deliver to `url`, read `messages`; stop() and start() again on the same
    port to play an SMTP server that is down for a while."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.url = f"smtp://127.0.0.1:{self.port}"
        self.messages = []
        self.arrival_times = []  # time.time() of each message, in order
        self.tempfail = False
        self.on_message = None  # called with each message as it arrives (e.g. to kill a worker)
        self._lock = threading.Lock()
        self._controller = None

    def add(self, received):
        with self._lock:
            self.messages.append(received)
            self.arrival_times.append(time.time())
            count = len(self.messages)
        if self.on_message is not None:
            self.on_message(count)

    def start(self):
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def count(self):
        with self._lock:
            return len(self.messages)

    def wait_for(self, count, timeout=30.0, settle=0.0):
        """Wait until `count` messages have arrived (then `settle` seconds more, to catch
        any extra); returns how many arrived."""
        deadline = time.monotonic() + timeout
        while self.count() < count and time.monotonic() < deadline:
            time.sleep(0.02)
        if settle:
            time.sleep(settle)
        return self.count()

    def to(self, address):
        with self._lock:
            return [m for m in self.messages if address in m.rcpt_tos]

    def message_ids(self):
        with self._lock:
            return [m.message_id for m in self.messages]
