#!/usr/bin/env node
'use strict';
// The CLI is TypeScript compiled to ../dist; this file only finds it.
const fs = require('node:fs');
const path = require('node:path');

const entry = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('neuroerp: run npm run build first\n');
  process.exit(1);
}
const cli = require(entry);
cli.main(process.argv).catch((error) => {
  process.stderr.write(`neuroerp: ${cli.describeFailure(error)}\n`);
  process.exit(1);
});
