// Two projects: unit specs beside the code, end-to-end suites in test/ that start real processes.
const { pathsToModuleNameMapper } = require('ts-jest');
const { compilerOptions } = require('./tsconfig.json');

const common = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  transform: {
    // The console's page files are imported as text (as webpack's asset/source does for the build).
    'console/static/.+\\.(html|css|js)$': '<rootDir>/test/support/text-transform.js',
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  testEnvironment: 'node',
  setupFiles: ['reflect-metadata'],
  moduleNameMapper: {
    ...pathsToModuleNameMapper(compilerOptions.paths, { prefix: '<rootDir>/' }),
    // 'nest-mesh/testing' requires the gateway's bundle by its place in the package
    // (libs/mesh/src/testing/testing-mesh.ts): here, the one `npm run build` made.
    '^\\.\\./\\.\\./\\.\\./\\.\\./apps/gateway/main\\.js$': '<rootDir>/dist/apps/gateway/main.js',
    // libs/client imports './x.js' (so its ESM build runs in browsers): the source is './x.ts'.
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};

module.exports = {
  testTimeout: 60000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  projects: [
    // test/testing/example/src: the unit test of docs/testing.md, beside its app's code.
    { ...common, displayName: 'unit', rootDir: __dirname, testMatch: ['<rootDir>/{libs,apps}/**/*.spec.ts', '<rootDir>/test/testing/example/src/**/*.spec.ts'] },
    // globalSetup compiles the service programs the suites start (test/support/programs.ts).
    { ...common, displayName: 'e2e', rootDir: __dirname, testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'], globalSetup: '<rootDir>/test/support/global-setup.js' },
  ],
};
