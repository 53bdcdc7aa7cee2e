import * as fs from 'fs';
import * as path from 'path';
import { ConfigError, DEFAULTS_CONTEXT_KEY, loadConfig } from '../../lib/config/load';
import { AGENT_SERVICE_NAME } from '../../lib/monitoring/metrics';
import { estimateRun } from '../../lib/plan/estimate';
import { deriveConfigRun, requestDerived } from '../../lib/run/derive';
import { formatPlan } from '../../lib/plan/format';
import { deriveStallThreshold, LAUNCH_ALLOWANCE_SECONDS, stallThreshold } from '../../lib/plan/stall-threshold';
import { LOGGING_INTERVAL_STEPS } from '../../lib/run/steps';
import { cdkJsonContext, defaultConfig, REPO_ROOT } from '../support/app';

const SEED = defaultConfig();
/** The FSx of the earlier defaults (1,200 GiB × 250 MB/s per TiB = 292.97 MB/s): the hand calculations below use it. */
const at1200x250 = (overrides: Parameters<typeof defaultConfig>[0] = {}) =>
  defaultConfig({ fsxStorageGiB: 1200, fsxThroughputPerTiB: 250, ...overrides });
const SLOW_FSX = at1200x250();

describe('the derived stall threshold', () => {
  test('of the seed run, worked out by hand: max(4.2 + 1.4, 5 + 1.4 + 4.2) + 1 + 1 = 12.6 minutes, so 13', () => {
    const d = deriveStallThreshold(SEED);
    // 10 steps × 2,048 sequences × 4,096 tokens ÷ (81 × 4,096 ÷ 16 = 20,736 tokens/s per node × 16 nodes) = 252.84 s.
    expect(d.tokensPerSecondPerNode).toBe(20_736);
    expect(d.loggingWindowSeconds).toBeCloseTo((10 * 2048 * 4096) / (20_736 * 16), 9);
    expect(d.loggingWindowSeconds).toBeCloseTo(252.84, 2);
    // 98e9 bytes ÷ (500 MB/s per TiB × 2,400 GiB ÷ 1,024 = 1,171.875 MB/s) = 83.63 s.
    expect(d.fsxBytesPerSecond).toBeCloseTo(500e6 * (2400 / 1024), 3);
    expect(d.savesPerWindow).toBe(1);
    expect(d.checkpointSaveSeconds).toBeCloseTo(98e9 / (500e6 * (2400 / 1024)), 9);
    expect(d.checkpointSaveSeconds).toBeCloseTo(83.63, 2);
    expect(d.checkpointLoadSeconds).toBeCloseTo(83.63, 2);
    expect(d.steadySeconds).toBeCloseTo(252.84 + 83.63, 2);
    expect(LAUNCH_ALLOWANCE_SECONDS).toBe(300);
    expect(d.startupSeconds).toBeCloseTo(300 + 83.63 + 252.84, 2);
    expect(d.agentIntervalSeconds).toBe(60);
    expect(d.alarmPeriodSeconds).toBe(60);
    expect(d.exactMinutes).toBeCloseTo((300 + 83.63 + 252.84 + 120) / 60, 3);
    expect(d.minutes).toBe(13);
  });

  test('at 1,200 GiB × 250 MB/s per TiB, worked out by hand: max(4.2 + 5.6, 5 + 5.6 + 4.2) + 1 + 1 = 16.8 minutes, so 17', () => {
    const d = deriveStallThreshold(SLOW_FSX);
    // 98e9 bytes ÷ (250 MB/s per TiB × 1,200 GiB ÷ 1,024 = 292.97 MB/s) = 334.51 s.
    expect(d.fsxBytesPerSecond).toBeCloseTo(250e6 * (1200 / 1024), 3);
    expect(d.checkpointSaveSeconds).toBeCloseTo(334.51, 2);
    expect(d.startupSeconds).toBeCloseTo(300 + 334.51 + 252.84, 2);
    expect(d.exactMinutes).toBeCloseTo((300 + 334.51 + 252.84 + 120) / 60, 3);
    expect(d.minutes).toBe(17);
  });

  test('is the threshold when stallAlarmMinutes is unset (the default)', () => {
    expect(SEED.stallAlarmMinutes).toBeUndefined();
    expect(stallThreshold(SEED)).toMatchObject({ minutes: 13, from: 'plan' });
  });

  test('after a (re)start, allows the launch, loading the newest checkpoint (one save) and one window', () => {
    const d = deriveStallThreshold(SEED);
    const firstLineMinutes = (LAUNCH_ALLOWANCE_SECONDS + d.checkpointLoadSeconds + d.loggingWindowSeconds) / 60;
    expect(d.minutes).toBeGreaterThanOrEqual(firstLineMinutes + 2);
    expect(d.startupSeconds).toBeGreaterThan(d.steadySeconds);
  });

  test('falls with faster FSx: more throughput per TiB, or more TiB', () => {
    const minutes = (overrides: Parameters<typeof defaultConfig>[0]) =>
      deriveStallThreshold(at1200x250(overrides)).minutes;
    // After a (re)start, 5 + load + 4.21 (window), + 2:
    expect(minutes({ fsxThroughputPerTiB: 125 })).toBe(23); // 5 + 11.15 + 4.21 + 2 = 22.36
    expect(minutes({ fsxThroughputPerTiB: 500 })).toBe(15); // 5 + 2.79 + 4.21 + 2 = 14.002: up to 15
    expect(minutes({ fsxThroughputPerTiB: 1000 })).toBe(13); // 5 + 1.39 + 4.21 + 2 = 12.6
    expect(minutes({ fsxStorageGiB: 2400 })).toBe(15); // twice the TiB: half the load
  });

  test('follows the window: half the nodes and half the batch, the same; half the nodes, longer; a measured throughput, its own', () => {
    expect(deriveStallThreshold(at1200x250({ nodeCount: 8, globalBatchSize: 1024 })).loggingWindowSeconds).toBeCloseTo(
      252.84,
      2,
    );
    expect(deriveStallThreshold(at1200x250({ nodeCount: 8 })).minutes).toBe(22); // 5 + 5.58 + 8.43 + 2 = 21.003
    expect(deriveStallThreshold(at1200x250({ measuredTokensPerSecondPerNode: 10_000 })).minutes).toBe(22); // 5 + 5.58 + 8.74 + 2
    expect(deriveStallThreshold(at1200x250({ measuredTokensPerSecondPerNode: 40_000 })).minutes).toBe(15); // 5 + 5.58 + 2.18 + 2
  });

  test('counts every save that fits between two step lines when checkpoints come more often than step lines', () => {
    const d = deriveStallThreshold(at1200x250({ checkpointEverySteps: 4 }));
    expect(d.savesPerWindow).toBe(3); // between the step lines of steps 10 and 20: the saves of steps 12, 16 and 20
    expect(d.checkpointSaveSeconds).toBeCloseTo(3 * 334.51, 1);
    // Then the steady state is the longer wait: 4.21 + 16.73 + 2 = 22.9.
    expect(d.steadySeconds).toBeGreaterThan(d.startupSeconds);
    expect(d.minutes).toBe(23);
  });
});

describe('stallAlarmMinutes', () => {
  test('set, it is the threshold, and the plan still shows what it would derive', () => {
    const t = stallThreshold(defaultConfig({ stallAlarmMinutes: 30 }));
    expect(t).toMatchObject({ minutes: 30, from: 'stallAlarmMinutes' });
    expect(t.derived.minutes).toBe(13);
  });

  test('is optional: cdk.json no longer sets it', () => {
    const defaults = cdkJsonContext()[DEFAULTS_CONTEXT_KEY] as Record<string, unknown>;
    expect(defaults).not.toHaveProperty('stallAlarmMinutes');
  });

  test.each([
    [5, 'stallAlarmMinutes = 5 (from cdk.json): Too small'],
    [2000, 'stallAlarmMinutes = 2000 (from cdk.json): Too big'],
    [12.5, 'stallAlarmMinutes = 12.5 (from cdk.json): Invalid input: expected int'],
  ])('%p is refused, naming the key, the value and what is accepted', (value, start) => {
    const defaults = cdkJsonContext()[DEFAULTS_CONTEXT_KEY] as Record<string, unknown>;
    let message = '';
    try {
      loadConfig({ [DEFAULTS_CONTEXT_KEY]: { ...defaults, stallAlarmMinutes: value } });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    expect(message).toContain(start);
    expect(message).toContain('Accepted: an integer from 10 to 1440 (a day), or unset to derive it from the plan');
  });

  test('-c stallAlarmMinutes= (empty) unsets it: back to the derived threshold', () => {
    const defaults = cdkJsonContext()[DEFAULTS_CONTEXT_KEY] as Record<string, unknown>;
    const config = loadConfig({
      [DEFAULTS_CONTEXT_KEY]: { ...defaults, stallAlarmMinutes: 30 },
      stallAlarmMinutes: '',
    });
    expect(config.stallAlarmMinutes).toBeUndefined();
    expect(stallThreshold(config).from).toBe('plan');
  });
});

describe('npm run plan', () => {
  test('prints the threshold and its derivation', () => {
    const text = formatPlan(estimateRun(SLOW_FSX)).replace(/\s+/g, ' ');
    expect(text).toContain(
      'stalled training: after 17 minutes without a new step line, derived by the plan (stallAlarmMinutes unset)',
    );
    expect(text).toContain(
      'the longer wait for a step line, after a (re)start 5.0 min launch (assumed) + 5.6 min loading a checkpoint + one window = 14.8 ' +
        '(steady state 4.2 min between two step lines (10 steps at 20,736 tokens/s per node) + 5.6 min for a checkpoint save (98 GB each at 293 MB/s of FSx) = 9.8), ' +
        '+ 2.0 min margin (an agent interval and an alarm period) = 16.8, rounded up to 17',
    );
    const set = formatPlan(estimateRun(at1200x250({ stallAlarmMinutes: 45 }))).replace(/\s+/g, ' ');
    expect(set).toContain(
      'stalled training: after 45 minutes without a new step line (stallAlarmMinutes); the plan would derive 17',
    );
  });
});

describe('the figures it rests on match the cluster side', () => {
  test("the logging window is the run's loggingInterval, which each request carries as --logging_interval", () => {
    // The cluster formats derived.loggingInterval of the request; the stall threshold's window is the same steps.
    const run = deriveConfigRun(SEED, 21_484_375);
    expect(requestDerived(run).loggingInterval).toBe(LOGGING_INTERVAL_STEPS);
    const d = deriveStallThreshold(SEED);
    expect(d.loggingWindowSeconds).toBeCloseTo(
      (run.loggingInterval * SEED.globalBatchSize * SEED.sequenceLength) / (d.tokensPerSecondPerNode * SEED.nodeCount),
      9,
    );
  });

  test("the heartbeat alarm names the agent's service as install-agent.sh installs it", () => {
    const script = fs.readFileSync(path.join(REPO_ROOT, 'cluster', 'monitoring', 'install-agent.sh'), 'utf8');
    expect(script).toContain(`readonly SERVICE=${AGENT_SERVICE_NAME}\n`);
  });
});
