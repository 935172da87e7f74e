import type { Evaluator } from './evaluate.ts';
import type { CallFrame } from './frames.ts';
import type { Location, Scripts } from './scripts.ts';
import type { Target } from './target.ts';

/** The first `yield* name(` of a line: the generator an effection line delegates to. */
const DELEGATION = /yield\*\s*([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)\s*\(/;

interface Properties {
  internalProperties?: { name: string; value?: { value?: Location } }[];
}

/**
 * Where `s` should stop in a generator that `line` delegates to with `yield*`. V8 does not step
 * into the synchronous start of a `yield*` delegation (it steps over it, or stops only where the
 * generator next resumes), and in effection code nearly every call is one: so `s` on such a line
 * finds the generator function (evaluated in `frame`, side-effect free), and a one-shot
 * breakpoint at its first statement stops the step there. Undefined when the line delegates to
 * nothing of the user's (effection's `sleep`, say).
 */
export async function delegationEntry(target: Target, evaluator: Evaluator, scripts: Scripts, frame: CallFrame, line: string): Promise<Location | undefined> {
  let callee = DELEGATION.exec(line)?.[1];
  if (!callee) return undefined;
  let evaluated = await evaluator.evaluate(frame, callee, { throwOnSideEffect: true }).catch(() => undefined);
  let objectId = evaluated?.result?.type === 'function' ? evaluated.result.objectId : undefined;
  if (!objectId) return undefined;
  let properties = await target.post<Properties>('Runtime.getProperties', { objectId, ownProperties: true }).catch(() => undefined);
  let start = properties?.internalProperties?.find((property) => property.name === '[[FunctionLocation]]')?.value?.value;
  if (!start || scripts.isHidden(start.scriptId)) return undefined;
  let possible = await target
    .post<{ locations: Location[] }>('Debugger.getPossibleBreakpoints', { start, restrictToFunction: true })
    .catch(() => ({ locations: [] as Location[] }));
  return possible.locations.find((location) => after(location, start));
}

function after(location: Location, start: Location): boolean {
  return location.lineNumber > start.lineNumber || (location.lineNumber === start.lineNumber && (location.columnNumber ?? 0) > (start.columnNumber ?? 0));
}
