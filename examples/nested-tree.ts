/**
 * A nested tree of actors (tractor's nested_actor_tree, without contexts): every actor opens a
 * nursery of its own and starts its children there, so the tree of actors is a tree of
 * processes. The root then asks the tree to describe itself and prints it, with names and pids;
 * when the root's scope ends the tree is torn down from the leaves up, and the program checks
 * that none of its processes is left.
 *
 *   npx tsx --conditions=harrow-source examples/nested-tree.ts [depth=2] [breadth=2]
 */
import { existsSync, readFileSync } from 'node:fs';
import { all, exit, main, scoped, spawn, suspend, withResolvers, type Operation } from 'effection';
import { currentActor, isMainModule, openNursery, remote, type Portal } from '@harrow/runtime';

/** What an actor reports about itself and its subtree. */
export interface TreeNode {
  name: string;
  pid: number;
  parent?: string;
  children: TreeNode[];
}

// Module state is per actor: each process (or thread) imports this module for itself.
const grown = withResolvers<Portal[]>();

/**
 * Start `breadth` children in a nursery of the calling scope and make each grow its own
 * subtree, `depth` levels in all. The children live as long as the calling scope.
 */
export function* startChildren(depth: number, breadth: number): Operation<Portal[]> {
  if (depth <= 0) return [];
  // No warm spare: the tree is small, and a spare would show up as an extra process.
  let nursery = yield* openNursery({ spare: false });
  let me = currentActor().name;
  let children: Portal[] = [];
  for (let i = 0; i < breadth; i++) {
    let child = yield* nursery.startActor(`${me}.${i}`, { enableModules: [import.meta.url] });
    // The call never returns: the child keeps its subtree for as long as the call lasts, and
    // halting the call (when this scope ends) tears that subtree down first.
    yield* spawn(() => child.run(grow, depth - 1, breadth));
    children.push(child);
  }
  return children;
}

/** An actor's life in the tree: start its own children, then keep them until cancelled. */
export const grow = remote(import.meta, function* grow(depth: number, breadth: number): Operation<void> {
  grown.resolve(yield* startChildren(depth, breadth));
  yield* suspend();
});

/** This actor and everything below it, once its children have been started. */
export const describe = remote(import.meta, function* describe(): Operation<TreeNode> {
  return yield* describeTree(yield* grown.operation);
});

/** Describe the calling actor, asking each of `children` to describe its own subtree. */
export function* describeTree(children: Portal[]): Operation<TreeNode> {
  let me = currentActor();
  let node: TreeNode = { name: me.name, pid: process.pid, children: yield* all(children.map((child) => child.run(describe))) };
  if (me.parent) node.parent = me.parent.name;
  return node;
}

/** The tree as indented lines: `root.0 (pid 1234)` under its parent. */
export function formatTree(node: TreeNode, label: (node: TreeNode) => string = (each) => `${each.name} (pid ${each.pid})`): string[] {
  let lines = [label(node)];
  node.children.forEach((child, i) => {
    let last = i === node.children.length - 1;
    let [first = '', ...rest] = formatTree(child, label);
    lines.push(`${last ? '└── ' : '├── '}${first}`, ...rest.map((line) => `${last ? '    ' : '│   '}${line}`));
  });
  return lines;
}

/** Every pid in the tree. */
export function pidsOf(node: TreeNode): number[] {
  return [node.pid, ...node.children.flatMap(pidsOf)];
}

/**
 * The pids of `pids` that still name a live process. A zombie (dead, waiting to be reaped by
 * whoever adopted it) does not count; /proc tells them apart where there is one.
 */
export function stillAlive(pids: number[]): number[] {
  let hasProc = existsSync('/proc/self/stat');
  return pids.filter((pid) => {
    if (hasProc) {
      try {
        return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return false;
      }
    }
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
}

if (isMainModule(import.meta)) await main(function* (args) {
  let [depth = 2, breadth = 2] = args.map(Number);
  let tree = yield* scoped(function* () {
    let tree = yield* describeTree(yield* startChildren(depth, breadth));
    for (let line of formatTree(tree)) console.log(line);
    return tree;
  });
  // The scope has ended: every actor below the root has exited and been reaped.
  let actors = pidsOf(tree).filter((pid) => pid !== process.pid);
  let left = stillAlive(actors);
  if (left.length > 0) yield* exit(1, `still alive: ${left.join(', ')}`);
  console.log(`all ${actors.length} actors are gone`);
});
