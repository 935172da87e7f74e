// The rules of import direction, for .dependency-cruiser.cjs (which `pnpm test` runs) and for
// test/layout.test.ts. The folders of packages/runtime/src are floors, and a file may import
// only from its own folder or from a floor below its own. Folders on the same floor are independent of each other. The packages
// are floors too: the transport knows nothing of the runtime, the runtime nothing of the
// debugger. docs/internals.md draws the same picture.

/** packages/runtime/src, top floor first; each entry is one floor. */
const RUNTIME_FLOORS = [
  ['entry', 'cli'], // what node runs to become an actor or a runSync worker; the harrow command
  ['index.ts'], // the public surface
  ['discovery'], // finding actors by name (portals on them), openRoot
  ['nursery'], // nurseries, the parent's view of a child actor, portals, the root
  ['registry'], // the tree's registry of actors: its table, its remote functions, how an actor reaches it
  ['dialog', 'worker-pool'], // the protocol and its dialogs; the runSync pool
  ['actor'], // this process's actor: identity, enabled modules, halting calls, its logger
  ['spawn'], // starting processes and threads, the root's sentinel
  ['base'], // remote(), the error classes, the limiter
];

/** The packages, top first. */
const PACKAGE_FLOORS = [['debugger'], ['runtime'], ['transport']];

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A path pattern for one part (folder or file) of a floor under `root`. */
const part = (root, name) => `^${escape(root)}${escape(name)}${name.endsWith('.ts') ? '$' : '/'}`;

/** One rule per part: it may not import a part of its own floor or of any floor above. */
function floorRules(prefix, root, floors) {
  let rules = [];
  floors.forEach((floor, rank) => {
    for (let name of floor) {
      let forbidden = floors.slice(0, rank + 1).flat().filter((other) => other !== name);
      if (forbidden.length === 0) continue;
      rules.push({
        name: `${prefix}-${name.replace(/\.ts$/, '')}-imports-upward`,
        comment: `${root}${name} is on floor ${rank + 1} of ${floors.length}: it may import only its own folder and the floors below (${floors
          .slice(rank + 1)
          .map((below) => below.join(' + '))
          .join(', ')})`,
        severity: 'error',
        from: { path: part(root, name) },
        to: { path: forbidden.map((other) => part(root, other)) },
      });
    }
  });
  return rules;
}

/** The rule set, for paths relative to the repository root (or to a test's made-up tree). */
function ruleSet() {
  return {
    forbidden: [
      ...floorRules('runtime', 'packages/runtime/src/', RUNTIME_FLOORS),
      ...floorRules('packages', 'packages/', PACKAGE_FLOORS).map((rule) => ({
        ...rule,
        from: { path: `${rule.from.path}src/` },
        to: { path: rule.to.path.map((path) => `${path}src/`) },
      })),
      {
        name: 'not-to-unresolvable',
        comment: 'an import that does not resolve: a missing file, or a package this one does not depend on',
        severity: 'error',
        from: {},
        to: { couldNotResolve: true },
      },
      {
        name: 'no-circular',
        comment: 'a cycle of imports has no floor order',
        severity: 'error',
        from: {},
        to: { circular: true },
      },
    ],
  };
}

module.exports = { ruleSet, RUNTIME_FLOORS, PACKAGE_FLOORS };
