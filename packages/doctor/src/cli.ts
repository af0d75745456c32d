#!/usr/bin/env node
import { runDoctor } from './run-doctor.js';

void runDoctor(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
}).then((code) => {
  process.exitCode = code;
});
