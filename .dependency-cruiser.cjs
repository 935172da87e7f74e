// Import direction, checked by `pnpm test` (`pnpm lint:layers`): the rules are built in
// scripts/layer-rules.cjs from the list of floors there; docs/internals.md draws the picture.
const { ruleSet } = require('./scripts/layer-rules.cjs');

module.exports = {
  ...ruleSet(),
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['node_modules', '(^|/)test/', '(^|/)dist/'] },
    // Workspace packages by name (@harrow/transport) resolve through their exports to their sources.
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['harrow-source', 'import', 'default'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
