/**
 * The README's demo: build a tree of actors (examples/nested-tree.ts), print it as the actors
 * report themselves and as the operating system sees it, tear it down, and check that nothing
 * is left.
 *
 *   npx tsx --conditions=harrow-source examples/demo.ts [depth=2] [breadth=2]
 */
import { exit, main, scoped } from 'effection';
import { readFileSync, readdirSync } from 'node:fs';
import { isMainModule } from '@harrow/runtime';
import { describeTree, formatTree, pidsOf, startChildren, stillAlive, type TreeNode } from './nested-tree.ts';

/** A process as /proc describes it. */
interface Proc {
  pid: number;
  ppid: number;
  pgid: number;
  command: string;
}

/** Every process on this machine, from /proc (Linux); empty where there is no /proc. */
function processTable(): Proc[] {
  let table: Proc[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return table;
  }
  for (let entry of entries) {
    try {
      let stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      let fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      let argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      table.push({ pid: Number(entry), ppid: Number(fields[1]), pgid: Number(fields[2]), command: shorten(argv) });
    } catch {
      // gone while we looked
    }
  }
  return table;
}

/** `node --import tsx …/demo.ts` → `node demo.ts`: flags and tsx's loader left out, paths to base names. */
function shorten(argv: string[]): string {
  // A shell running a script (`sh -c <script>`) is named by its first word: the root's
  // sentinel calls itself `harrow-sentinel`.
  if (argv[1] === '-c') return argv[0]!.split('/').pop()!;
  let kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i]!;
    if (arg === '--import' || arg === '--require' || arg === '--loader' || arg === '-r') i++;
    else if (!arg.startsWith('-') && !/tsx[/\\]dist/.test(arg)) kept.push(arg.split('/').pop() ?? arg);
  }
  return kept.join(' ').slice(0, 60);
}

/** The process tree under `pid`, as `ps --forest` would draw it, each actor named. */
function osTree(pid: number, table: Proc[], names: Map<number, string>): TreeNode {
  let proc = table.find((each) => each.pid === pid);
  let name = `${pid} pgid ${proc?.pgid ?? '?'} ${proc?.command ?? '?'}${names.has(pid) ? `   <- ${names.get(pid)}` : ''}`;
  let children = table.filter((each) => each.ppid === pid).map((each) => osTree(each.pid, table, names));
  return { name, pid, children };
}

function names(node: TreeNode, into = new Map<number, string>()): Map<number, string> {
  into.set(node.pid, node.name);
  for (let child of node.children) names(child, into);
  return into;
}

if (isMainModule(import.meta)) await main(function* (args) {
  let [depth = 2, breadth = 2] = args.map(Number);
  let started = Date.now();
  let teardown = 0;
  let tree = yield* scoped(function* () {
    let tree = yield* describeTree(yield* startChildren(depth, breadth));
    console.log(`A tree of ${pidsOf(tree).length - 1} actors, started in ${Date.now() - started} ms, as each actor reports itself:\n`);
    for (let line of formatTree(tree)) console.log(`  ${line}`);
    let table = processTable();
    if (table.length > 0) {
      console.log('\nThe same tree as the operating system sees it (/proc: pid, process group, command):\n');
      for (let line of formatTree(osTree(process.pid, table, names(tree)), (node) => node.name)) console.log(`  ${line}`);
    }
    console.log('\nTearing it down: the root cancels its children, each cancels its own first.');
    teardown = Date.now();
    return tree;
  });
  let actors = pidsOf(tree).filter((pid) => pid !== process.pid);
  let left = stillAlive(actors);
  if (left.length > 0) yield* exit(1, `still alive: ${left.join(', ')}`);
  console.log(`Torn down in ${Date.now() - teardown} ms. Nothing is left: none of the ${actors.length} actor processes is alive.`);
});
