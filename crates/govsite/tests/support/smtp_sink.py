"""A real SMTP server for the tests: accepts every message and writes it, decoded, to a folder.

usage: smtp_sink.py PORT DIR   (prints "READY" once listening)
Each message becomes DIR/<n>.txt holding "To: ...", "Subject: ...", a blank line and the
plain-text body, so tests read what a person would read.
"""
import asyncio
import email
import email.policy
import os
import sys

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder):
        self.folder = folder
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        self.count += 1
        tmp = os.path.join(self.folder, f".{self.count}.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(f"To: {', '.join(envelope.rcpt_tos)}\n")
            f.write(f"From: {msg['From']}\n")
            f.write(f"Subject: {msg['Subject']}\n\n")
            f.write(text)
        os.rename(tmp, os.path.join(self.folder, f"{self.count}.txt"))
        return "250 OK"


async def main():
    port, folder = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Sink(folder), hostname="127.0.0.1", port=port)
    controller.start()
    print("READY", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        controller.stop()


if __name__ == "__main__":
    asyncio.run(main())
