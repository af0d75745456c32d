#!/usr/bin/env node
// `pnpm pack:all`: packs every published package (packages/*, minus private ones) into
// ./tarballs/ and prints the file names, for trying the packages outside the monorepo before
// they are on the registry. Builds nothing: run `pnpm build` first.
//
// Usage: node scripts/pack-all.mjs [--out <dir>]   (default: <repository>/tarballs)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function fail(message) {
  process.stderr.write(`pack:all: ${message}\n`);
  process.exit(1);
}

function parseArguments(args) {
  let out = join(root, 'tarballs');
  for (let index = 0; index < args.length; index += 1) {
    if (args[index] === '--out' && args[index + 1]) {
      out = resolve(args[index + 1]);
      index += 1;
    } else {
      fail(`unknown argument ${JSON.stringify(args[index])} (usage: pack-all.mjs [--out <dir>])`);
    }
  }
  return { out };
}

/** The file name `pnpm pack` gives a package: `@org/mcp-auth-core@0.1.0` → `org-mcp-auth-core-0.1.0.tgz`. */
function tarballName(name, version) {
  return `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`;
}

function publishedPackages() {
  const base = join(root, 'packages');
  if (!existsSync(base)) fail(`no packages/ directory in ${root}`);
  return readdirSync(base, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(base, entry.name, 'package.json')))
    .map((entry) => {
      const dir = join(base, entry.name);
      return { dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) };
    })
    .filter((pkg) => pkg.manifest.private !== true)
    .sort((a, b) => a.dir.localeCompare(b.dir));
}

const { out } = parseArguments(process.argv.slice(2));
const packages = publishedPackages();
if (packages.length === 0) fail('no published package under packages/');
const unbuilt = packages.filter((pkg) => !existsSync(join(pkg.dir, 'dist')));
if (unbuilt.length > 0) {
  const names = unbuilt.map((pkg) => pkg.manifest.name).join(', ');
  fail(`${names}: no dist/ — run pnpm build first`);
}

mkdirSync(out, { recursive: true });
// Tarballs of an earlier version would sit beside the new ones; the folder holds one set.
for (const file of readdirSync(out)) {
  if (/^org-mcp-auth-.*\.tgz$/.test(file)) rmSync(join(out, file));
}

const files = [];
for (const pkg of packages) {
  const result = spawnSync('pnpm', ['pack', '--pack-destination', out], {
    cwd: pkg.dir,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (result.error) fail(`${pkg.manifest.name}: could not run pnpm pack: ${result.error.message}`);
  if (result.status !== 0) {
    fail(`${pkg.manifest.name}: pnpm pack failed (exit ${result.status})\n${result.stderr}`);
  }
  const file = tarballName(pkg.manifest.name, pkg.manifest.version);
  if (!existsSync(join(out, file))) fail(`${pkg.manifest.name}: pnpm pack did not write ${file}`);
  files.push(file);
}

const shown = relative(process.cwd(), out);
const where = shown === '' ? '.' : shown.startsWith('..') ? out : shown;
process.stdout.write(`Packed ${files.length} packages into ${where}/:\n`);
for (const file of files) process.stdout.write(`${file}\n`);
