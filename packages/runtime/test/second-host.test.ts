import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { run, suspend } from 'effection';
import { describe, expect, it } from 'vitest';
import { alive, waitFor } from './helpers.ts';
import { secondHostPerFile, secondHostSupport, startSecondHost, useSecondHost, type SecondHost } from './second-host.ts';

const support = secondHostSupport();
if (!support.ok) console.warn(`second-host.test.ts skipped: ${support.reason}`);

describe.skipIf(!support.ok)('a second host over ssh', () => {
  const peer = secondHostPerFile();

  it('runs a command inside its own network namespace', async () => {
    let host = peer.host;
    let result = await host.ssh('ip netns identify $$; ip -o -4 addr show dev eth0; echo "$SSH_CONNECTION"');
    expect(result, result.stderr).toMatchObject({ code: 0, signal: null });
    let [namespace, addresses, connection] = result.stdout.trim().split('\n');
    expect(namespace).toBe(host.namespace);
    expect(addresses).toContain(`inet ${host.address}/30`);
    // The client is this namespace's end of the veth pair; the server, the host's.
    expect(connection).toMatch(new RegExp(`^${host.localAddress} \\d+ ${host.address} 22$`));
    // Here, that address is not ours.
    expect(execFileSync('ip', ['-o', '-4', 'addr'], { encoding: 'utf8' })).not.toContain(`inet ${host.address}/`);
  });

  it('finds node on the PATH there and runs it in the same directory (the filesystem is shared)', async () => {
    let cwd = process.cwd();
    let result = await peer.host.ssh(`command -v node && cd ${quote(cwd)} && node -e 'console.log(process.version, process.cwd())'`);
    expect(result, result.stderr).toMatchObject({ code: 0, signal: null });
    let [node, versionAndCwd] = result.stdout.trim().split('\n');
    expect(node).toMatch(/\/node$/);
    expect(versionAndCwd).toBe(`${process.version} ${cwd}`);
  });

  it('shows the processes started there in /proc here, and lists those in the namespace', async () => {
    let host = peer.host;
    let result = await host.ssh('echo $$');
    let remotePid = Number(result.stdout.trim());
    expect(remotePid).toBeGreaterThan(0);
    // A background process there is visible here by pid (leak checks work), and in processes().
    let background = await host.ssh('sleep 30 >/dev/null 2>&1 </dev/null & echo $!');
    let sleeper = Number(background.stdout.trim());
    expect(alive(sleeper)).toBe(true);
    expect(host.processes()).toContain(sleeper);
    process.kill(sleeper, 'SIGKILL');
  });

  it('has an alias nobody answers on: ssh fails at once, with its own error', async () => {
    let host = peer.host;
    let result = await host.ssh('true', { alias: host.unreachableAlias });
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(new RegExp(`connect to host ${host.address.replaceAll('.', '\\.')} port 1: Connection refused`));
    expect(result.ms).toBeLessThan(3_000);
  });

  it('gives the runtime its ssh command (HARROW_SSH_COMMAND) and the argv form', async () => {
    let host = peer.host;
    expect(host.sshCommand).toEqual(['ssh', '-F', host.sshConfig]);
    expect(host.env.HARROW_SSH_COMMAND).toBe(`ssh -F ${host.sshConfig}`);
    // As a shell would run it (as GIT_SSH_COMMAND is run).
    let out = execFileSync('sh', ['-c', `${host.env.HARROW_SSH_COMMAND} ${host.hostAlias} 'ip netns identify $$'`], { encoding: 'utf8' });
    expect(out.trim()).toBe(host.namespace);
  });
});

describe.skipIf(!support.ok)('tearing a second host down', () => {
  it('leaves no sshd, session, namespace, veth or directory behind', async () => {
    let started = Date.now();
    let host = await startSecondHost();
    let setupMs = Date.now() - started;
    // A session still open at teardown, and a process it left running.
    let session = host.ssh('sleep 30');
    let orphan = Number((await host.ssh('setsid sleep 30 >/dev/null 2>&1 </dev/null & echo $!')).stdout.trim());
    await waitFor(() => host.processes().includes(orphan) && host.processes().length >= 3, 5_000, 'the session and the orphan there');
    let there = [host.sshdPid, ...host.processes()];
    expect(there).toContain(orphan);

    started = Date.now();
    await host.close();
    let teardownMs = Date.now() - started;
    console.log(`second host: set up in ${setupMs} ms, torn down in ${teardownMs} ms`);

    expect(there.filter(alive)).toEqual([]);
    expect((await session).code).not.toBe(0);
    expectGone(host);
    // Closing again is harmless.
    await host.close();
  });

  it('is an effection resource, torn down when its scope ends', async () => {
    let seen: SecondHost | undefined;
    let namespace = await run(function* () {
      let host = yield* useSecondHost();
      seen = host;
      return host.namespace;
    });
    expect(namespace).toMatch(/^harrow-\d+-\d+$/);
    expect(alive(seen!.sshdPid)).toBe(false);
    expectGone(seen!);
  });

  it('halted half way through its set-up, leaves nothing behind either', async () => {
    for (let afterMs of [0, 20, 60, 120]) {
      let task = run(function* () {
        yield* useSecondHost();
        yield* suspend();
      });
      await new Promise((resolve) => setTimeout(resolve, afterMs));
      await task.halt();
      expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(`harrow-${process.pid}-`);
      expect(readdirSync(tmpdir()).filter((entry) => entry.startsWith(`harrow-host-${process.pid}-`))).toEqual([]);
    }
  });

  it('two at once get distinct namespaces and subnets', async () => {
    // Both set up, or the one that was closed before this fails (a rejection must not leave
    // the other one's teardown running after the test).
    let settled = await Promise.allSettled([startSecondHost(), startSecondHost()]);
    let hosts = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    if (hosts.length < 2) {
      await Promise.all(hosts.map((host) => host.close()));
      throw settled.find((result) => result.status === 'rejected')!.reason;
    }
    let [a, b] = hosts as [SecondHost, SecondHost];
    try {
      expect(a.namespace).not.toBe(b.namespace);
      expect(a.address).not.toBe(b.address);
      let [fromA, fromB] = await Promise.all([a.ssh('ip netns identify $$'), b.ssh('ip netns identify $$')]);
      expect([fromA.stdout.trim(), fromB.stdout.trim()]).toEqual([a.namespace, b.namespace]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
    expectGone(a);
    expectGone(b);
  });
});

function expectGone(host: SecondHost): void {
  expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toMatch(new RegExp(`^${host.namespace}\\b`, 'm'));
  expect(execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' })).not.toMatch(new RegExp(`\\b${host.localInterface}[@:]`));
  expect(execFileSync('ip', ['-o', '-4', 'addr'], { encoding: 'utf8' })).not.toContain(`inet ${host.localAddress}/`);
  expect(existsSync(host.dir)).toBe(false);
  expect(alive(host.sshdPid)).toBe(false);
}

function quote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
