// Small helpers shared by the Node test drivers (tests/e2e, tests/browser).
import http from 'node:http';
import net from 'node:net';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function assert(condition, message) {
  if (!condition) throw new Error(message);
}

/* Rejects with "<what>: timed out after N s" when promise takes longer than ms. */
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/* Follows a spawned server: returns {port, adminPort, proc, log, exited, exit}
 * (and the fields of `extra`), where log gathers its stderr, exited becomes
 * {code, signal} when it ends and exit is a promise of that; the server is in
 * `running` (a Set) until it ends. */
export function watchServer(proc, running, port, adminPort, extra = {}) {
  const srv = { port, adminPort, proc, log: '', exited: null, ...extra };
  srv.exit = new Promise((resolve) => proc.on('exit', (code, signal) => {
    srv.exited = { code, signal };
    running.delete(srv);
    resolve(srv.exited);
  }));
  proc.on('error', (e) => { srv.log += `spawn error: ${e.message}\n`; });
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d) => { srv.log += d; });
  running.add(srv);
  return srv;
}

/* A TCP port free on host at the time of asking. */
export function freePort(host) {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/* Reads "--name VALUE" options from argv (each name in `names` is required),
 * prints usage and exits 2 on anything else, 0 on --help. */
export function parseCommandLine(argv, names, usage) {
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      console.log(usage);
      process.exit(0);
    }
    const name = arg.startsWith('--') ? arg.slice(2) : '';
    if (!names.includes(name) || i + 1 >= argv.length) {
      console.error(`unknown argument: ${arg}\n${usage}`);
      process.exit(2);
    }
    opts[name] = argv[++i];
  }
  if (names.some((n) => !opts[n])) {
    console.error(usage);
    process.exit(2);
  }
  return opts;
}

/* GET http://host:port/urlPath; resolves with {status, headers, body (text)}, rejects on a
 * connection error or when no response came within ms. */
export function httpGet(host, port, urlPath, { ms = 3000, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: urlPath, timeout: ms, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${urlPath}: no response within ${ms / 1000} s`)));
    req.on('error', reject);
  });
}

/* The value of the sample `line` (a metric with its labels, as written) in a Prometheus text;
 * NaN when absent. */
export function metricValue(text, line) {
  const m = text.match(new RegExp(`^${line.replace(/[{}"\\[\]().+]/g, '\\$&')} (\\S+)$`, 'm'));
  return m ? Number(m[1]) : NaN;
}
