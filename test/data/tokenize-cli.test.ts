import { runCli } from '../support/cli';

/** The command as npm runs it: exit codes and one clear message, without a stack trace. Nothing here reaches AWS. */
const tokenizeCli = (...args: string[]) => runCli('cli/tokenize/main.ts', args);

test('--help prints the options and exits 0', () => {
  const { status, stdout, stderr } = tokenizeCli('--help');
  expect(status).toBe(0);
  expect(stdout).toMatch(/^Usage: npm run tokenize -- --run <name> \[options\]\n/);
  expect(stderr).toBe('');
});

test('bad flags exit 2 with the problems only, no stack trace', () => {
  const { status, stdout, stderr } = tokenizeCli('--run', 'Bad_Name', '--seed', 'x');
  expect(status).toBe(2);
  expect(stdout).toBe('');
  expect(stderr).toBe(
    [
      'Invalid arguments to npm run tokenize:',
      '  - --run = "Bad_Name": not a valid run name. Accepted: 1 to 63 lowercase letters, digits and hyphens, starting with a letter or digit.',
      '  - --seed = "x": not accepted. Accepted: an integer from 0 to 2147483647',
      'See: npm run tokenize -- --help',
      '',
    ].join('\n'),
  );
});

test('a bad configuration from -c exits 2 with the configuration error', () => {
  const { status, stderr } = tokenizeCli('--run', 'r1', '-c', 'projectName=Bad');
  expect(status).toBe(2);
  expect(stderr).toMatch(/^Invalid trainium-cpt configuration:\n {2}- projectName = "Bad" \(from -c\)/);
  expect(stderr).not.toMatch(/\n\s+at /);
});
