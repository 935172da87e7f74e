import type { RegistryEntry } from '../registry/entry.ts';

/**
 * One actor as `harrow ps` shows it: its registry entry, and the calls it is serving, when it
 * answered in time (`undefined`: it did not, shown as `?`).
 *
 * @example
 * ```ts
 * let row: PsRow = { ...entry, callsInFlight: 2 };
 * ```
 */
export interface PsRow extends RegistryEntry {
  callsInFlight?: number;
}

const COLUMNS = ['NAME', 'UID', 'PID', 'HOST', 'UPTIME', 'CALLS'] as const;

/**
 * The table `harrow ps` prints, one line per actor after a header: name, uid, pid, host, uptime
 * (from `since` to `now`), calls in flight. Each actor comes right under its parent, indented
 * one level deeper with a tree branch; an actor whose parent is not listed (a tree's root, the
 * root of a program that joined the registry) starts a tree of its own at the left margin. Roots
 * and siblings keep the order of `rows` (the registry's: the order they registered). A pure
 * function: the same rows and `now` give the same lines.
 *
 * @example
 * ```ts
 * let now = Date.now();
 * let lines = renderTree([
 *   { name: 'hub', uid: 'Hk3Xz0aQ', pid: 4100, host: 'box', address: 'tcp://127.0.0.1:7357', addresses: [], since: now - 65_000, callsInFlight: 0 },
 *   { name: 'db', uid: 'p9Lq2WcE', pid: 4107, host: 'box', address: 'uds:///tmp/harrow-x/p9Lq2WcE.sock', addresses: [], parent: { name: 'hub', uid: 'Hk3Xz0aQ' }, since: now - 64_000 },
 * ], now);
 * // NAME   UID       PID   HOST  UPTIME  CALLS
 * // hub    Hk3Xz0aQ  4100  box   1m05s   0
 * // └─ db  p9Lq2WcE  4107  box   1m04s   ?
 * ```
 */
export function renderTree(rows: readonly PsRow[], now: number): string[] {
  let uids = new Set(rows.map((row) => row.uid));
  let children = new Map<string, PsRow[]>();
  let roots: PsRow[] = [];
  for (let row of rows) {
    let parent = row.parent?.uid;
    if (parent !== undefined && parent !== row.uid && uids.has(parent)) children.set(parent, [...(children.get(parent) ?? []), row]);
    else roots.push(row);
  }
  let cells: string[][] = [];
  let placed = new Set<string>();
  let place = (row: PsRow, lead: string, branch: string) => {
    // A cycle of parents cannot come from a real tree; each row is shown once all the same.
    if (placed.has(row.uid)) return;
    placed.add(row.uid);
    cells.push([
      `${lead}${branch}${row.name}`,
      row.uid,
      row.thread ? `${row.pid} (thread)` : String(row.pid),
      row.host,
      formatUptime(now - row.since),
      row.callsInFlight === undefined ? '?' : String(row.callsInFlight),
    ]);
    let below = children.get(row.uid) ?? [];
    let nextLead = lead + (branch === '' ? '' : branch === '└─ ' ? '   ' : '│  ');
    below.forEach((child, i) => place(child, nextLead, i === below.length - 1 ? '└─ ' : '├─ '));
  };
  for (let root of roots) place(root, '', '');
  // Rows whose parents form a cycle (never reached from a root) still get a line.
  for (let row of rows) place(row, '', '');
  return table([[...COLUMNS], ...cells]);
}

/**
 * How long an actor has been up, in its two largest units: `42s`, `3m07s`, `5h02m`, `2d03h`.
 * A negative time (another host's clock ahead of this one's) is `0s`.
 *
 * @example
 * ```ts
 * formatUptime(187_000); // '3m07s'
 * ```
 */
export function formatUptime(ms: number): string {
  let seconds = Math.max(0, Math.floor(ms / 1000));
  let two = (n: number) => String(n).padStart(2, '0');
  if (seconds < 60) return `${seconds}s`;
  let minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${two(seconds % 60)}s`;
  let hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h${two(minutes % 60)}m`;
  return `${Math.floor(hours / 24)}d${two(hours % 24)}h`;
}

/** Cells in columns two spaces apart, each as wide as its widest cell; no trailing spaces. */
function table(rows: string[][]): string[] {
  let widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ').trimEnd());
}
