import { openSync } from 'node:fs';
import { createInterface, type Interface } from 'node:readline';
import { ReadStream, WriteStream } from 'node:tty';

/** What the terminal asks of whoever holds it. */
export interface TerminalUser {
  /** A line was entered at the prompt. */
  line(text: string): void;
  /** Completions for `line` (Tab), as readline's completer gives them. */
  complete(line: string): Promise<[string[], string]>;
  /** The terminal was closed from the keyboard (Ctrl-D). */
  eof(): void;
}

/**
 * The root's terminal, as the hub uses it: a readline prompt on the controlling terminal
 * (`/dev/tty`, opened by this thread, so it works while the root's main thread is paused),
 * open only while some actor holds it. While it is open the terminal is in raw mode, so Ctrl-C
 * is a key (it clears the line) and never a signal to the tree. History lasts across holders.
 */
export class Terminal {
  private input: ReadStream | undefined;
  private output: WriteStream | undefined;
  private rl: Interface | undefined;
  private history: string[] = [];
  private prompting = false;
  private user: TerminalUser | undefined;
  /** Lines typed ahead (pasted, or typed while a command ran): one is handed over per prompt. */
  private typedAhead: string[] = [];

  constructor(private path = '/dev/tty') {}

  /** Give the terminal to `user` (opening the prompt if it is not open). */
  open(user: TerminalUser): void {
    this.user = user;
    if (this.rl) return;
    if (!this.input) {
      let fd = openSync(this.path, 'r+');
      this.input = new ReadStream(fd);
      this.output = new WriteStream(fd);
    }
    let rl = createInterface({
      input: this.input,
      output: this.output,
      terminal: true,
      history: this.history,
      historySize: 1000,
      removeHistoryDuplicates: true,
      completer: (line: string, callback: (error: Error | null, result: [string[], string]) => void) => {
        let user = this.user;
        if (!user) return callback(null, [[], line]);
        user.complete(line).then((result) => callback(null, result), () => callback(null, [[], line]));
      },
    });
    rl.pause();
    rl.on('line', (text) => {
      rl.pause();
      if (!this.prompting) {
        this.typedAhead.push(text);
        return;
      }
      this.prompting = false;
      this.user?.line(text);
    });
    rl.on('SIGINT', () => {
      // As Node's REPL: Ctrl-C clears the line. It never reaches the tree as a signal.
      rl.write(null, { ctrl: true, name: 'e' });
      rl.write(null, { ctrl: true, name: 'u' });
      this.output?.write('^C\n');
      if (this.prompting) rl.prompt();
    });
    rl.on('close', () => {
      // Closed by `close` or by Ctrl-D: either way the next holder gets the history.
      this.history = [...((rl as unknown as { history?: string[] }).history ?? this.history)];
      if (this.rl !== rl) return;
      this.rl = undefined;
      this.prompting = false;
      this.user?.eof();
    });
    this.rl = rl;
  }

  /** Show `prompt` and read one line for the holder. */
  prompt(prompt: string): void {
    let rl = this.rl;
    if (!rl) return;
    let ahead = this.typedAhead.shift();
    if (ahead !== undefined) {
      this.output?.write(`${prompt}${ahead}\n`);
      this.user?.line(ahead);
      return;
    }
    rl.setPrompt(prompt);
    this.prompting = true;
    rl.resume();
    rl.prompt();
  }

  /** Print `text` (above the prompt, if one is shown). */
  print(text: string): void {
    let line = text.endsWith('\n') ? text : `${text}\n`;
    if (!this.output) {
      process.stderr.write(line);
      return;
    }
    if (this.prompting && this.rl) {
      this.output.write(`\r\x1b[K${line}`);
      this.rl.prompt(true);
    } else {
      this.output.write(line);
    }
  }

  /** Nobody holds the terminal: close the prompt (the terminal leaves raw mode). */
  close(): void {
    let rl = this.rl;
    this.rl = undefined;
    this.user = undefined;
    this.typedAhead = [];
    // A prompt left on the screen (the REPL closed by a teardown) is wiped.
    if (this.prompting) this.output?.write('\r\x1b[K');
    this.prompting = false;
    rl?.close();
    this.input?.setRawMode(false);
    this.input?.pause();
  }
}
