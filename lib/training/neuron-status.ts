import { NEURON_ENVIRONMENT_SERVICE, NeuronEnvironmentState } from './contract';

/**
 * The Neuron environment's state and a held job, in words, for `npm run submit` and `npm run status`. The environment
 * is built on the head node after the cluster is created (cluster/node-setup.sh head, as a systemd service); a chain
 * submitted before it is ready waits for it with its first job held.
 */

/** 2026-01-01T12:03:00Z → 2026-01-01 12:03 UTC; anything else as it is. */
export function utcMinute(time: string): string {
  const match = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d)(:\d\d(\.\d+)?)?Z$/.exec(time);
  return match ? `${match[1]} ${match[2]} UTC` : time;
}

/** `neuron-2.28.1` → `the Neuron 2.28.1 environment`. */
export function describeWaitsFor(waitsFor: string): string {
  const release = /^neuron-(.+)$/.exec(waitsFor)?.[1];
  return release ? `the Neuron ${release} environment` : waitsFor;
}

/** One line: "Neuron environment 2.28.1: building, step '…' since 2026-01-01 12:03 UTC (…)". */
export function describeNeuronEnvironment(env: NeuronEnvironmentState): string {
  const name = `Neuron environment ${env.release}`;
  const service = env.service ?? NEURON_ENVIRONMENT_SERVICE;
  const log = env.log ? `log ${env.log} on the head node` : undefined;
  const since = env.since ? ` since ${utcMinute(env.since)}` : '';
  switch (env.state) {
    case 'ready':
      return `${name}: ready${since}.`;
    case 'building': {
      const details = [env.started ? `build started ${utcMinute(env.started)}` : undefined, log]
        .filter(Boolean)
        .join('; ');
      return `${name}: building, step '${env.step ?? 'unknown'}'${since}${details ? ` (${details})` : ''}.`;
    }
    case 'not-started':
      return (
        `${name}: not started yet (no build recorded): the cluster stack's SSM association starts it; ` +
        `on the head node: systemctl status ${service}.`
      );
    case 'failed': {
      // The script's own words ("step '…' failed (exit N)", "stopped by SIGTERM during step '…'") when it left them.
      const message = env.message?.replace(/^node-setup: /, '');
      const composed =
        env.step && env.exitCode !== undefined ? `step '${env.step}' failed (exit ${env.exitCode})` : undefined;
      const what = `${message ?? composed ?? 'no details'}${env.step && env.since ? ` at ${utcMinute(env.since)}` : ''}`;
      return `${name}: FAILED, ${what}${log ? `; ${log}` : ''}. Build it again on the head node: sudo systemctl start ${service}.`;
    }
  }
}
