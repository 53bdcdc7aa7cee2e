import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { CLUSTER_NAME_DIMENSION, METRICS_NAMESPACE, TRAINING_METRICS, TrainingMetricKey } from './metrics';

/**
 * One metric of the head-node agent's contract (lib/monitoring/metrics.ts), for the cluster `clusterName`. Without a
 * label, so that an alarm on it is a plain metric alarm; the dashboard labels it (`withLabel`).
 */
export function trainingMetric(
  key: TrainingMetricKey,
  clusterName: string,
  options: { readonly statistic: string; readonly period?: Duration },
): cloudwatch.Metric {
  const spec = TRAINING_METRICS[key];
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: spec.name,
    dimensionsMap: { [CLUSTER_NAME_DIMENSION]: clusterName },
    statistic: options.statistic,
    period: options.period ?? Duration.minutes(5),
  });
}

/** The metric with the label the contract gives it, for a graph. */
export function withLabel(metric: cloudwatch.Metric, key: TrainingMetricKey): cloudwatch.Metric {
  return metric.with({ label: TRAINING_METRICS[key].label });
}
