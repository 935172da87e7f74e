/**
 * @harrow/runtime: actors, nurseries, portals, remote errors and cancellation, on effection.
 */
export { remote, isMainModule } from './remote.ts';
export { currentActor, type ActorInfo } from './actor.ts';
export { openNursery, type Nursery, type NurseryOptions, type ActorOptions, type ChildInfo } from './nursery.ts';
export type {
  Portal,
  PortalActor,
  CancelOptions,
  Returned,
  ContextFn,
  CallerContext,
  StreamItem,
  StreamReturn,
} from './portal.ts';
export type { Context } from './context.ts';
export type { MsgStream, StreamOptions } from './msg-stream.ts';
export {
  RemoteActorError,
  ActorGroupError,
  ActorBootError,
  BrokenActorError,
  ActorCancelledError,
  ContextCancelledError,
  ModuleNotExposedError,
  type ActorRef,
} from './errors.ts';
export { TransportError, ProtocolError } from '@harrow/transport';
export { BrokenWorkerError } from './errors.ts';
export {
  runSync,
  openWorkerContext,
  type WorkerContext,
  type WorkerContextOptions,
  type RunSyncOptions,
  type WorkerStatistics,
  type WorkerType,
} from './worker-pool/index.ts';
