#!/usr/bin/env node
// `npx tradeops ...`: the CLI is TypeScript, run through tsx.
require('tsx/cjs');
require('./tradeops/main.ts')
  .run(process.argv)
  .then((code) => process.exit(code));
