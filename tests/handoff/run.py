#!/usr/bin/env python3
"""Messages to staff, end to end: the real server, a real mail server
(smtp_receiver.py, python3-aiosmtpd) and a real webhook receiver
(webhook_receiver.py), all on loopback.

    run.py --bin build/passerelle --root . [--promtool PATH]

Each case starts the servers it needs on free ports, with short retry delays
so that the whole run takes seconds, and prints `ok - name` or
`not ok - name: reason`; the last line is `N passed, N failed`. Exit status
0 only when every case passed (2 on a usage error).

The knowledge is the test fixture (tests/fixtures/knowledge) with the staff
texts of the repository (locales/staff), so that edits of the bundled
knowledge do not move these tests; the texts expected (acknowledgements,
error messages) are read from those locale files.
"""
import argparse
import base64
import email
import email.policy
import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

HOST = '127.0.0.1'
START_TIMEOUT = 8.0   # a server answers /healthz within this
WAIT = 8.0            # longest wait for a delivery, an ack, a state
FAST = ['--handoff-retry-base', '0.2', '--handoff-retry-max', '0.4']
MAIL_FROM = 'passerelle@example.org'
MAIL_TO = 'international@example.org'
SECRET = 'a webhook secret for the tests, 41 bytes'

# What the test residents type: none of it may reach a log.
EMAIL = 'marie.dupont@example.net'
PHONE_AR = '+216 ٧١ ٢٣٤ ٥٦٧'  # Arabic-Indic digits, as an Arabic keyboard types them
PHONE_FR = '06 12 34 56 78'
TEXT_FR = 'Bonjour, je voudrais accueillir une famille de Sopot cet été. Qui dois-je contacter ?'
TEXT_AR = 'مرحبًا، أودّ أن أشارك في التبادل مع رأس الجبل هذا الصيف. كيف أتواصل مع البلدية؟'
QUESTION_AR = 'ما حالة الطقس غدا في كولومب؟'  # outside what the bot knows: the fallback
SECRETS = [EMAIL, PHONE_AR, PHONE_FR, TEXT_FR[:40], TEXT_AR[:30], '٧١ ٢٣٤']


def fail(message):
    raise AssertionError(message)


def check(condition, message):
    if not condition:
        fail(message)


def wait_for(predicate, what, timeout=WAIT):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(0.05)
    fail('%s (waited %.0f s)' % (what, timeout))


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- WebSocket

class WebSocket:
    """A minimal WebSocket client (RFC 6455): text frames, masked."""

    def __init__(self, port, lang='fr'):
        self.sock = socket.create_connection((HOST, port), timeout=WAIT)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(('GET /ws?lang=%s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n'
                           'Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n'
                           'Sec-WebSocket-Version: 13\r\nOrigin: http://%s:%d\r\n\r\n'
                           % (lang, HOST, port, key, HOST, port)).encode())
        self.buf = b''
        while b'\r\n\r\n' not in self.buf:
            self.buf += self._recv_some()
        head, self.buf = self.buf.split(b'\r\n\r\n', 1)
        check(b' 101 ' in head.split(b'\r\n')[0], 'upgrade refused: %r' % head[:80])
        self.welcome = self.recv()

    def _recv_some(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError('the server closed the connection')
        return chunk

    def _read(self, n):
        while len(self.buf) < n:
            self.buf += self._recv_some()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send(self, obj):
        data = json.dumps(obj, ensure_ascii=False).encode()
        n = len(data)
        if n < 126:
            head = bytes([0x81, 0x80 | n])
        elif n < 65536:
            head = bytes([0x81, 0x80 | 126]) + struct.pack('>H', n)
        else:
            head = bytes([0x81, 0x80 | 127]) + struct.pack('>Q', n)
        mask = os.urandom(4)
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def recv(self):
        b0, b1 = self._read(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack('>H', self._read(2))[0]
        elif n == 127:
            n = struct.unpack('>Q', self._read(8))[0]
        payload = self._read(n)
        if b0 & 0x0F == 8:
            raise ConnectionError('closed by the server: %r' % payload[2:])
        return json.loads(payload.decode())

    def ask(self, obj):
        self.send(obj)
        return self.recv()

    def close(self):
        self.sock.close()


# ---------------------------------------------------------------- processes

class Run:
    """The temporary folder and every process a run started."""

    def __init__(self, args):
        self.bin = os.path.abspath(args.bin)
        self.root = os.path.abspath(args.root)
        self.tmp = tempfile.mkdtemp(prefix='passerelle-handoff-')
        self.procs = []
        self.servers = []
        self.logs = []  # stderr files and staff logs of the servers
        k = os.path.join(self.root, 'tests', 'fixtures', 'knowledge')
        self.intents = os.path.join(k, 'intents')
        self.locales = os.path.join(self.tmp, 'locales')
        shutil.copytree(os.path.join(k, 'locales'), self.locales)
        shutil.copytree(os.path.join(self.root, 'locales', 'staff'),
                        os.path.join(self.locales, 'staff'))
        self.texts = {}
        for name in os.listdir(self.locales):
            if name.endswith('.json'):
                with open(os.path.join(self.locales, name), encoding='utf-8') as f:
                    self.texts[name[:-5]] = json.load(f)
        self.n = 0

    def path(self, name):
        self.n += 1
        return os.path.join(self.tmp, '%s-%d' % (name, self.n))

    def stop(self, proc, sig=signal.SIGTERM):
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                return proc.wait(timeout=8)
            except subprocess.TimeoutExpired:
                proc.kill()
                return proc.wait()
        return proc.returncode

    def close(self):
        for p in self.procs:
            self.stop(p)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def receiver(self, script, out, port, *extra):
        with open(out + '.log', 'ab') as log:  # a file: a full pipe would stop the receiver
            proc = subprocess.Popen([sys.executable,
                                     os.path.join(self.root, 'tests', 'handoff', script),
                                     '--port', str(port), '--out', out] + list(extra),
                                    stdout=subprocess.PIPE, stderr=log, text=True)
        self.procs.append(proc)
        line = proc.stdout.readline().strip()
        check(line == 'ready', '%s did not start: %r' % (script, line))
        return proc

    def smtp(self, port=None, fail=0):
        port = port or free_port()
        out = self.path('mail')
        os.makedirs(out)
        proc = self.receiver('smtp_receiver.py', out, port, '--fail', str(fail))
        return Receiver(proc, out, port, '.eml')

    def webhook(self, fail=0, tls=None):
        port = free_port()
        out = self.path('hook')
        os.makedirs(out)
        extra = ['--fail', str(fail)]
        if tls:
            extra += ['--cert', tls[0], '--key', tls[1]]
        proc = self.receiver('webhook_receiver.py', out, port, *extra)
        return Receiver(proc, out, port, '.json')

    def server(self, *args, spool=None, stderr=None, staff_log=None):
        port, admin = free_port(), free_port()
        stderr = stderr or self.path('stderr')
        staff_log = staff_log or self.path('staff-log')
        cmd = [self.bin, 'serve', '--listen', '%s:%d' % (HOST, port),
               '--admin-listen', '%s:%d' % (HOST, admin), '--intents', self.intents,
               '--locales', self.locales, '--web', os.path.join(self.root, 'web'),
               '--staff-log', staff_log, '--reload-interval', '3600'] + list(args)
        if spool:
            cmd += ['--handoff-spool', spool]
        err = open(stderr, 'ab')
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        err.close()
        self.procs.append(proc)
        self.logs += [stderr, staff_log]
        server = Server(proc, port, admin, stderr, staff_log)
        self.servers.append(server)
        deadline = time.time() + START_TIMEOUT
        while time.time() < deadline:
            check(proc.poll() is None, 'the server exited (%s): %s' % (proc.returncode, tail(stderr)))
            try:
                server.health()
                return server
            except OSError:
                time.sleep(0.05)
        fail('the server did not answer /healthz: %s' % tail(stderr))


def tail(path, n=600):
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            return f.read()[-n:]
    except OSError:
        return ''


class Receiver:
    def __init__(self, proc, out, port, ext):
        self.proc, self.out, self.port, self.ext = proc, out, port, ext

    def items(self):
        names = sorted((n for n in os.listdir(self.out) if n.endswith(self.ext)),
                       key=lambda n: int(n.split('.')[0]))
        return [os.path.join(self.out, n) for n in names]

    def mails(self):
        out = []
        for p in self.items():
            with open(p, 'rb') as f:
                out.append(email.message_from_bytes(f.read(), policy=email.policy.default))
        return out

    def requests(self):
        out = []
        for p in self.items():
            with open(p, encoding='utf-8') as f:
                out.append(json.load(f))
        return out


class Server:
    def __init__(self, proc, port, admin, stderr, staff_log):
        self.proc, self.port, self.admin = proc, port, admin
        self.stderr, self.staff_log = stderr, staff_log

    def get(self, path):
        with urllib.request.urlopen('http://%s:%d%s' % (HOST, self.admin, path), timeout=5) as r:
            return r.read().decode()

    def health(self):
        return json.loads(self.get('/healthz'))

    def metrics(self):
        values = {}
        for line in self.get('/metrics').splitlines():
            if line and not line.startswith('#'):
                name, value = line.rsplit(' ', 1)
                values[name] = float(value)
        return values

    def connect(self, lang='fr'):
        return WebSocket(self.port, lang)

    def events(self):
        out = []
        try:
            with open(self.staff_log, encoding='utf-8') as f:
                for line in f:
                    out.append(json.loads(line))
        except OSError:
            pass
        return out


def contact(key, text, lang, reply_to=None, conversation=None, id_=None):
    frame = {'type': 'contact', 'text': text, 'lang': lang, 'key': key}
    if reply_to is not None:
        frame['reply_to'] = reply_to
    if conversation is not None:
        frame['conversation'] = conversation
    if id_ is not None:
        frame['id'] = id_
    return frame


def smtp_args(receiver_port):
    return ['--handoff-smtp-url', 'smtp://%s:%d' % (HOST, receiver_port),
            '--handoff-mail-from', MAIL_FROM, '--handoff-mail-to', MAIL_TO]


def new_key():
    return 'test-' + os.urandom(8).hex()


def spool_files(spool, folder):
    return sorted(os.listdir(os.path.join(spool, folder)))


# ---------------------------------------------------------------- the cases

def expect_ack(run, reply, lang, key, id_=None):
    check(reply.get('type') == 'contact_ack', 'expected contact_ack, got %s' % reply)
    check(reply.get('lang') == lang, 'ack language %r, expected %r' % (reply.get('lang'), lang))
    check(reply.get('key') == key, 'ack for key %r, expected %r' % (reply.get('key'), key))
    want = run.texts[lang]['messages']['contact_ack']
    check(reply.get('text') == want, 'ack text %r, expected the %s locale\'s' % (reply.get('text'), lang))
    if id_ is not None:
        check(reply.get('id') == id_, 'ack id %r, expected %r' % (reply.get('id'), id_))


def expect_error(run, reply, code, lang):
    check(reply.get('type') == 'error' and reply.get('code') == code,
          'expected error %s, got %s' % (code, reply))
    want = run.texts[lang]['errors'][code]
    check(reply.get('message') == want and reply.get('lang') == lang,
          'error %s: message %r in %r, expected the %s locale\'s' % (code, reply.get('message'),
                                                                   reply.get('lang'), lang))


def case_offer_and_errors(run):
    """The welcome announces the offer; bad messages get localized errors."""
    mail = run.smtp()
    srv = run.server(*smtp_args(mail.port), '--max-text', '60', '--handoff-max-per-connection',
                     '2', '--handoff-retention', '14', '--rate-burst', '50',
                     spool=run.path('spool'))
    ws = srv.connect('de')
    offer = ws.welcome.get('contact')
    check(offer and offer.get('retention_days') == 14, 'welcome offer %r' % offer)
    rows = [  # frame, code, language of the error
        (contact(new_key(), 'Hallo', 'de', reply_to='kein Kontakt'), 'bad_reply_to', 'de'),
        (contact(new_key(), 'Hallo', 'de', reply_to='a@b'), 'bad_reply_to', 'de'),
        (contact(new_key(), 'Hallo', 'de', reply_to='12 34'), 'bad_reply_to', 'de'),
        (contact(new_key(), 'Hallo', 'de', reply_to='x@example.org\r\nBcc: y@example.org'),
         'bad_reply_to', 'de'),
        ({'type': 'contact', 'text': 'Hallo', 'lang': 'pl'}, 'bad_key', 'pl'),
        (contact('a/b', 'Hallo', 'pl'), 'bad_key', 'pl'),
        (contact('k' * 65, 'Hallo', 'pl'), 'bad_key', 'pl'),
        (contact(new_key(), ' ?! ', 'pt'), 'missing_text', 'pt'),
        (contact(new_key(), 'x' * 61, 'pt'), 'text_too_long', 'pt'),
        (contact(new_key(), 'Olá', 'pt', conversation='oops'), 'bad_field', 'pt'),
        (contact(new_key(), 'Olá', 'pt', conversation=[{'from': 'someone', 'text': 'x'}]),
         'bad_field', 'pt'),
    ]
    for frame, code, lang in rows:
        expect_error(run, ws.ask(frame), code, lang)
    for i in range(2):
        key = new_key()
        expect_ack(run, ws.ask(contact(key, 'Hallo, eine Frage', 'de', reply_to=PHONE_FR, id_=i)),
                   'de', key, i)
    expect_error(run, ws.ask(contact(new_key(), 'Noch eine', 'de')), 'contact_limit', 'de')
    ws.close()
    # a server without a spool offers nothing and takes nothing
    bare = run.server()
    ws = bare.connect('ar')
    check('contact' not in ws.welcome, 'a server without handoff-spool offers contact')
    expect_error(run, ws.ask(contact(new_key(), TEXT_AR, 'ar')), 'contact_unavailable', 'ar')
    ws.close()


def case_smtp(run):
    """A French resident's message arrives by mail with its language, text and contact."""
    mail = run.smtp()
    srv = run.server(*smtp_args(mail.port), spool=run.path('spool'))
    ws = srv.connect('fr')
    key = new_key()
    conv = [{'from': 'resident', 'text': 'Où se trouve Sopot ?'},
            {'from': 'bot', 'text': 'Sopot est une station balnéaire de Pologne.'}]
    expect_ack(run, ws.ask(contact(key, TEXT_FR, 'fr', reply_to=EMAIL, conversation=conv,
                                   id_='c1')), 'fr', key, 'c1')
    m = wait_for(lambda: mail.mails(), 'no mail arrived')[0]
    check(m['Message-ID'] == '<handoff.%s@example.org>' % key, 'Message-ID %r' % m['Message-ID'])
    check(EMAIL in str(m['Reply-To']), 'Reply-To %r' % m['Reply-To'])
    check(m['Content-Language'] == 'fr', 'Content-Language %r' % m['Content-Language'])
    check(m['From'].addresses[0].addr_spec == MAIL_FROM, 'From %r' % m['From'])
    check('français' in m['Subject'] and TEXT_FR[:30] in m['Subject'], 'Subject %r' % m['Subject'])
    body = m.get_content()
    for part in (TEXT_FR, EMAIL, 'français (fr)', conv[0]['text'], conv[1]['text'], key):
        check(part in body, 'the mail body lacks %r' % part)
    with open(mail.items()[0][:-4] + '.json') as f:
        envelope = json.load(f)
    check(envelope == {'from': MAIL_FROM, 'to': [MAIL_TO]}, 'envelope %r' % envelope)
    ws.close()


def case_arabic_restart(run):
    """An Arabic resident writes after a fallback while the mail server is down;
    the server restarts with the message queued; it arrives exactly once."""
    spool = run.path('spool')
    port = free_port()  # the mail server's, closed for now
    args = smtp_args(port) + FAST + ['--handoff-stuck-after', '1']
    srv = run.server(*args, spool=spool)
    ws = srv.connect('ar')
    answer = ws.ask({'type': 'ask', 'text': QUESTION_AR, 'lang': 'ar', 'id': 1})
    check(answer.get('kind') == 'fallback' and answer.get('lang') == 'ar',
          'the Arabic question should get the Arabic fallback: %s' % answer)
    key = new_key()
    conv = [{'from': 'resident', 'text': QUESTION_AR}, {'from': 'bot', 'text': answer['text']}]
    expect_ack(run, ws.ask(contact(key, TEXT_AR, 'ar', reply_to=PHONE_AR, conversation=conv,
                                   id_=2)), 'ar', key, 2)
    check(spool_files(spool, 'new') == [key + '.json'], 'not in new/: %s' % spool_files(spool, 'new'))
    wait_for(lambda: srv.metrics().get('passerelle_handoff_failures_total', 0) >= 2,
             'no failed attempt while the mail server is down')
    h = wait_for(lambda: srv.health()['handoff']['stuck'] and srv.health()['handoff'],
                 '/healthz never said the outbox is stuck')
    check(h['depth'] == 1 and h['oldest_s'] >= 1, '/healthz handoff %r' % h)
    ws.close()
    status = run.stop(srv.proc)
    check(status == 0, 'SIGTERM: exit status %s' % status)
    check(spool_files(spool, 'new') == [key + '.json'], 'the message left new/ on stop')
    with open(os.path.join(spool, 'new', key + '.json'), encoding='utf-8') as f:
        record = json.load(f)
    check(record['delivery']['attempts'] >= 2 and record['lang'] == 'ar', 'record %r' % record['delivery'])
    mode = os.stat(os.path.join(spool, 'new', key + '.json')).st_mode & 0o777
    check(mode == 0o600, 'the spool file is readable by others: %o' % mode)
    srv2 = run.server(*args, spool=spool, stderr=srv.stderr, staff_log=srv.staff_log)
    time.sleep(0.3)  # an attempt or two against the closed port after the restart
    mail = run.smtp(port=port)
    m = wait_for(lambda: mail.mails(), 'the queued message never arrived')[0]
    check(m['Subject'] and TEXT_AR[:20] in m['Subject'], 'Arabic subject %r' % m['Subject'])
    check('arabe' in m['Subject'], 'the subject does not name the language: %r' % m['Subject'])
    body = m.get_content()
    for part in (TEXT_AR, PHONE_AR, 'arabe (ar)', QUESTION_AR):
        check(part in body, 'the mail body lacks %r' % part)
    check(m['Content-Language'] == 'ar', 'Content-Language %r' % m['Content-Language'])
    wait_for(lambda: spool_files(spool, 'new') == [], 'the body stayed in new/ after delivery')
    check(spool_files(spool, 'done') == [key + '.json'], 'no delivery marker: %s' % spool_files(spool, 'done'))
    with open(os.path.join(spool, 'done', key + '.json'), encoding='utf-8') as f:
        marker = json.load(f)
    check(set(marker) == {'key', 'state', 'at'} and marker['state'] == 'delivered',
          'the marker holds more than its key and state: %r' % marker)
    time.sleep(1.0)  # several retry periods: a second copy would have come by now
    check(len(mail.items()) == 1, '%d mails for one message' % len(mail.items()))
    check(srv2.health()['handoff']['depth'] == 0, 'depth after delivery')
    states = [e.get('state') for e in srv2.events() if e.get('event') == 'handoff']
    for s in ('queued', 'retry', 'delivered'):
        check(s in states, 'no %r handoff event in the staff log: %s' % (s, states))
    check(all(e.get('lang') == 'ar' for e in srv2.events() if e.get('event') == 'handoff'),
          'handoff events without their language')


def make_tls(run):
    """A CA and a certificate for 127.0.0.1 signed by it, with the openssl command."""
    d = run.path('tls')
    os.makedirs(d)
    def openssl(*a):
        subprocess.run(['openssl'] + list(a), cwd=d, check=True, capture_output=True)
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=Test CA',
            '-keyout', 'ca.key', '-out', 'ca.pem')
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout',
            'host.key', '-out', 'host.csr')
    with open(os.path.join(d, 'ext'), 'w') as f:
        f.write('subjectAltName=IP:127.0.0.1\n')
    openssl('x509', '-req', '-in', 'host.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key',
            '-CAcreateserial', '-days', '2', '-extfile', 'ext', '-out', 'host.pem')
    return [os.path.join(d, n) for n in ('host.pem', 'host.key', 'ca.pem')]


def case_webhook(run):
    """A webhook over HTTPS gets the message with its Idempotency-Key and a valid
    signature; the certificate is verified: without its CA nothing is sent."""
    cert, key_file, ca = make_tls(run)
    hook = run.webhook(tls=(cert, key_file))
    secret_file = run.path('secret')
    with open(secret_file, 'w') as f:
        f.write(SECRET + '\n')
    url = 'https://127.0.0.1:%d/passerelle' % hook.port
    untrusting = run.server('--handoff-webhook-url', url, *FAST, spool=run.path('spool'))
    srv = run.server('--handoff-webhook-url', url, '--handoff-ca-file', ca,
                     '--handoff-webhook-secret-file', secret_file, spool=run.path('spool'))
    ws = untrusting.connect('pl')
    key0 = new_key()
    expect_ack(run, ws.ask(contact(key0, 'Dzień dobry, mam pytanie.', 'pl')), 'pl', key0)
    wait_for(lambda: untrusting.metrics().get('passerelle_handoff_failures_total', 0) >= 1,
             'a certificate from an unknown CA was not refused')
    ws.close()
    ws = srv.connect('pl')
    key = new_key()
    expect_ack(run, ws.ask(contact(key, 'Dzień dobry, chciałbym pojechać do Sopotu.', 'pl',
                                   reply_to=EMAIL)), 'pl', key)
    req = wait_for(lambda: hook.requests(), 'the webhook got nothing')[0]
    headers = {k.lower(): v for k, v in req['headers'].items()}
    check(headers.get('idempotency-key') == key, 'Idempotency-Key %r' % headers.get('idempotency-key'))
    body = json.loads(req['body'])
    check(body['type'] == 'handoff' and body['key'] == key and body['lang'] == 'pl' and
          body['reply_to'] == EMAIL and body['reply_to_kind'] == 'email' and
          body['text'].startswith('Dzień dobry'), 'webhook body %r' % body)
    sig = dict(p.split('=', 1) for p in headers.get('x-passerelle-signature', '').split(','))
    want = hmac.new(SECRET.encode(), ('%s.' % sig.get('t')).encode() + req['body'].encode(),
                    hashlib.sha256).hexdigest()
    check(sig.get('v1') == want, 'the signature does not verify: %r' % headers.get('x-passerelle-signature'))
    check(all(key0 != json.loads(r['body'])['key'] for r in hook.requests()),
          'the server without the CA delivered anyway')
    run.stop(untrusting.proc)
    ws.close()
    m = srv.metrics()
    check(m.get('passerelle_handoff_delivered_total{channel="webhook"}') == 1, 'delivered metric')


def case_retry(run):
    """The webhook is down for the first attempts: the message comes after the retries."""
    hook = run.webhook(fail=2)
    srv = run.server('--handoff-webhook-url', 'http://127.0.0.1:%d/hook' % hook.port, *FAST,
                     spool=run.path('spool'))
    ws = srv.connect('pt')
    key = new_key()
    expect_ack(run, ws.ask(contact(key, 'Olá, gostaria de participar.', 'pt')), 'pt', key)
    req = wait_for(lambda: hook.requests(), 'no delivery after the receiver came back')[0]
    check(json.loads(req['body'])['key'] == key, 'another message arrived')
    m = srv.metrics()
    check(m.get('passerelle_handoff_retries_total', 0) >= 2 and
          m.get('passerelle_handoff_failures_total', 0) >= 2, 'retries and failures not counted')
    time.sleep(0.6)
    check(len(hook.requests()) == 1, 'delivered %d times' % len(hook.requests()))
    ws.close()


def case_duplicate(run):
    """A message re-sent with its key (a reconnect) is acknowledged, delivered once."""
    mail = run.smtp()
    srv = run.server(*smtp_args(mail.port), spool=run.path('spool'))
    key = new_key()
    frame = contact(key, TEXT_FR, 'fr', reply_to=PHONE_FR)
    a, b = srv.connect('fr'), srv.connect('fr')
    expect_ack(run, a.ask(frame), 'fr', key)
    expect_ack(run, b.ask(frame), 'fr', key)
    wait_for(lambda: mail.items(), 'no mail')
    wait_for(lambda: srv.metrics().get('passerelle_handoff_spool_depth') == 0, 'still waiting')
    c = srv.connect('fr')
    expect_ack(run, c.ask(frame), 'fr', key)  # after delivery: the marker remembers it
    time.sleep(0.5)
    check(len(mail.items()) == 1, '%d mails for one key' % len(mail.items()))
    m = srv.metrics()
    check(m.get('passerelle_handoff_messages_total{result="duplicate"}') == 2 and
          m.get('passerelle_handoff_messages_total{result="queued"}') == 1, 'counted %r' % m)
    check([e['state'] for e in srv.events() if e.get('event') == 'handoff'].count('duplicate') == 2,
          'duplicate events')
    for ws in (a, b, c):
        ws.close()


def case_many(run):
    """More messages at once than transfers run together, some refused at first: each arrives once."""
    mail = run.smtp(fail=4)
    srv = run.server(*smtp_args(mail.port), *FAST, spool=run.path('spool'))
    keys = []
    for lang in ('fr', 'de', 'pt'):
        ws = srv.connect(lang)
        for i in range(3):
            key = new_key()
            keys.append(key)
            expect_ack(run, ws.ask(contact(key, 'Message %d' % i, lang)), lang, key)
        ws.close()
    wait_for(lambda: len(mail.items()) >= len(keys), 'not every message arrived', timeout=15)
    time.sleep(0.5)
    got = sorted(m['X-Passerelle-Key'] for m in mail.mails())
    check(got == sorted(keys), 'delivered %d mails for %d messages' % (len(got), len(keys)))
    check(srv.metrics().get('passerelle_handoff_spool_depth') == 0, 'messages still waiting')


def case_dead_letter(run):
    """After handoff-max-attempts failures the message goes to dead/ and is reported."""
    spool = run.path('spool')
    srv = run.server(*smtp_args(free_port()), *FAST, '--handoff-max-attempts', '3', spool=spool)
    ws = srv.connect('de')
    key = new_key()
    expect_ack(run, ws.ask(contact(key, 'Guten Tag, ich habe eine Frage.', 'de', reply_to=EMAIL)),
               'de', key)
    wait_for(lambda: spool_files(spool, 'dead') == [key + '.json'], 'nothing in dead/')
    check(spool_files(spool, 'new') == [], 'still in new/')
    check(srv.health()['handoff']['dead_letter'] == 1, '/healthz dead_letter')
    m = srv.metrics()
    check(m.get('passerelle_handoff_dead_letter') == 1 and
          m.get('passerelle_handoff_failures_total') == 3, 'metrics %r' % m)
    wait_for(lambda: 'dead_letter' in [e.get('state') for e in srv.events()],
             'no dead_letter event in the staff log')
    check('NOT DELIVERED' in tail(srv.stderr, 100000), 'the log does not report the dead letter')
    ws.close()


def case_promtool(run, promtool):
    """/metrics with the handoff families passes promtool."""
    if not promtool or promtool == 'none' or not shutil.which(promtool):
        fail('promtool not found (Debian package prometheus)')
    mail = run.smtp()
    srv = run.server(*smtp_args(mail.port), spool=run.path('spool'))
    text = srv.get('/metrics')
    r = subprocess.run([promtool, 'check', 'metrics'], input=text, capture_output=True, text=True)
    check(r.returncode == 0, 'promtool: %s' % (r.stdout + r.stderr)[-400:])


def case_privacy(run):
    """No e-mail address, phone number or text the residents typed is in a log."""
    for path in run.logs:
        content = tail(path, 10 ** 7)
        for secret in SECRETS:
            check(secret not in content, '%r appears in %s' % (secret, os.path.basename(path)))
    check(run.logs, 'no log was looked at')


def case_clean_stop(run):
    """Every server stops on SIGTERM with status 0, without a sanitizer's report."""
    for srv in run.servers:
        status = run.stop(srv.proc)
        log = tail(srv.stderr, 10 ** 7)
        check(status == 0, 'a server exited with status %s: %s' % (status, log[-400:]))
        for sign in ('Sanitizer', 'runtime error:'):
            if sign in log:
                fail('a sanitizer reported: %s' % log[max(0, log.index(sign) - 200):][:600])


CASES = [
    ('welcome offer and localized errors', case_offer_and_errors),
    ('delivery by mail (language, text, reply contact)', case_smtp),
    ('Arabic resident after a fallback; mail server down; restart; exactly once',
     case_arabic_restart),
    ('delivery by HTTPS webhook (Idempotency-Key, signature, certificate verified)', case_webhook),
    ('retry after the receiver was down', case_retry),
    ('a duplicate key is delivered once', case_duplicate),
    ('several messages at once, each delivered once', case_many),
    ('dead letter after handoff-max-attempts', case_dead_letter),
]


def main():
    p = argparse.ArgumentParser(description='Messages to staff, end to end.')
    p.add_argument('--bin', required=True)
    p.add_argument('--root', required=True)
    p.add_argument('--promtool')
    args = p.parse_args()
    try:
        import aiosmtpd  # noqa: F401 (the mail server of the tests)
    except ImportError:
        print('python3-aiosmtpd is not installed for %s (Debian: apt-get install python3-aiosmtpd)'
              % sys.executable)
        print('0 passed, 1 failed')
        return 1
    run = Run(args)
    cases = list(CASES)
    if args.promtool:
        cases.append(('/metrics passes promtool', lambda r: case_promtool(r, args.promtool)))
    cases.append(('every server stopped cleanly', case_clean_stop))
    cases.append(('no personal data in stderr nor the staff log', case_privacy))
    passed = failed = 0
    try:
        for name, fn in cases:
            t0 = time.time()
            try:
                fn(run)
                print('ok - %s (%.1f s)' % (name, time.time() - t0), flush=True)
                passed += 1
            except Exception as e:  # one case's failure must not hide the others
                print('not ok - %s: %s' % (name, e), flush=True)
                failed += 1
    finally:
        run.close()
    print('%d passed, %d failed' % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
