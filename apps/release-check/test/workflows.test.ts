import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repositoryRoot } from '../src/workspace-packages.js';

const root = repositoryRoot();

/** A GitHub Actions expression as written in a workflow: `${{ expression }}`. */
const expression = (text: string) => `\${{ ${text} }}`;

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}

interface Job {
  'runs-on': string;
  container?: string;
  strategy?: { matrix?: Record<string, unknown[]> };
  steps: Step[];
}

interface Workflow {
  name: string;
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  env?: Record<string, unknown>;
  jobs: Record<string, Job>;
}

function readWorkflow(file: string): Workflow {
  return parse(readFileSync(join(root, '.github/workflows', file), 'utf8')) as Workflow;
}

/** Shell commands of a script or `run:` block, one per line, comments and blanks dropped. */
function commands(script: string): string[] {
  return script
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
}

/** .ci/run with the scripts it sources (`. scripts/setup.sh`) inlined, as the shell runs it. */
const ciRun = readFileSync(join(root, '.ci/run'), 'utf8').replace(
  /^\. (scripts\/\S+)$/gm,
  (_line, path: string) => readFileSync(join(root, path), 'utf8'),
);
const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
};
const pnpmVersion = /^PNPM_VERSION=(\S+)$/m.exec(ciRun)?.[1];

/** Every text the repository keeps about workflows, scripts and changesets. */
const releaseFiles = [
  ...readdirSync(join(root, '.github/workflows')).map((file) => `.github/workflows/${file}`),
  '.ci/run',
  'scripts/setup.sh',
  '.changeset/config.json',
  'package.json',
];

describe('.github/workflows/ci.yml', () => {
  const workflow = readWorkflow('ci.yml');
  const jobs = Object.values(workflow.jobs);

  it('runs on pushes to main and on pull requests, read-only', () => {
    expect(workflow.on).toHaveProperty('pull_request');
    expect(workflow.on.push).toEqual({ branches: ['main'] });
    expect(workflow.permissions).toEqual({ contents: 'read' });
  });

  it('tests on Node 20 and 22 in a Debian image', () => {
    expect(jobs).toHaveLength(1);
    const job = jobs[0]!;
    expect(job.strategy?.matrix?.node).toEqual([20, 22]);
    expect(job.container).toBe(`node:${expression('matrix.node')}-bookworm`);
  });

  it('runs the same commands as .ci/run, in the same order', () => {
    const job = jobs[0]!;
    expect(job.steps[0]?.uses).toMatch(/^actions\/checkout@v\d+$/);
    expect(workflow.env?.PNPM_VERSION).toBe(pnpmVersion);
    const runLines = job.steps.flatMap((step) => (step.run ? commands(step.run) : []));
    const installPnpm =
      'npm install -g --prefix "$HOME/.local/pnpm-$PNPM_VERSION" --allow-scripts=pnpm -E "pnpm@$PNPM_VERSION"';
    expect(runLines[0]).toBe(installPnpm);
    expect(commands(ciRun)).toContain(
      installPnpm.replace('$HOME/.local/pnpm-$PNPM_VERSION', '$PNPM_PREFIX'),
    );
    const steps = [
      'apt-get update -qq',
      'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium redis-server >/dev/null',
      'pnpm install --frozen-lockfile',
      'pnpm build',
      'pnpm check:packaging',
      'pnpm check:publish',
      'pnpm test',
    ];
    expect(runLines.filter((line) => steps.includes(line))).toEqual(steps);
    expect(commands(ciRun).filter((line) => steps.includes(line))).toEqual(steps);
    // .ci/run ends with the test run so its output ends with the test summary.
    expect(commands(ciRun).at(-1)).toBe('pnpm test');
    for (const script of ['build', 'check:packaging', 'check:publish', 'test']) {
      expect(rootManifest.scripts[script]).toBeTypeOf('string');
    }
  });
});

describe('.github/workflows/release.yml', () => {
  const workflow = readWorkflow('release.yml');
  const job = Object.values(workflow.jobs)[0]!;
  const changesets = job.steps.find((step) => step.uses?.startsWith('changesets/action@'));

  it('runs on pushes to main with the permissions provenance needs', () => {
    expect(workflow.on).toEqual({ push: { branches: ['main'] } });
    expect(workflow.permissions).toEqual({
      contents: 'write',
      'pull-requests': 'write',
      'id-token': 'write',
    });
  });

  it('installs with the pinned pnpm and the frozen lockfile', () => {
    expect(workflow.env?.PNPM_VERSION).toBe(pnpmVersion);
    const runLines = job.steps.flatMap((step) => (step.run ? commands(step.run) : []));
    expect(runLines).toContain('pnpm install --frozen-lockfile');
    expect(job.steps.find((s) => s.uses?.startsWith('actions/setup-node@'))?.with).toEqual({
      'node-version': 22,
    });
  });

  it('opens version pull requests and publishes with provenance through the changesets action', () => {
    expect(changesets?.uses).toMatch(/^changesets\/action@v\d+$/);
    expect(changesets?.with).toMatchObject({
      version: 'pnpm version-packages',
      publish: 'pnpm release',
    });
    expect(changesets?.env).toEqual({
      GITHUB_TOKEN: expression('secrets.GITHUB_TOKEN'),
      NPM_TOKEN: expression('secrets.NPM_TOKEN'),
      NPM_CONFIG_PROVENANCE: 'true',
    });
    expect(rootManifest.scripts['version-packages']).toBe('changeset version');
    expect(rootManifest.scripts.release).toMatch(/^pnpm build && .*changeset publish$/);
    expect(rootManifest.scripts.changeset).toBe('changeset');
  });
});

describe('release configuration', () => {
  it.each(releaseFiles)('%s names no registry host', (file) => {
    const text = readFileSync(join(root, file), 'utf8');
    expect(text).not.toMatch(/registry[.-]|registry-url|npmjs\.(org|com)|unpkg|jsdelivr|yarnpkg/i);
  });
});
