import type { CheckResourceServerResult, CheckStatus } from '@org/mcp-auth-testing';

/** Options for {@link formatReport}. */
export interface FormatReportOptions {
  /** ANSI colours on the marks and the summary. Default false. */
  color?: boolean;
  /** How the token was given, already redacted, for the header line. */
  tokenNote?: string;
}

const MARKS: Record<CheckStatus, string> = { pass: '✓', warn: '!', fail: '✗', skip: '–' };
const COLORS: Record<CheckStatus, string> = {
  pass: '\u001b[32m',
  warn: '\u001b[33m',
  fail: '\u001b[31m',
  skip: '\u001b[90m',
};
const RESET = '\u001b[0m';
const BOLD = '\u001b[1m';

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/**
 * The human report: one line per check with its mark (✓ ! ✗ –), the saw / why / fix lines
 * under warnings and failures, the reason beside a skipped check, then the summary.
 *
 * @example
 * ```ts
 * process.stdout.write(formatReport(await checkResourceServer({ url }), { color: true }));
 * ```
 */
export function formatReport(
  result: CheckResourceServerResult,
  options: FormatReportOptions = {},
): string {
  const paint = (status: CheckStatus, text: string) =>
    options.color ? `${COLORS[status]}${text}${RESET}` : text;
  const width = Math.max(0, ...result.checks.map((check) => check.id.length));
  const lines = [
    `${options.color ? BOLD : ''}mcp-auth-doctor${options.color ? RESET : ''} ${result.url}${options.tokenNote ? ` (${options.tokenNote})` : ''}`,
    '',
  ];
  for (const check of result.checks) {
    const head = `${paint(check.status, MARKS[check.status])} ${check.id.padEnd(width)}  ${check.title}`;
    if (check.status === 'skip') {
      lines.push(`${head} ${paint('skip', `(skipped: ${check.saw})`)}`);
      if (check.fix) lines.push(`    fix: ${check.fix}`);
      continue;
    }
    lines.push(head);
    if (check.status === 'warn' || check.status === 'fail') {
      lines.push(`    saw: ${check.saw}`, `    why: ${check.why}`);
      if (check.fix) lines.push(`    fix: ${check.fix}`);
    }
  }
  const { passed, warnings, failed, skipped } = result.summary;
  const summary = [
    paint('pass', `${passed} passed`),
    paint(warnings ? 'warn' : 'pass', plural(warnings, 'warning', 'warnings')),
    paint(failed ? 'fail' : 'pass', `${failed} failed`),
    paint('skip', `${skipped} skipped`),
  ].join(', ');
  lines.push('', summary, '');
  return lines.join('\n');
}
