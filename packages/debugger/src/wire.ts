/*
 * What the root's terminal hub and the actors' debugger threads say to each other: one JSON
 * object a line over a Unix socket. Text only, and both ends are this package, so JSON lines
 * keep it plain; a line that is not one of these messages closes that connection.
 */
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';

/** An actor as the hub lists it. */
export interface ActorLabel {
  name: string;
  uid: string;
  pid: number;
}

/** Debugger thread → hub. */
export type AgentMessage =
  /** First on every connection. */
  | { t: 'hello'; actor: ActorLabel }
  /** This actor has paused and asks for the terminal; `where` is shown by `actors`. */
  | { t: 'request'; kind: string; where: string }
  /** Where it is paused now (after a step). */
  | { t: 'where'; where: string }
  /** Text for the terminal. */
  | { t: 'out'; text: string }
  /** Done with the last line: show the prompt and read the next one. */
  | { t: 'prompt' }
  | { t: 'completions'; id: number; items: string[]; word: string }
  /** It is about to run again: the terminal goes to the next in line (answered with `released`). */
  | { t: 'release' };

/** Hub → debugger thread. */
export type HubMessage =
  | { t: 'granted' }
  /**
   * The terminal is given on (or back to the root, which has then let through a SIGINT it held
   * meanwhile): the actor may run. So a Ctrl-C sent to the root while the REPL was open takes
   * effect before anything the actor does next can reach the root.
   */
  | { t: 'released' }
  | { t: 'line'; text: string }
  | { t: 'complete'; id: number; line: string };

/** One connection, either end, as its owner sends on it (what it receives goes to `jsonLines`'s `receive`). */
export interface Line<Out> {
  send(message: Out): void;
  close(): void;
}

/**
 * Speak JSON lines over `socket`. `receive` gets each message; a line that does not parse as
 * JSON, or an error on the socket, ends the connection, and `closed` is told once either way.
 */
export function jsonLines<In, Out>(socket: Socket, receive: (message: In) => void, closed: (why?: Error) => void): Line<Out> {
  let ended = false;
  let end = (why?: Error) => {
    if (ended) return;
    ended = true;
    socket.destroy();
    closed(why);
  };
  let lines = createInterface({ input: socket, crlfDelay: Infinity });
  lines.on('line', (text) => {
    let message: In;
    try {
      message = JSON.parse(text) as In;
    } catch {
      return end(new Error(`not a debugger message: ${text.slice(0, 80)}`));
    }
    receive(message);
  });
  socket.on('error', (error) => end(error));
  socket.on('close', () => end());
  return {
    send(message) {
      if (!ended) socket.write(`${JSON.stringify(message)}\n`);
    },
    close: () => end(),
  };
}
