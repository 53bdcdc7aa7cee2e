/**
 * The `derived` object of a request, for tools outside the app that build requests of their own shape (the round
 * trip against neuronx-distributed, scripts/nxd-roundtrip.sh): they ask lib/run/derive.ts rather than recompute it.
 *
 *   ts-node --transpile-only cli/request-schema/derived.ts '<JSON of the request's settings>'
 *
 * The JSON has the request's names (nodes, tensorParallel, sequenceLength, globalBatch, microBatch, steps,
 * warmupSteps, learningRate, minLearningRate, checkpointEvery, checkpointsKept, compileSteps); prints `derived`.
 */
import { loadProjectConfig } from '../../lib/config/load';
import { deriveRun, requestDerived } from '../../lib/run/derive';
import { RunSettings } from '../../lib/run/settings';

type RequestSettings = Omit<RunSettings, 'epochs'> & { readonly steps: number; readonly compileSteps: number };

export function derivedFor(settings: RequestSettings) {
  const config = loadProjectConfig();
  return requestDerived(
    deriveRun({
      settings: { ...settings, epochs: 1 },
      rows: settings.steps * settings.globalBatch,
      compileSteps: settings.compileSteps,
      fsxThroughputPerTiB: config.fsxThroughputPerTiB,
      fsxStorageGiB: config.fsxStorageGiB,
      evalSets: 1,
    }),
  );
}

if (require.main === module) {
  console.log(JSON.stringify(derivedFor(JSON.parse(process.argv[2]))));
}
