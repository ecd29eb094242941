// The process that holds a private network namespace open (private-network.ts), started as
// `unshare --net -- node private-network-init.js DIR`. It brings the namespace's loopback up, then follows the
// lines on its stdin: `reach P1 P2 ...` makes exactly those ports of 127.0.0.1 lead out of the namespace, each to
// the unix socket DIR/P.sock that the test serves outside (the only way out), and answers `ok` (or `error ...`).
// It exits when stdin closes. Plain CommonJS: it runs under `node` directly, without ts-jest.
'use strict';
const { execFileSync } = require('child_process');
const net = require('net');
const path = require('path');
const readline = require('readline');

const dir = process.argv[2];
execFileSync('ip', ['link', 'set', 'lo', 'up']);
const servers = new Map();

function open(port) {
  return new Promise((resolve, reject) => {
    const server = net.createServer((inside) => {
      const outside = net.connect(path.join(dir, `${port}.sock`));
      inside.pipe(outside).pipe(inside);
      inside.on('error', () => outside.destroy());
      outside.on('error', () => inside.destroy());
    });
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function reach(ports) {
  for (const [port, server] of servers) {
    if (!ports.includes(port)) {
      server.close();
      servers.delete(port);
    }
  }
  for (const port of ports) {
    if (!servers.has(port)) servers.set(port, await open(port));
  }
}

let queue = Promise.resolve();
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const [verb, ...args] = line.trim().split(/\s+/);
  queue = queue.then(() => (verb === 'reach' ? reach(args.map(Number)) : Promise.reject(new Error(`unknown command ${verb}`))))
    .then(() => process.stdout.write('ok\n'), (e) => process.stdout.write(`error ${e.message}\n`));
}).on('close', () => process.exit(0));
process.stdout.write('ready\n');
