// The folder DAG of src/ (docs/architecture.md draws it). `npm run lint` checks it.
//
//   shared   src/*.ts (errors, logger, version, ...)      imports no folder
//   leaves   protocol storage net users client            import shared files and other leaves
//   features repo catalog marketplace jobs data ...       import leaves and other features
//   api      HTTP routes and server                       imports features and leaves, gets them passed in
//   node     the daemon: the one composition root         builds everything
//   entries  cli serve testbed                            start a node or talk to one
//
// No cycles anywhere, not even through type-only imports.
const LEAVES = '(protocol|storage|net|users|client)'
const UPPER = '(node|api|cli|serve|testbed)'

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No module depends on itself through others (type-only imports count): split the shared part out.',
      from: { path: '^src/' },
      to: { circular: true }
    },
    {
      name: 'no-circular-folders',
      severity: 'error',
      comment: 'The folders form a DAG too: no folder reaches back into one that imports it, even through files that are not in a cycle.',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true }
    },
    {
      name: 'shared-files-import-no-folder',
      severity: 'error',
      comment: 'The top-level files of src/ (errors, logger, version, ...) are shared by every folder and import none.',
      from: { path: '^src/[^/]+\\.ts$' },
      to: { path: '^src/[^/]+/' }
    },
    {
      name: 'leaves-import-only-leaves',
      severity: 'error',
      comment: `A leaf (${LEAVES}) imports shared files and other leaves only, never a feature or the layers above.`,
      from: { path: `^src/${LEAVES}/` },
      to: { path: '^src/[^/]+/', pathNot: `^src/${LEAVES}/` }
    },
    {
      name: 'features-never-import-upward',
      severity: 'error',
      comment: 'Features and leaves never import node/, api/, cli/, serve/ or testbed/: those build and call them.',
      from: { path: '^src/', pathNot: `^src/${UPPER}/` },
      to: { path: `^src/${UPPER}/` }
    },
    {
      name: 'api-receives-its-dependencies',
      severity: 'error',
      comment: 'api/ gets narrow typed dependencies passed in; it never imports the composition root or an entry point.',
      from: { path: '^src/api/' },
      to: { path: '^src/(node|cli|serve|testbed)/' }
    },
    {
      name: 'node-is-the-only-composition-root',
      severity: 'error',
      comment: 'Only the entry points (cli, testbed) import node/; serve builds its own small server from api/ and features.',
      from: { path: '^src/', pathNot: '^src/(node|cli|testbed)/' },
      to: { path: '^src/node/' }
    },
    {
      name: 'node-imports-no-entry-point',
      severity: 'error',
      comment: 'node/ is started by the entry points, it does not import them.',
      from: { path: '^src/node/' },
      to: { path: '^src/(cli|serve|testbed)/' }
    },
    {
      name: 'src-not-to-test-or-bench',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' }
    },
    {
      name: 'src-not-to-dev-dependency',
      severity: 'error',
      comment: 'src/ runs in production: it imports only `dependencies` of package.json.',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] }
    },
    {
      name: 'no-undeclared-package',
      severity: 'error',
      comment: 'Every package imported is declared in package.json.',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] }
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true }
    }
  ],
  options: {
    // TypeScript 7 has no JS API yet: swc parses the sources (it keeps type-only imports)
    parser: 'swc',
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings']
    },
    reporterOptions: { text: { highlightFocused: true } }
  }
}
