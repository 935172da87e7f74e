import type { Socket } from 'node:net';
import { jsonLines, type ActorLabel, type AgentMessage, type HubMessage, type Line } from '../wire.ts';
import type { Terminal, TerminalUser } from './terminal.ts';

/** One actor's debugger thread, connected to the hub. */
class Client {
  actor: ActorLabel | undefined;
  /** Set while it is paused and holds or waits for the terminal. */
  request: { kind: string; where: string; since: number } | undefined;
  completions = new Map<number, (result: [string[], string]) => void>();
  line!: Line<HubMessage>;

  label(): string {
    return this.actor ? `'${this.actor.name}' (uid ${this.actor.uid}, pid ${this.actor.pid})` : 'an actor';
  }
}

/**
 * The terminal lock and the REPL relay, owned by the root (in a thread of its own: the root's
 * main thread may be the one paused). Actors that pause ask for the terminal and get it one at
 * a time, first come first served; the holder's debugger thread runs the commands and sends
 * back what to print. `lent` is told whenever the terminal is lent out or given back.
 */
export class Hub {
  private clients = new Set<Client>();
  private queue: Client[] = [];
  private holder: Client | undefined;
  private nextCompletion = 1;

  /**
   * `lent(true)` when the terminal is lent out; `lent(false, then)` when it is given back, `then`
   * called once the root's main thread has taken it back (see `released` in wire.ts).
   */
  constructor(private terminal: Terminal, private lent: (lent: boolean, then?: () => void) => void) {}

  /** Print `text` on the terminal, above the prompt if one is shown (the root's own output while it is lent). */
  print(text: string): void {
    this.terminal.print(text);
  }

  /** A debugger thread connected. */
  accept(socket: Socket): void {
    let client = new Client();
    this.clients.add(client);
    client.line = jsonLines<AgentMessage, HubMessage>(socket, (message) => this.receive(client, message), () => this.gone(client));
  }

  private receive(client: Client, message: AgentMessage): void {
    switch (message.t) {
      case 'hello':
        client.actor = message.actor;
        return;
      case 'request':
        client.request = { kind: message.kind, where: message.where, since: Date.now() };
        this.queue.push(client);
        if (!this.holder) return this.grantNext();
        this.terminal.print(`harrow: ${client.label()} is paused (${message.kind} at ${message.where}) and waits for the terminal`);
        return;
      case 'where':
        if (client.request) client.request.where = message.where;
        return;
      case 'out':
        this.terminal.print(message.text);
        return;
      case 'prompt':
        if (client === this.holder) this.terminal.prompt(`(harrow: ${client.actor?.name ?? '?'}) `);
        return;
      case 'completions':
        client.completions.get(message.id)?.([message.items, message.word]);
        client.completions.delete(message.id);
        return;
      case 'release':
        return this.release(client);
      default:
        client.line.close();
    }
  }

  private gone(client: Client): void {
    this.clients.delete(client);
    for (let resolve of client.completions.values()) resolve([[], '']);
    if (client.request) this.terminal.print(`harrow: actor ${client.label()} has ended or lost its debugger; it leaves the debugger`);
    this.release(client);
  }

  private release(client: Client): void {
    client.request = undefined;
    this.queue = this.queue.filter((queued) => queued !== client);
    let released = () => {
      if (this.clients.has(client)) client.line.send({ t: 'released' });
    };
    if (this.holder !== client) return released();
    this.holder = undefined;
    // The root's own main thread may be the one that is about to run: it cannot take the
    // terminal back before it does, so it is not waited for.
    let root = client.actor?.pid === process.pid;
    this.grantNext(root ? undefined : released);
    if (root) released();
  }

  /** Lend the terminal to the next in line, or give it back to the root; `then` once that is done. */
  private grantNext(then?: () => void): void {
    let next = this.queue.shift();
    if (!next) {
      this.terminal.close();
      this.lent(false, then);
      return;
    }
    this.holder = next;
    this.lent(true);
    this.terminal.open(this.userFor(next));
    next.line.send({ t: 'granted' });
    then?.();
  }

  private userFor(client: Client): TerminalUser {
    return {
      line: (text) => {
        if (this.holder !== client) return;
        if (/^\s*actors\s*$/.test(text)) {
          this.terminal.print(this.listActors());
          this.terminal.prompt(`(harrow: ${client.actor?.name ?? '?'}) `);
          return;
        }
        client.line.send({ t: 'line', text });
      },
      complete: (line) =>
        new Promise((resolve) => {
          let id = this.nextCompletion++;
          client.completions.set(id, resolve);
          client.line.send({ t: 'complete', id, line });
        }),
      // Ctrl-D at the prompt: continue, as leaving the REPL does.
      eof: () => {
        if (this.holder === client) client.line.send({ t: 'line', text: 'c' });
      },
    };
  }

  /** The `actors` command: every actor paused in the debugger, the holder first. */
  private listActors(): string {
    let paused = [this.holder, ...this.queue].filter((client): client is Client => client?.request !== undefined);
    let lines = paused.map((client, index) => {
      let state = index === 0 ? 'holds the terminal' : `waits (${index} of ${paused.length - 1})`;
      let request = client.request!;
      return `${index === 0 ? '*' : ' '} ${client.actor?.name ?? '?'}  uid ${client.actor?.uid}  pid ${client.actor?.pid}  ${state}: ${request.kind} at ${request.where}`;
    });
    return lines.length > 0 ? lines.join('\n') : 'no actor is paused';
  }
}
