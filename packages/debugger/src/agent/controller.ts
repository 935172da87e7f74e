import { existsSync, writeSync } from 'node:fs';
import { connect } from 'node:net';
import type { Debuggee } from '@harrow/runtime/debug-port';
import { jsonLines, type AgentMessage, type HubMessage, type Line } from '../wire.ts';
import { Breakpoints } from './breakpoints.ts';
import { COMMAND_NAMES, HELP, parse, type Parsed } from './commands.ts';
import { Door } from './door.ts';
import { Evaluator } from './evaluate.ts';
import { delegationEntry } from './step-into.ts';
import { Stop, type CallFrame } from './frames.ts';
import type { Scripts } from './scripts.ts';
import type { Target } from './target.ts';

type StepCommand = 'next' | 'step' | 'out';
type Stepping = { command: StepCommand; key: string; line: number; count: number };

/** A step goes on while it is on the line it started from, at most this many times. */
const MAX_STEPS_PER_LINE = 1000;
/** How long a pause waits for the root's hub to start listening (it starts with the root's first nursery). */
const HUB_START_MS = 5_000;
/**
 * A step that has not stopped again within this long lets the terminal go (it ran out of the
 * user's frames, or over a `yield*` that waits): others may use it meanwhile, and the step's
 * stop, whenever it comes, asks for it again.
 */
const STEP_HOLD_MS = 500;

/**
 * How long leaving the REPL waits at most for the hub to confirm that the terminal is given on.
 * The confirmation is what orders a SIGINT the root held meanwhile before anything this actor
 * does next (see `released` in wire.ts), so the bound is generous: on a loaded machine the
 * root's main thread may take a while to answer, and an actor that runs on too early lets its
 * result reach the root before the signal does. It only keeps an actor paused when the root's
 * main thread cannot answer at all (it is itself paused, or blocked).
 */
const RELEASED_WAIT_MS = 10_000;

/**
 * The debugger of one thread: it hears the thread pause, asks the root's hub for the terminal,
 * runs the REPL's commands through the inspector, and lets the thread go on `c`, a step, `q`,
 * or a real teardown (its spawner knocking at its door, its parent's death).
 */
export class Controller {
  private stop: Stop | undefined;
  /** running; paused and waiting for the terminal; paused and holding it; resumed by a step. */
  private state: 'running' | 'waiting' | 'holding' | 'stepping' = 'running';
  /** Whether the hub has lent this thread the terminal (it keeps it across steps). */
  private holding = false;
  private stepping: Stepping | undefined;
  private stepTimer: NodeJS.Timeout | undefined;
  /** The breakpoint `s` set where a delegated generator starts, until the step stops. */
  private oneShot: string | undefined;
  private lastStep: StepCommand | undefined;
  private hub: Line<AgentMessage> | undefined;
  /** Waiting for the hub's `released` (see `released`). */
  private releasedWaiters: (() => void)[] = [];
  private door: Door;
  /** Set for good once this actor is being torn down: it is not stopped again. */
  private tornDown: string | undefined;
  private watches: string[] = [];
  private breakpoints: Breakpoints;
  private evaluator: Evaluator;

  constructor(private target: Target, private scripts: Scripts, private actor: Debuggee, private hubAddress: string | undefined) {
    this.evaluator = new Evaluator(target);
    this.breakpoints = new Breakpoints(target, scripts);
    this.door = new Door(actor.door, actor.threadId === undefined && !actor.root, (why) => this.teardown(why));
    target.on('Debugger.paused', (params) => void this.paused(params.callFrames, params.hitBreakpoints).catch((error) => this.broken(error)));
  }

  /** The root's hub moved (the root actor stopped and started again): later pauses ask the new one. */
  setHub(address: string | undefined): void {
    if (address === this.hubAddress) return;
    this.hubAddress = address;
    this.hub?.close();
    this.hub = undefined;
  }

  private async paused(frames: CallFrame[], hitBreakpoints?: string[]): Promise<void> {
    if (this.tornDown) return this.resume();
    // Listening at the door before anything else: a cancel may come while this waits.
    this.door.open();
    if (this.state === 'stepping' && this.stepping) return this.stepped(frames);
    let stop = new Stop(frames, Stop.kindOf(frames, this.scripts, hitBreakpoints), this.scripts);
    // A stop with nothing of the user's on it (a step that ran into the runtime): go on.
    if (!stop.frame) return this.leave();
    if (stop.kind === 'crash') stop.setCrash(await this.crashReport(stop));
    this.stop = stop;
    if (this.holding) return this.showStop();
    return this.request(stop);
  }

  /** Ask the root for the terminal; the hub answers `granted` when it is this thread's turn. */
  private async request(stop: Stop): Promise<void> {
    this.state = 'waiting';
    let hub = await this.connectHub();
    if (!hub) {
      this.write(`harrow: ${stop.kind} in actor '${this.actor.name}' at ${stop.where()}, but the tree has no terminal to debug in; continuing`);
      return this.leave();
    }
    if (this.tornDown) return;
    hub.send({ t: 'request', kind: stop.kind, where: stop.where() });
  }

  private async stepped(frames: CallFrame[]): Promise<void> {
    let stepping = this.stepping!;
    let stop = new Stop(frames, Stop.kindOf(frames, this.scripts), this.scripts);
    let top = stop.frame;
    // Still inside breakpoint()'s helper: out of it first.
    if (!top || this.scripts.isHelper(frames[0]!.location.scriptId)) return this.post('Debugger.stepOut');
    let sameLine = Stop.key(top) === stepping.key && this.scripts.place(top.location).line === stepping.line;
    if (stepping.command !== 'out' && sameLine && stepping.count++ < MAX_STEPS_PER_LINE) {
      return this.post(stepping.command === 'next' ? 'Debugger.stepOver' : 'Debugger.stepInto');
    }
    clearTimeout(this.stepTimer);
    this.stepping = undefined;
    this.stop = stop;
    await this.clearOneShot();
    if (!this.holding) return this.request(stop);
    this.hub?.send({ t: 'where', where: stop.where() });
    return this.showStop();
  }

  private granted(): void {
    let stop = this.stop;
    if (this.state !== 'waiting' || !stop) return;
    this.holding = true;
    this.state = 'holding';
    let { name, uid, pid } = this.actor;
    if (stop.kind === 'crash') {
      this.out(`\nharrow: post-mortem of actor '${name}' (uid ${uid}, pid ${pid}): ${stop.crashReport}\n` +
        'The error is in scope as `error`; c or q lets it continue up the tree unchanged.');
    } else {
      this.out(`\nharrow: ${stop.kind} in actor '${name}' (uid ${uid}, pid ${pid}) at ${stop.where()}\n${stop.currentLine()}`);
    }
    void this.showWatches().then(() => this.prompt());
  }

  private async showStop(): Promise<void> {
    this.state = 'holding';
    let stop = this.stop!;
    this.out(`${stop.where()}\n${stop.currentLine()}`);
    await this.showWatches();
    this.prompt();
  }

  private async showWatches(): Promise<void> {
    let frame = this.stop?.frame;
    if (!frame) return;
    for (let [index, expression] of this.watches.entries()) {
      this.out(`watch ${index + 1}: ${expression} = ${await this.evaluator.print(frame, expression)}`);
    }
  }

  private async crashReport(stop: Stop): Promise<string> {
    let frame = stop.helper('pauseOnCrash');
    if (!frame) return 'an error';
    let report = await this.evaluator.evaluate(frame, 'report', { returnByValue: true });
    return String(report.result?.value ?? 'an error');
  }

  /** One line typed at the prompt. */
  private async line(text: string): Promise<void> {
    if (this.state !== 'holding') return;
    let parsed = parse(text);
    if (parsed.command === 'repeat') {
      if (!this.lastStep) return this.prompt();
      parsed = { command: this.lastStep };
    }
    try {
      await this.run(parsed);
    } catch (error) {
      this.out(`harrow: ${(error as Error)?.message ?? error}`);
      this.prompt();
    }
  }

  private async run(parsed: Parsed): Promise<void> {
    let stop = this.stop!;
    switch (parsed.command) {
      case 'continue':
        return this.leave();
      case 'next':
      case 'step':
      case 'out':
        return this.step(stop, parsed.command);
      case 'quit':
        return this.quit(stop);
      case 'bt':
        this.out(stop.backtrace());
        break;
      case 'list':
        this.out(stop.list());
        break;
      case 'up':
      case 'down': {
        let next = stop.selected + (parsed.command === 'up' ? 1 : -1);
        if (next < 0 || next >= stop.visible.length) {
          this.out(parsed.command === 'up' ? 'already at the outermost frame of yours' : 'already at the innermost frame');
        } else {
          stop.selected = next;
          this.out(`${stop.where()}\n${stop.currentLine()}`);
        }
        break;
      }
      case 'print':
        this.out(await this.evaluator.print(stop.frame!, parsed.expression));
        break;
      case 'break':
        this.out(parsed.file === undefined ? this.breakpoints.list() : await this.breakpoints.set(parsed.file, parsed.line!, parsed.condition));
        break;
      case 'clear':
        this.out(await this.breakpoints.clear(parsed.index));
        break;
      case 'watch':
        this.watches.push(parsed.expression);
        this.out(`watch ${this.watches.length}: ${parsed.expression} = ${await this.evaluator.print(stop.frame!, parsed.expression)}`);
        break;
      case 'unwatch':
        if (!this.watches[parsed.index - 1]) this.out(`no watch ${parsed.index}`);
        else this.out(`removed watch ${parsed.index}: ${this.watches.splice(parsed.index - 1, 1)[0]}`);
        break;
      case 'help':
        this.out(HELP);
        break;
      case 'error':
        this.out(parsed.message);
        break;
    }
    this.prompt();
  }

  private async step(stop: Stop, command: StepCommand): Promise<void> {
    this.lastStep = command;
    let frame = stop.frame!;
    this.stepping = { command, key: Stop.key(frame), line: this.scripts.place(frame.location).line, count: 0 };
    this.state = 'stepping';
    this.stepTimer = setTimeout(() => this.stepRunsOn(), STEP_HOLD_MS);
    let fromHelper = this.scripts.isHelper(stop.frames[0]!.location.scriptId);
    if (command === 'step' && !fromHelper) await this.breakAtDelegation(frame);
    let method = fromHelper || command === 'out' ? 'Debugger.stepOut' : command === 'next' ? 'Debugger.stepOver' : 'Debugger.stepInto';
    return this.post(method);
  }

  /** `s` on a `yield*` line: a one-shot breakpoint where the delegated generator starts (see step-into.ts). */
  private async breakAtDelegation(frame: CallFrame): Promise<void> {
    let place = this.scripts.place(frame.location);
    let line = this.scripts.sourceLines(place.file)?.[place.line - 1] ?? '';
    let entry = await delegationEntry(this.target, this.evaluator, this.scripts, frame, line);
    if (!entry) return;
    let set = await this.target.post<{ breakpointId: string }>('Debugger.setBreakpoint', { location: entry }).catch(() => undefined);
    this.oneShot = set?.breakpointId;
  }

  /** The step is over: its one-shot breakpoint, if it set one, goes. */
  private async clearOneShot(): Promise<void> {
    let id = this.oneShot;
    this.oneShot = undefined;
    if (id) await this.post('Debugger.removeBreakpoint', { breakpointId: id });
  }

  /** A step that did not stop again soon: the terminal goes back until it does. */
  private stepRunsOn(): void {
    if (this.state !== 'stepping' || !this.holding) return;
    this.out(`harrow: '${this.actor.name}' runs on; it asks for the terminal again when the step stops`);
    this.release();
  }

  /** `q`: from inside breakpoint(), make it throw DebuggerQuit; a post-mortem just goes on. */
  private async quit(stop: Stop): Promise<void> {
    let helper = stop.helper('pauseHere');
    if (helper) {
      await this.evaluator.evaluate(helper, "globalThis[Symbol.for('harrow.quit')] = true").catch(() => undefined);
    } else if (stop.kind !== 'crash') {
      this.out('harrow: breakpoint() has already returned, so there is nothing to throw DebuggerQuit from; the actor goes on');
    }
    return this.leave();
  }

  /** Leave the REPL: the thread runs, and the terminal goes to the next in line. */
  private async leave(): Promise<void> {
    this.state = 'running';
    clearTimeout(this.stepTimer);
    this.stepping = undefined;
    this.stop = undefined;
    await this.clearOneShot();
    this.door.close();
    // Released before it runs: if it pauses again at once, its new request queues behind it.
    // It runs once the hub says the terminal is given on (see `released` in wire.ts).
    this.release();
    await this.released();
    await this.resume();
  }

  private release(): void {
    this.holding = false;
    this.hub?.send({ t: 'release' });
  }

  /** Wait for the hub's `released` (at most RELEASED_WAIT_MS: a hub that does not answer never keeps the actor paused). */
  private released(): Promise<void> {
    if (!this.hub) return Promise.resolve();
    return new Promise((resolve) => {
      let timer = setTimeout(done, RELEASED_WAIT_MS);
      this.releasedWaiters.push(done);
      function done() {
        clearTimeout(timer);
        resolve();
      }
    });
  }

  /** A real teardown (its spawner cancels it, its parent died): say why, and let it run into its cancellation. */
  private teardown(why: string): void {
    if (this.tornDown) return;
    this.tornDown = why;
    if (this.state === 'running') return;
    this.out(`harrow: actor '${this.actor.name}' leaves the debugger: ${why}`);
    void this.leave();
  }

  private async complete(id: number, line: string): Promise<void> {
    let word = /[\w$.]*$/.exec(line)?.[0] ?? '';
    let items = await this.evaluator.complete(this.stop?.frame, word).catch(() => []);
    if (word === line.trim() && !word.includes('.')) items = [...COMMAND_NAMES.filter((name) => name.startsWith(word)), ...items];
    this.hub?.send({ t: 'completions', id, items: [...new Set(items)], word });
  }

  private async connectHub(): Promise<Line<AgentMessage> | undefined> {
    if (this.hub) return this.hub;
    let address = this.hubAddress;
    if (!address || !(await appears(address, HUB_START_MS))) return undefined;
    let socket = connect(address);
    let hub = jsonLines<HubMessage, AgentMessage>(
      socket,
      (message) => {
        if (message.t === 'granted') this.granted();
        else if (message.t === 'released') this.wakeReleased();
        else if (message.t === 'line') void this.line(message.text);
        else if (message.t === 'complete') void this.complete(message.id, message.line);
      },
      () => this.hubGone(hub),
    );
    let { name, uid, pid } = this.actor;
    hub.send({ t: 'hello', actor: { name, uid, pid } });
    this.hub = hub;
    return hub;
  }

  private wakeReleased(): void {
    let waiters = this.releasedWaiters;
    this.releasedWaiters = [];
    for (let waiter of waiters) waiter();
  }

  /** The hub closed (the root actor stopped, or the root is gone): a REPL in progress ends. */
  private hubGone(hub: Line<AgentMessage>): void {
    this.wakeReleased();
    if (this.hub !== hub) return;
    this.hub = undefined;
    this.holding = false;
    if (this.state !== 'running') {
      this.write(`harrow: actor '${this.actor.name}' leaves the debugger: the root's terminal is gone`);
      void this.leave();
    }
  }

  private resume(): Promise<void> {
    return this.post('Debugger.resume');
  }

  private async post(method: string, params?: object): Promise<void> {
    await this.target.post(method, params).catch(() => {});
  }

  private out(text: string): void {
    if (this.hub) this.hub.send({ t: 'out', text });
    else this.write(text);
  }

  private prompt(): void {
    this.hub?.send({ t: 'prompt' });
  }

  private write(text: string): void {
    writeSync(2, `${text}\n`);
  }

  private broken(error: unknown): void {
    this.write(`harrow: the debugger of actor '${this.actor.name}' failed: ${(error as Error)?.stack ?? error}`);
    void this.leave();
  }
}

/** Whether `path` exists, or comes to exist within `ms`. */
async function appears(path: string, ms: number): Promise<boolean> {
  for (let waited = 0; !existsSync(path); waited += 25) {
    if (waited >= ms) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return true;
}
