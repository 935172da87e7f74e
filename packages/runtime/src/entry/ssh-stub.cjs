// What ssh runs on the other host for an actor started there (spawn/ssh-process.ts): the
// actor's supervisor on that host. Plain JavaScript, no loader: it must start fast anywhere.
//
// Its stdin is the ssh session: the first line is the bootstrap (JSON: the cookie, how to dial
// back, what to run), never the command line, where other users could read the cookie. Later
// lines are the parent's cancel ladder ('TERM', 'KILL'). The end of stdin is the end of the
// session, which means the parent is gone: the actor's lifeline (its fd 3, this process) is
// closed, so it cancels itself, and if it has not exited after a grace period it is killed.
// Its exit is this process's exit status (128 + the signal's number for a signal), which ssh
// passes on to the parent. It removes the actor's socket directory after it.
'use strict';
const { spawn } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { constants } = require('node:os');

/** How long an actor whose parent is gone has to cancel itself before it is killed. */
const ORPHAN_GRACE_MS = 2000;

let child;
let buffered = '';
let treeDir;

process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffered += chunk;
  let newline;
  while ((newline = buffered.indexOf('\n')) >= 0) {
    let line = buffered.slice(0, newline);
    buffered = buffered.slice(newline + 1);
    if (!child) start(JSON.parse(line));
    else if (line === 'TERM') child.kill('SIGTERM');
    else if (line === 'KILL') child.kill('SIGKILL');
  }
});
process.stdin.on('end', parentGone);
process.stdin.on('error', parentGone);

function start(bootstrap) {
  treeDir = mkdtempSync(join(tmpdir(), 'harrow-'));
  let env = { ...process.env, ...bootstrap.env, HARROW_COOKIE: bootstrap.cookie, HARROW_DIAL: JSON.stringify(bootstrap.dial), HARROW_TREE_DIR: treeDir };
  if (bootstrap.cookie === undefined) delete env.HARROW_COOKIE;
  child = spawn(process.execPath, [...bootstrap.execArgv, bootstrap.boot, ...bootstrap.loader, bootstrap.entry], {
    stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
    env,
  });
  child.on('error', (error) => {
    process.stderr.write(`harrow: could not start node on this host: ${error.message}\n`);
    finish(127, null);
  });
  child.on('exit', finish);
}

function parentGone() {
  if (!child) process.exit(0);
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.stdio[3]?.destroy();
  setTimeout(() => child.kill('SIGKILL'), ORPHAN_GRACE_MS).unref();
}

function finish(code, signal) {
  if (treeDir) rmSync(treeDir, { recursive: true, force: true });
  process.exit(signal ? 128 + (constants.signals[signal] ?? 0) : (code ?? 1));
}
