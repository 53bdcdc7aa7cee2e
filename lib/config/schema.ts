import { z } from 'zod';
import { parallelismProblems } from '../run/rules';
import { CAPACITY_BLOCK_INSTANCE_TYPES, isReservedKind, RESERVED_CAPACITY_TYPES } from './capacity';
import { CONFIG_NAMES, settingsOfConfig } from '../run/settings';
import {
  CONFIG_KEYS,
  ConfigKey,
  FIELDS,
  LAST_TRAINING_NEURON_MINOR,
  MIN_PARALLELCLUSTER_MINOR,
  NARROWEST_SSH_PREFIX_BY_DEFAULT,
} from './fields';

type FieldSchemas = { [K in ConfigKey]: (typeof FIELDS)[K]['schema'] };

const fieldSchemas = Object.fromEntries(CONFIG_KEYS.map((key) => [key, FIELDS[key].schema])) as FieldSchemas;

/** The shape of a configuration, each key checked on its own. */
const shapeSchema = z.strictObject(fieldSchemas);

export type CptConfig = z.infer<typeof shapeSchema>;

/** A rule that involves more than one key, or a check a zod type cannot say clearly. */
interface CrossFieldRule {
  /** The key the error is reported on. */
  readonly key: ConfigKey;
  /** Returns why the configuration is refused, or undefined when it passes. */
  readonly check: (config: CptConfig) => string | undefined;
}

function minorVersion(version: string): number {
  return Number(version.split('.')[1]);
}

function cidrPrefix(cidr: string): number {
  return Number(cidr.split('/')[1]);
}

function cidrHasHostBits(cidr: string): boolean {
  const [address, prefix] = cidr.split('/');
  const value = address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
  const hostBits = 32 - Number(prefix);
  return value % 2 ** hostBits !== 0;
}

/**
 * The zone-ID prefix of a Region: us-east-1 → use1, ap-northeast-1 → apne1, us-gov-west-1 → usgw1.
 * Zone IDs start with it (use1-az6), so an ID from another Region can be refused before deployment.
 */
export function zoneIdPrefix(region: string): string {
  const parts = region.split('-');
  const number = parts.pop();
  const [country, ...words] = parts;
  const abbreviations: Record<string, string> = {
    gov: 'g',
    northeast: 'ne',
    northwest: 'nw',
    southeast: 'se',
    southwest: 'sw',
  };
  return country + words.map((w) => abbreviations[w] ?? w[0]).join('') + number;
}

export const CROSS_FIELD_RULES: readonly CrossFieldRule[] = [
  {
    key: 'parallelClusterVersion',
    check: (c) =>
      minorVersion(c.parallelClusterVersion) >= MIN_PARALLELCLUSTER_MINOR
        ? undefined
        : 'is older than 3.6.0, which introduced the CloudFormation custom resource',
  },
  {
    key: 'neuronSdkVersion',
    check: (c) =>
      minorVersion(c.neuronSdkVersion) <= LAST_TRAINING_NEURON_MINOR
        ? undefined
        : `is newer than 2.${LAST_TRAINING_NEURON_MINOR}: Neuron 2.29 ended support for NxD Core training and PyTorch/XLA training`,
  },
  {
    key: 'fsxStorageGiB',
    check: (c) =>
      c.fsxStorageGiB === 1200 || c.fsxStorageGiB % 2400 === 0
        ? undefined
        : 'is not a size FSx for Lustre PERSISTENT_2 offers',
  },
  {
    key: 'vpcCidr',
    check: (c) => {
      const prefix = cidrPrefix(c.vpcCidr);
      if (prefix < 16 || prefix > 20) return `has a /${prefix} prefix; the subnets need a VPC from /16 to /20`;
      return cidrHasHostBits(c.vpcCidr) ? 'has host bits set (write the network address)' : undefined;
    },
  },
  {
    key: 'sshAllowedCidr',
    check: (c) => {
      if (c.sshKeyName !== undefined && c.sshAllowedCidr === undefined) return 'is unset while sshKeyName is set';
      if (c.sshAllowedCidr === undefined) return undefined;
      if (c.sshKeyName === undefined) return 'is set while sshKeyName is unset';
      const prefix = cidrPrefix(c.sshAllowedCidr);
      if (prefix === 0) return 'opens SSH to the whole internet';
      if (prefix < NARROWEST_SSH_PREFIX_BY_DEFAULT && !c.sshAllowWideCidr) {
        return `opens SSH to ${(2 ** (32 - prefix)).toLocaleString('en-US')} addresses, more than a /${NARROWEST_SSH_PREFIX_BY_DEFAULT}; narrow it, or set sshAllowWideCidr to true if you mean it`;
      }
      return undefined;
    },
  },
  {
    key: 'capacityReservationId',
    check: (c) => {
      const reserved = isReservedKind(c.capacityType);
      if (reserved && c.capacityReservationId === undefined) {
        return `is unset while capacityType is ${c.capacityType}: the nodes are launched into a reservation by its ID (cr-…)`;
      }
      return !reserved && c.capacityReservationId !== undefined
        ? `is set while capacityType is ${c.capacityType}: set capacityType to ${RESERVED_CAPACITY_TYPES.join(' or ')}, or unset it`
        : undefined;
    },
  },
  {
    key: 'instanceType',
    check: (c) =>
      c.capacityType === 'capacity-block' && !CAPACITY_BLOCK_INSTANCE_TYPES.includes(c.instanceType)
        ? `is not offered as a Capacity Block (capacityType capacity-block): EC2 offers ${CAPACITY_BLOCK_INSTANCE_TYPES.join(', ')} (EC2 User Guide, "Capacity Blocks for ML")`
        : undefined,
  },
  {
    key: 'reservationPlacementGroup',
    check: (c) =>
      c.reservationPlacementGroup !== undefined && c.capacityType !== 'reservation'
        ? `is set while capacityType is ${c.capacityType}: only a reservation's queue takes a placement group of yours`
        : undefined,
  },
  {
    key: 'generalCorpusPrefix',
    check: (c) => {
      if (c.generalDataShare > 0 && c.generalCorpusPrefix === '') {
        return `is empty while generalDataShare is ${c.generalDataShare} (set generalDataShare to 0 for no mixing)`;
      }
      const [a, b] = [c.generalCorpusPrefix, c.domainCorpusPrefix];
      return a !== '' && (a.startsWith(b) || b.startsWith(a))
        ? `overlaps domainCorpusPrefix "${b}": one corpus would be read as part of the other`
        : undefined;
    },
  },
  {
    key: 'trainiumAz',
    check: (c) =>
      c.region === undefined || c.trainiumAz === 'auto' || c.trainiumAz.startsWith(`${zoneIdPrefix(c.region)}-`)
        ? undefined
        : `is not a zone of region ${c.region} (its zone IDs start with ${zoneIdPrefix(c.region)}-)`,
  },
];

export const configSchema = shapeSchema.superRefine((config, ctx) => {
  // The rules of the run's parallelism are the run's own (lib/run/rules.ts), in the configuration's key names.
  const run = parallelismProblems(settingsOfConfig(config), {
    names: CONFIG_NAMES,
    sequenceSplitBlames: 'sequenceLength',
  });
  for (const problem of run) {
    // A configuration's messages say what a key "is": "globalBatchSize = 1000: is not a multiple of 64 ...".
    const message = problem.why.startsWith('not ') ? `is ${problem.why}` : problem.why;
    ctx.addIssue({ code: 'custom', path: [CONFIG_NAMES[problem.key]], message });
  }
  for (const rule of CROSS_FIELD_RULES) {
    const message = rule.check(config);
    if (message !== undefined) ctx.addIssue({ code: 'custom', path: [rule.key], message });
  }
});
