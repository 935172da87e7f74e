import type { CallFrame } from './frames.ts';
import type { Target } from './target.ts';

/** How long an expression typed at the prompt may run in the paused thread. */
export const EVALUATION_TIMEOUT_MS = 2000;

/** The formatter the debugger puts in every thread it debugs (see install.ts). */
const INSPECT = "globalThis[Symbol.for('harrow.inspect')]";
/** Lists an object's property names, its prototypes' included (for Tab). */
const NAMES = "globalThis[Symbol.for('harrow.names')]";

/** What the inspector answers to an evaluation. */
export interface Evaluated {
  result?: { value?: unknown; description?: string; type?: string; objectId?: string };
  exceptionDetails?: { text?: string; exception?: { className?: string; description?: string } };
}

/**
 * Expressions in a paused frame: what `p` and a bare expression print (formatted by
 * `util.inspect`, like Node's REPL), watches, and Tab completion. An expression that runs
 * past `EVALUATION_TIMEOUT_MS` is stopped by the inspector; the thread stays paused and usable.
 */
export class Evaluator {
  constructor(private target: Target) {}

  /** Evaluate `expression` in `frame` and return what the REPL prints. */
  async print(frame: CallFrame, expression: string): Promise<string> {
    try {
      let formatted = await this.evaluate(frame, `${INSPECT}((${expression}\n))`, { returnByValue: true });
      if (!formatted.exceptionDetails) return String(formatted.result?.value);
      // Not an expression (a declaration, several statements): run it as it is.
      if (formatted.exceptionDetails.exception?.className === 'SyntaxError') {
        let raw = await this.evaluate(frame, expression);
        if (raw.exceptionDetails) return uncaught(raw);
        return raw.result?.type === 'string' ? `'${raw.result.value}'` : (raw.result?.description ?? String(raw.result?.value));
      }
      return uncaught(formatted);
    } catch (error) {
      if (/terminated/i.test(String((error as Error)?.message))) {
        return `harrow: the expression was stopped after ${EVALUATION_TIMEOUT_MS} ms (evaluation timeout)`;
      }
      return `harrow: could not evaluate: ${(error as Error)?.message ?? error}`;
    }
  }

  /** Names that complete `word` in `frame`: properties after a dot, else the frame's scope and globals. */
  async complete(frame: CallFrame | undefined, word: string): Promise<string[]> {
    if (!frame) return [];
    let dot = word.lastIndexOf('.');
    if (dot >= 0) {
      let object = word.slice(0, dot);
      let names = await this.names(frame, object);
      return names.filter((name) => name.startsWith(word.slice(dot + 1))).map((name) => `${object}.${name}`);
    }
    let names = new Set<string>();
    for (let scope of frame.scopeChain) {
      if (scope.type === 'global' || !scope.object.objectId) continue;
      let properties = await this.target.post<{ result: { name: string }[] }>('Runtime.getProperties', {
        objectId: scope.object.objectId,
        ownProperties: true,
      }).catch(() => ({ result: [] }));
      for (let property of properties.result) names.add(property.name);
    }
    for (let name of await this.names(frame, 'globalThis')) names.add(name);
    return [...names].filter((name) => name.startsWith(word)).sort();
  }

  private async names(frame: CallFrame, object: string): Promise<string[]> {
    let listed = await this.evaluate(frame, `${NAMES}((${object}\n))`, { returnByValue: true, throwOnSideEffect: true }).catch(() => undefined);
    let value = listed?.result?.value;
    return Array.isArray(value) ? value.filter((name): name is string => typeof name === 'string') : [];
  }

  /** Evaluate `expression` in `frame`, silently (no pause on exceptions), within the evaluation timeout. */
  evaluate(frame: CallFrame, expression: string, options: { returnByValue?: boolean; throwOnSideEffect?: boolean } = {}): Promise<Evaluated> {
    return this.target.post<Evaluated>('Debugger.evaluateOnCallFrame', {
      callFrameId: frame.callFrameId,
      expression,
      returnByValue: options.returnByValue ?? false,
      throwOnSideEffect: options.throwOnSideEffect ?? false,
      silent: true,
      timeout: EVALUATION_TIMEOUT_MS,
    });
  }
}

function uncaught(evaluated: Evaluated): string {
  let details = evaluated.exceptionDetails!;
  // As Node's REPL: the error's first line; its stack would be the debugger's own frames.
  let description = details.exception?.description ?? details.text ?? 'exception';
  return `Uncaught ${description.split('\n')[0]}`;
}
