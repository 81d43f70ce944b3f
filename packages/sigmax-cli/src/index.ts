#!/usr/bin/env node
/// <reference types="node" />
// The `sigmax` command (bin of the package; `npm start` runs `sigmax demo`). Parses the command
// line with commander and exits with the command's status: 0 ok, 1 failure, 2 bad usage, 130 Ctrl-C.

import { main } from './program.js';

// A reader that stops early (sigmax … | head) closes the pipe: finish quietly rather than crash.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

process.exitCode = await main(process.argv);
