import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { metricCatalogue, metricNamespace, metricServiceName, type MetricDefinition } from '../functions/shared/metric-catalogue.ts';

type MetricOptions = { readonly period: cloudwatch.MetricOptions['period']; readonly statistic?: string; readonly label?: string };

/**
 * One of the service's own metrics (functions/shared/metric-catalogue.ts) as CloudWatch sees it:
 * the area's namespace, dimension service=workwell-<function>. A metric several functions emit
 * is their sum.
 */
export function serviceMetric(areaSlug: string, key: keyof typeof metricCatalogue, opts: MetricOptions): cloudwatch.IMetric {
  const def: MetricDefinition = metricCatalogue[key];
  return namedMetric(areaSlug, def.name, def.emittedBy, { ...opts, statistic: opts.statistic ?? (def.kind === 'gauge' ? 'Maximum' : 'Sum') });
}

export function namedMetric(
  areaSlug: string,
  name: string,
  emittedBy: readonly string[],
  opts: MetricOptions & { readonly statistic: string },
): cloudwatch.IMetric {
  const perFunction = emittedBy.map(
    (fn) =>
      new cloudwatch.Metric({
        namespace: metricNamespace(areaSlug),
        metricName: name,
        dimensionsMap: { service: metricServiceName(fn) },
        statistic: opts.statistic,
        period: opts.period,
        ...(opts.label ? { label: opts.label } : {}),
      }),
  );
  if (perFunction.length === 1) return perFunction[0]!;
  // Ids are unique per metric name: a graph may hold several such sums.
  const id = (i: number) => `${name.toLowerCase().replace(/[^a-z0-9]/g, '_')}_${i}`;
  return new cloudwatch.MathExpression({
    expression: perFunction.map((_, i) => `FILL(${id(i)}, 0)`).join(' + '),
    usingMetrics: Object.fromEntries(perFunction.map((m, i) => [id(i), m])),
    period: opts.period,
    label: opts.label ?? name,
  });
}
