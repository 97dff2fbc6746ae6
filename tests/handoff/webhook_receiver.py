#!/usr/bin/env python3
"""A webhook receiver for the tests of messages to staff: answers POST on
loopback and writes each request it accepts to a folder, as N.json:
{"path", "headers", "body"} (body as received, decoded from UTF-8).

    webhook_receiver.py --port PORT --out DIR [--fail N] [--cert FILE --key FILE]

--fail N answers the first N requests 503 (a receiver that is down for a
moment) before accepting the others with 204. With --cert and --key it
speaks HTTPS. Prints "ready" on stdout once it listens; stops on SIGTERM or
SIGINT. Python's standard library only.
"""
import argparse
import http.server
import json
import os
import signal
import ssl
import sys
import threading


def handler(out, state):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get('Content-Length') or 0)
            body = self.rfile.read(length)
            with state['lock']:
                failing = state['fail'] > 0
                if failing:
                    state['fail'] -= 1
                else:
                    state['count'] += 1
                    n = state['count']
            if failing:
                self.send_response(503)
                self.send_header('Content-Length', '0')
                self.end_headers()
                return
            path = os.path.join(out, '%d.json' % n)
            with open(path + '.tmp', 'w', encoding='utf-8') as f:
                json.dump({'path': self.path, 'headers': dict(self.headers.items()),
                           'body': body.decode('utf-8')}, f, ensure_ascii=False)
            os.rename(path + '.tmp', path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass  # quiet: the driver reads the folder

    return Handler


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--host', default='127.0.0.1')
    p.add_argument('--port', type=int, required=True)
    p.add_argument('--out', required=True)
    p.add_argument('--fail', type=int, default=0)
    p.add_argument('--cert')
    p.add_argument('--key')
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    state = {'fail': a.fail, 'count': 0, 'lock': threading.Lock()}
    server = http.server.ThreadingHTTPServer((a.host, a.port), handler(a.out, state))
    if a.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: threading.Thread(target=server.shutdown).start())
    print('ready', flush=True)
    server.serve_forever()
    return 0


if __name__ == '__main__':
    sys.exit(main())
