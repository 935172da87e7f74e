import { existsSync, unlinkSync, writeSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import type { Debuggee } from '@harrow/runtime/debug-port';
import { jsonLines, type AgentMessage, type HubMessage, type Line } from '../wire.ts';
import { COMMAND_NAMES, HELP, parse, type Parsed } from './commands.ts';
import { Evaluator } from './evaluate.ts';
import { Stop, type CallFrame } from './frames.ts';
import type { Scripts } from './scripts.ts';
import type { Target } from './target.ts';

type Stepping = { command: 'next' | 'step' | 'out'; key: string; line: number; count: number };

/** A step goes on while it is on the line it started from, at most this many times. */
const MAX_STEPS_PER_LINE = 1000;
/** How long a pause waits for the root's hub to start listening (it starts with the root's first nursery). */
const HUB_START_MS = 5_000;
/** How often a paused process checks that its parent is still there (its lifeline is not read while paused). */
const PARENT_CHECK_MS = 250;

/**
 * The debugger of one thread: it hears the thread pause, asks the root's hub for the terminal,
 * runs the REPL's commands through the inspector, and lets the thread go on `c`, a step, `q`,
 * or a real teardown (its spawner knocking at its door, its parent's death).
 */
export class Controller {
  private stop: Stop | undefined;
  private state: 'running' | 'waiting' | 'holding' | 'stepping' = 'running';
  private stepping: Stepping | undefined;
  private lastStep: 'next' | 'step' | 'out' | undefined;
  private hub: Line<HubMessage, AgentMessage> | undefined;
  private door: Server | undefined;
  private parentCheck: NodeJS.Timeout | undefined;
  private tornDown: string | undefined;
  private watches: string[] = [];
  private breakpoints: { file: string; line: number; condition?: string; ids: string[] }[] = [];
  private evaluator: Evaluator;

  constructor(private target: Target, private scripts: Scripts, private actor: Debuggee, private hubAddress: string | undefined) {
    this.evaluator = new Evaluator(target);
    target.on('Debugger.paused', (params) => void this.paused(params.callFrames, params.hitBreakpoints).catch((error) => this.broken(error)));
    scripts.onParsed((scriptId) => void this.placePending(scriptId));
  }

  private async paused(frames: CallFrame[], hitBreakpoints?: string[]): Promise<void> {
    if (this.tornDown) return this.resume();
    if (this.state === 'stepping' && this.stepping) return this.stepped(frames);
    let stop = new Stop(frames, Stop.kindOf(frames, this.scripts, hitBreakpoints), this.scripts);
    this.stop = stop;
    // A stop with nothing of the user's on it (a step that ran into the runtime): go on.
    if (!stop.frame) return this.resume();
    if (this.state === 'holding') return this.showStop();
    this.state = 'waiting';
    let hub = await this.connectHub();
    if (!hub) {
      this.write(`harrow: ${stop.kind} in actor '${this.actor.name}' at ${stop.where()}, but the tree has no terminal to debug in; continuing`);
      return this.resume();
    }
    this.openDoor();
    // A post-mortem stops in the debugger's helper: the error says more than that place.
    let where = stop.kind === 'crash' ? (await this.crashReport(stop)).split('\n')[0]! : stop.where();
    hub.send({ t: 'request', kind: stop.kind, where });
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
    this.stepping = undefined;
    this.stop = stop;
    this.state = 'holding';
    this.hub?.send({ t: 'where', where: stop.where() });
    return this.showStop();
  }

  private granted(): void {
    let stop = this.stop;
    if (this.state !== 'waiting' || !stop) return;
    this.state = 'holding';
    let { name, uid, pid } = this.actor;
    if (stop.kind === 'crash') {
      void this.crashReport(stop).then((report) => {
        this.out(`\nharrow: post-mortem of actor '${name}' (uid ${uid}, pid ${pid}): ${report}\n` +
          'The error is in scope as `error`; c or q lets it continue up the tree unchanged.');
        return this.showWatches();
      }).then(() => this.prompt());
      return;
    }
    this.out(`\nharrow: ${stop.kind} in actor '${name}' (uid ${uid}, pid ${pid}) at ${stop.where()}\n${stop.currentLine()}`);
    void this.showWatches().then(() => this.prompt());
  }

  private async showStop(): Promise<void> {
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
    let report = await this.target.post<{ result?: { value?: unknown } }>('Debugger.evaluateOnCallFrame', {
      callFrameId: frame.callFrameId,
      expression: 'report',
      returnByValue: true,
      silent: true,
    });
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
      case 'out': {
        this.lastStep = parsed.command;
        let frame = stop.frame!;
        this.stepping = { command: parsed.command, key: Stop.key(frame), line: this.scripts.place(frame.location).line, count: 0 };
        this.state = 'stepping';
        let fromHelper = this.scripts.isHelper(stop.frames[0]!.location.scriptId);
        let method = fromHelper || parsed.command === 'out' ? 'Debugger.stepOut' : parsed.command === 'next' ? 'Debugger.stepOver' : 'Debugger.stepInto';
        return this.post(method);
      }
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
        if (parsed.file === undefined) this.out(this.listBreakpoints());
        else this.out(await this.setBreakpoint(parsed.file, parsed.line!, parsed.condition));
        break;
      case 'clear':
        this.out(await this.clearBreakpoints(parsed.index));
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

  /** `q`: from inside breakpoint(), make it throw DebuggerQuit; a post-mortem just goes on. */
  private async quit(stop: Stop): Promise<void> {
    let helper = stop.helper('pauseHere');
    if (helper) {
      await this.post('Debugger.evaluateOnCallFrame', { callFrameId: helper.callFrameId, expression: "globalThis[Symbol.for('harrow.quit')] = true", silent: true });
    } else if (stop.kind !== 'crash') {
      this.out('harrow: breakpoint() has already returned, so there is nothing to throw DebuggerQuit from; the actor goes on');
    }
    return this.leave();
  }

  /** Leave the REPL: the thread runs, and the terminal goes to the next in line. */
  private async leave(): Promise<void> {
    this.state = 'running';
    this.stepping = undefined;
    this.stop = undefined;
    this.closeDoor();
    // Released before it runs: if it pauses again at once, its new request queues behind it.
    this.hub?.send({ t: 'release' });
    await this.resume();
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

  private listBreakpoints(): string {
    if (this.breakpoints.length === 0) return 'no breakpoints (b file.ts:line [condition] sets one)';
    return this.breakpoints
      .map((bp, index) => `${index + 1}: ${bp.file}:${bp.line}${bp.condition ? ` if ${bp.condition}` : ''}${bp.ids.length === 0 ? ' (pending: no loaded code on that line yet)' : ''}`)
      .join('\n');
  }

  private async setBreakpoint(file: string, line: number, condition?: string): Promise<string> {
    let breakpoint = { file, line, ...(condition ? { condition } : {}), ids: [] as string[] };
    this.breakpoints.push(breakpoint);
    for (let location of this.scripts.locationsOf(file, line)) await this.place(breakpoint, location);
    let number = this.breakpoints.length;
    if (breakpoint.ids.length > 0) return `breakpoint ${number} at ${file}:${line}${condition ? ` if ${condition}` : ''}`;
    return `breakpoint ${number} at ${file}:${line} is pending: no loaded code is on that line yet`;
  }

  private async place(breakpoint: { condition?: string; ids: string[] }, location: { scriptId: string; lineNumber: number; columnNumber?: number }) {
    let set = await this.target.post<{ breakpointId: string }>('Debugger.setBreakpoint', {
      location,
      ...(breakpoint.condition ? { condition: breakpoint.condition } : {}),
    }).catch(() => undefined);
    if (set) breakpoint.ids.push(set.breakpointId);
  }

  private async placePending(scriptId: string): Promise<void> {
    for (let breakpoint of this.breakpoints) {
      if (breakpoint.ids.length > 0) continue;
      for (let location of this.scripts.locationsOf(breakpoint.file, breakpoint.line)) {
        if (location.scriptId === scriptId) await this.place(breakpoint, location);
      }
    }
  }

  private async clearBreakpoints(index?: number): Promise<string> {
    let cleared = index === undefined ? this.breakpoints.splice(0) : this.breakpoints.splice(index - 1, 1);
    if (cleared.length === 0) return index === undefined ? 'no breakpoints' : `no breakpoint ${index}`;
    for (let id of cleared.flatMap((bp) => bp.ids)) await this.target.post('Debugger.removeBreakpoint', { breakpointId: id }).catch(() => {});
    return index === undefined ? 'cleared every breakpoint' : `cleared breakpoint ${index}`;
  }

  private async connectHub(): Promise<Line<HubMessage, AgentMessage> | undefined> {
    if (this.hub) return this.hub;
    if (!this.hubAddress || !(await appears(this.hubAddress, HUB_START_MS))) return undefined;
    let socket = connect(this.hubAddress);
    let hub = jsonLines<HubMessage, AgentMessage>(
      socket,
      (message) => {
        if (message.t === 'granted') this.granted();
        else if (message.t === 'line') void this.line(message.text);
        else if (message.t === 'complete') void this.complete(message.id, message.line);
      },
      // The root is gone, or its hub: nobody can debug this actor any more.
      () => {
        if (this.hub === hub) this.hub = undefined;
        this.teardown('the root is gone');
      },
    );
    let { name, uid, pid } = this.actor;
    hub.send({ t: 'hello', actor: { name, uid, pid } });
    this.hub = hub;
    return hub;
  }

  /** While paused, listen for the spawner's cancel (see the runtime's `knockIfPaused`) and watch the parent. */
  private openDoor(): void {
    let path = this.actor.door;
    if (path && !this.door) {
      if (existsSync(path)) unlinkSync(path);
      let door = createServer((socket) => {
        let text = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk) => (text += chunk));
        socket.on('end', () => {
          let why = 'it is being cancelled';
          try {
            why = String((JSON.parse(text) as { why?: string }).why ?? why);
          } catch {}
          this.teardown(`it is being cancelled: ${why}`);
        });
        socket.on('error', () => {});
      });
      door.on('error', () => {});
      door.listen(path);
      this.door = door;
    }
    if (this.actor.threadId === undefined && this.actor.door && !this.parentCheck) {
      let parent = process.ppid;
      this.parentCheck = setInterval(() => {
        if (process.ppid !== parent) this.teardown('its parent is gone');
      }, PARENT_CHECK_MS);
    }
  }

  private closeDoor(): void {
    clearInterval(this.parentCheck);
    this.parentCheck = undefined;
    let door = this.door;
    this.door = undefined;
    door?.close();
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
