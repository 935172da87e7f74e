/// <reference types="node" preserve="true" />
/**
 * @harrow/runtime: actors, nurseries, portals, remote errors and cancellation, on effection.
 */
export { remote, isMainModule, type Remote, type RemoteFn } from './base/remote.ts';
export { currentActor, type ActorInfo } from './actor/actor.ts';
export { openNursery, type Nursery, type ChildInfo } from './nursery/nursery.ts';
export type { NurseryOptions, ActorOptions } from './nursery/nursery-options.ts';
export {
  oneForOne,
  oneForAll,
  restForOne,
  type SupervisorStrategy,
  type SupervisorOptions,
  type RestartType,
  type Backoff,
  type StrategyKind,
} from './nursery/supervisor.ts';
export type {
  Portal,
  PortalActor,
  CancelOptions,
  Returned,
  ContextFn,
  ContextArgs,
  ContextFirst,
  CallerContext,
  StreamItem,
  StreamReturn,
} from './nursery/portal.ts';
export type { Context, ContextHandle, Started, StartedEffect } from './dialog/context.ts';
export type { MsgStream, StreamOptions } from './dialog/msg-stream.ts';
export {
  RemoteActorError,
  ActorGroupError,
  ActorBootError,
  BrokenActorError,
  ActorCancelledError,
  ContextCancelledError,
  ModuleNotExposedError,
  TimeoutError,
  SupervisorError,
  type ActorRef,
} from './base/errors.ts';
export { TransportError, ProtocolError, AuthenticationError } from '@harrow/transport';
export { openRoot, type RootOptions, type RootActor } from './discovery/open-root.ts';
export { findActor, waitForActor, queryRegistry, type WaitForActorOptions } from './discovery/find.ts';
export type { RegistryEntry } from './registry/entry.ts';
export { BrokenWorkerError } from './base/errors.ts';
export { runSync } from './worker-pool/run-sync.ts';
export { openWorkerContext, type WorkerContext, type RunSyncOptions, type WorkerStatistics } from './worker-pool/pool.ts';
export type { WorkerContextOptions } from './worker-pool/options.ts';
export type { WorkerType } from './worker-pool/worker.ts';
