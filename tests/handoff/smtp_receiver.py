#!/usr/bin/env python3
"""A mail server for the tests of messages to staff: receives on loopback and
writes each message it accepts to a folder, as N.eml (the message as
received) beside N.json (its envelope: sender, recipients).

    smtp_receiver.py --port PORT --out DIR [--fail N]

--fail N answers the first N messages "451 try again later" (a temporary
failure, as a busy mail server gives) before accepting the others. Prints
"ready" on stdout once it listens; stops on SIGTERM or SIGINT.

Needs python3-aiosmtpd (Debian 12).
"""
import argparse
import json
import os
import signal
import sys
import threading

from aiosmtpd.controller import Controller


class Keeper:
    def __init__(self, out, fail):
        self.out = out
        self.fail = fail
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.fail > 0:
                self.fail -= 1
                return '451 4.3.0 try again later'
            self.count += 1
            n = self.count
        base = os.path.join(self.out, '%d' % n)
        with open(base + '.eml.tmp', 'wb') as f:
            f.write(envelope.original_content or envelope.content)
        with open(base + '.json', 'w') as f:
            json.dump({'from': envelope.mail_from, 'to': envelope.rcpt_tos}, f)
        os.rename(base + '.eml.tmp', base + '.eml')  # whole files only, for the driver
        return '250 2.0.0 kept'


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--host', default='127.0.0.1')
    p.add_argument('--port', type=int, required=True)
    p.add_argument('--out', required=True)
    p.add_argument('--fail', type=int, default=0)
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    controller = Controller(Keeper(a.out, a.fail), hostname=a.host, port=a.port)
    controller.start()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    print('ready', flush=True)
    stop.wait()
    controller.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
