import type { Operation } from 'effection';
import { networkAddresses, type Actor } from '../actor/actor.ts';
import { ActorBootError } from '../base/errors.ts';
import type { SpawnSpec } from '../dialog/protocol.ts';
import { isChildActor } from '../base/remote.ts';
import { childExecArgv } from '../spawn/exec-argv.ts';
import type { ChildHandle } from '../spawn/handle.ts';
import { startSshProcess } from '../spawn/ssh-process.ts';
import type { TypeScriptSupport } from '../spawn/typescript.ts';

/** What of `startActor`'s options a start on another host reads (nursery-options.ts's `ActorOptions`). */
export interface OnHostOptions {
  host: string;
  cwd?: string;
  spawn?: 'process' | 'thread';
  execArgv?: string[];
  env?: Record<string, string>;
}

/**
 * Start a child of `parent` on another host over ssh (spawn/ssh-process.ts), for `spec`, which
 * this adapts: the child reaches its parent and the registry over the network only, and listens
 * where its own host is reachable (entry/remote-main.ts), not where its parent's children do.
 * A parent that listens on no TCP address is an `ActorBootError` naming `openRoot`'s `listen`.
 */
export function* startOnHost(parent: Actor, spec: SpawnSpec, options: OnHostOptions, typescript: TypeScriptSupport | undefined, bootTimeout: number): Operation<ChildHandle> {
  let { host } = options;
  if (typeof host !== 'string' || !host) throw new TypeError(`startActor('${spec.name}'): host must be a non-empty string`);
  if (options.spawn === 'thread') throw new TypeError(`startActor('${spec.name}'): an actor on another host is a process; spawn: 'thread' cannot go with host`);
  let ref = { name: spec.name, uid: spec.uid };
  let dial = networkAddresses(parent.addresses);
  if (dial.length === 0) {
    throw new ActorBootError(
      ref,
      `it is to run on ${host} and dial back over TCP, but actor '${parent.name}' listens on no TCP address: give the root one with openRoot({ listen: ['tcp://<an address of this machine that ${host} reaches>:0'] })`,
    );
  }
  spec.registry = networkAddresses(spec.registry ?? []);
  delete spec.listen;
  return yield* startSshProcess({
    actor: ref,
    host,
    cwd: options.cwd ?? process.cwd(),
    execArgv: childExecArgv(options.execArgv),
    env: options.env ?? {},
    typescript: typescript ?? null,
    dial,
    group: !isChildActor(),
    bootTimeout,
  });
}
