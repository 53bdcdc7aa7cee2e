import { CapacityReservation, DescribeCapacityReservationsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { GetCommandInvocationCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import { describeAnswer } from '../../cli/training/answer';
import { createHandler, SubmitResponse } from '../../lambda/submit';
import { CptConfig } from '../../lib/config/schema';
import { STOP_MARGIN_MINUTES, TERMINATION_LEAD_MINUTES } from '../../lib/training/capacity-block';
import { ENV } from '../../lib/training/contract';
import { trainingDefaults } from '../../lib/training/plan';
import { mockSdkClients } from '../support/sdk-mocks';
import {
  COMMAND_ID,
  configWith,
  decodeParameters,
  invocation,
  manifest,
  mockFunctionClients,
  objectBody,
  submitLine,
} from './support';

/**
 * On a Capacity Block (capacityType capacity-block), a submission describes the block with EC2 and sets the
 * request's stopBy before the block's end (lib/training/capacity-block.ts), or refuses a block that cannot run it.
 */

const BLOCK_ID = 'cr-0123456789abcdef0';
/**
 * The issue's Capacity Block example, on an FSx of 1,200 GiB at 250 MB/s per TiB: 292.97 MB/s, so that one
 * checkpoint save (98 GB) takes 334.5 s.
 */
const CAPACITY_BLOCK: Partial<CptConfig> = {
  capacityType: 'capacity-block',
  capacityReservationId: BLOCK_ID,
  instanceType: 'trn1.32xlarge',
  nodeCount: 16,
  fsxStorageGiB: 1200,
  fsxThroughputPerTiB: 250,
};
const NOW = '2026-03-01T12:00:00Z';
const END = '2026-03-08T11:30:00Z';
/** 11:30:00 less 30 min (EC2 begins terminating), 334.507 s (a save) and 10 min (our margin): 10:44:25.493. */
const STOP_BY = '2026-03-08T10:44:25Z';

const { ssm, s3 } = mockFunctionClients();
const { ec2 } = mockSdkClients({ ec2: EC2Client });

/** A clock at `iso`: sleeping moves it forward. */
function clockAt(iso: string) {
  let now = Date.parse(iso);
  return {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
  };
}

let handler: ReturnType<typeof createHandler>;

function onCapacityBlock(config: Partial<CptConfig> = CAPACITY_BLOCK) {
  process.env[ENV.defaults] = JSON.stringify(trainingDefaults(configWith(config)));
}

/** EC2 describes the configured block so (State as EC2 writes it: the SDK's type lists the known ones). */
function blockSays(block: { State?: string; StartDate?: Date; EndDate?: Date }) {
  const reservation: CapacityReservation = {
    CapacityReservationId: BLOCK_ID,
    ReservationType: 'capacity-block',
    ...block,
    State: block.State as CapacityReservation['State'],
  };
  ec2.on(DescribeCapacityReservationsCommand).resolves({ CapacityReservations: [reservation] });
}

beforeEach(() => {
  onCapacityBlock();
  handler = createHandler(clockAt(NOW));
  s3.on(GetObjectCommand).resolves(objectBody(JSON.stringify(manifest('r1'))));
  ssm.on(SendCommandCommand).resolves({ Command: { CommandId: COMMAND_ID } });
  ssm.on(GetCommandInvocationCommand).resolves(invocation(submitLine()));
});

function sentRequest() {
  const calls = ssm.commandCalls(SendCommandCommand);
  expect(calls).toHaveLength(1);
  return decodeParameters(calls[0].args[0].input.Parameters).request as Record<string, unknown>;
}

test('the figures of stopBy: EC2 terminates 30 minutes before the end; our margin is 10', () => {
  expect(TERMINATION_LEAD_MINUTES).toBe(30);
  expect(STOP_MARGIN_MINUTES).toBe(10);
});

describe('a block that can run the chain', () => {
  test.each([
    ['active', undefined],
    ['scheduled', new Date('2026-03-02T11:30:00Z')],
  ])(
    '%s: EC2 is asked about the configured block only, and stopBy is its end less a save and the margins',
    async (State, StartDate) => {
      blockSays({ State, EndDate: new Date(END), ...(StartDate && { StartDate }) });
      const response = (await handler({ action: 'submit', run: 'r1' })) as SubmitResponse;

      expect(ec2).toHaveReceivedCommandTimes(DescribeCapacityReservationsCommand, 1);
      expect(ec2.commandCalls(DescribeCapacityReservationsCommand)[0].args[0].input).toEqual({
        CapacityReservationIds: [BLOCK_ID],
      });
      expect(sentRequest().stopBy).toBe(STOP_BY);
      expect(response.request.stopBy).toBe(STOP_BY);
      expect(response.capacityBlock).toEqual({
        reservationId: BLOCK_ID,
        state: State,
        ...(StartDate && { startDate: '2026-03-02T11:30:00Z' }),
        endDate: END,
        stopBy: STOP_BY,
      });
      // A week is ample for 147 steps: no warning about the block.
      expect(response.warnings.join('\n')).not.toContain('Capacity Block');
    },
  );

  test('a resumed run gets a stopBy too (a new block), and the CLI shows it', async () => {
    blockSays({ State: 'active', EndDate: new Date(END) });
    const response = (await handler({ action: 'submit', run: 'r1', resume: true })) as SubmitResponse;
    expect(sentRequest()).toMatchObject({ resume: true, stopBy: STOP_BY });
    expect(describeAnswer('submit', response as never)).toContain(
      `  Stop by      ${STOP_BY}: Capacity Block ${BLOCK_ID} (active) ends ${END}; training stops at a completed checkpoint by then`,
    );
  });

  test('a block shorter than the run: submitted with its stopBy, and a warning to resume on a new block', async () => {
    // stopBy 2 h after now: prepare, compile and 147 steps on 16 nodes need about 4 h at the slower throughput.
    blockSays({ State: 'active', EndDate: new Date('2026-03-01T14:45:34.507Z') });
    const response = (await handler({ action: 'submit', run: 'r1' })) as SubmitResponse;
    expect(sentRequest().stopBy).toBe('2026-03-01T14:00:00Z');
    expect(response.warnings).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^the Capacity Block ${BLOCK_ID} leaves 120 min \\(2\\.0 h\\) from now, ${NOW} to stopBy 2026-03-01T14:00:00Z .*` +
            'and the prepare, compile and train stages need about .* at the slower throughput: training stops at its newest checkpoint by then; ' +
            'continue it on a new block with npm run submit -- --run r1 --resume$',
        ),
      ),
    );
  });
});

describe('a block that cannot: refused, naming capacityReservationId, before any command', () => {
  test.each(['expired', 'cancelled', 'pending', 'failed', 'payment-pending', 'payment-failed', 'unsupported'])(
    'state %s',
    async (State) => {
      blockSays({ State, EndDate: new Date(END) });
      await expect(handler({ action: 'submit', run: 'r1' })).rejects.toMatchObject({
        name: 'InvalidRequest',
        problems: [
          `capacityReservationId = "${BLOCK_ID}" (the deployed configuration's): the Capacity Block is "${State}" (EC2 DescribeCapacityReservations), not active or scheduled: nothing can run on it. ` +
            'Accepted: an active or scheduled block; buy a Capacity Block, set capacityReservationId to its ID and deploy',
        ],
      });
      expect(ssm.calls()).toHaveLength(0);
    },
  );

  test('no end date (an On-Demand Capacity Reservation)', async () => {
    blockSays({ State: 'active' });
    await expect(handler({ action: 'submit', run: 'r1' })).rejects.toThrow(
      /capacityReservationId = "cr-0123456789abcdef0" \(the deployed configuration's\): EC2 gives the reservation no end date/,
    );
    expect(ssm.calls()).toHaveLength(0);
  });

  test('a block that ends before the run could start: stopBy before now', async () => {
    // 45:34.507 before the end is the stopBy: one second less than that after now is too late.
    blockSays({ State: 'active', EndDate: new Date('2026-03-01T12:45:33.507Z') });
    await expect(handler({ action: 'submit', run: 'r1' })).rejects.toThrow(
      `capacityReservationId = "${BLOCK_ID}" (the deployed configuration's): training would have to stop by 2026-03-01T11:59:59Z ` +
        "(the block's end 2026-03-01T12:45:33Z less 30 min (EC2 begins terminating its instances then), one checkpoint save (5.6 min) and a 10 min margin), " +
        `before now, ${NOW}: the run could not even start.`,
    );
    expect(ssm.calls()).toHaveLength(0);
    // Two seconds later, stopBy is a second after now: submitted, with the warning that it cannot finish.
    blockSays({ State: 'active', EndDate: new Date('2026-03-01T12:45:35.507Z') });
    const response = (await handler({ action: 'submit', run: 'r1' })) as SubmitResponse;
    expect(sentRequest().stopBy).toBe('2026-03-01T12:00:01Z');
    expect(response.warnings).toContainEqual(
      expect.stringMatching(/^the Capacity Block cr-0123456789abcdef0 leaves 0 min/),
    );
  });

  test('a scheduled block whose stopBy comes before its start', async () => {
    blockSays({
      State: 'scheduled',
      StartDate: new Date('2026-03-02T11:00:00Z'),
      EndDate: new Date('2026-03-02T11:30:00Z'),
    });
    await expect(handler({ action: 'submit', run: 'r1' })).rejects.toThrow(
      /training would have to stop by 2026-03-02T10:44:25Z .* before its start, 2026-03-02T11:00:00Z: the run could not even start/,
    );
    expect(ssm.calls()).toHaveLength(0);
  });

  test('an ID EC2 does not know', async () => {
    ec2.on(DescribeCapacityReservationsCommand).rejects(
      Object.assign(new Error('The capacity reservation does not exist'), {
        name: 'InvalidCapacityReservationId.NotFound',
      }),
    );
    await expect(handler({ action: 'submit', run: 'r1' })).rejects.toMatchObject({
      name: 'InvalidRequest',
      problems: [
        `capacityReservationId = "${BLOCK_ID}" (the deployed configuration's): EC2 knows no such reservation in this account and Region. ` +
          "Accepted: the ID of a Capacity Block of this account and Region; set capacityReservationId to your block's ID and deploy",
      ],
    });
    ec2.on(DescribeCapacityReservationsCommand).resolves({ CapacityReservations: [] });
    await expect(handler({ action: 'submit', run: 'r1' })).rejects.toThrow(
      /EC2 knows no such reservation in this account and Region/,
    );
    expect(ssm.calls()).toHaveLength(0);
  });

  test('EC2 failing is a failure, not a refusal, and says which call', async () => {
    ec2
      .on(DescribeCapacityReservationsCommand)
      .rejects(Object.assign(new Error('You are not authorized'), { name: 'UnauthorizedOperation' }));
    const error = await handler({ action: 'submit', run: 'r1' }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('Error');
    expect((error as Error).message).toBe(
      `EC2 DescribeCapacityReservations of ${BLOCK_ID} failed (UnauthorizedOperation: You are not authorized); nothing was submitted.`,
    );
    expect(ssm.calls()).toHaveLength(0);
  });
});

describe('without a Capacity Block', () => {
  test.each([
    ['on-demand', {}],
    ['reservation', { capacityType: 'reservation', capacityReservationId: 'cr-0fedcba9876543210' }],
  ] as const)('%s: no EC2 call and no stopBy', async (_name, config) => {
    onCapacityBlock(config as Partial<CptConfig>);
    const response = (await handler({ action: 'submit', run: 'r1' })) as SubmitResponse;
    expect(ec2.calls()).toHaveLength(0);
    expect(sentRequest()).not.toHaveProperty('stopBy');
    expect(response).not.toHaveProperty('capacityBlock');
  });

  test('a deployment of capacity-block without the block’s ID is a configuration error', async () => {
    const defaults = { ...trainingDefaults(configWith(CAPACITY_BLOCK)) } as Record<string, unknown>;
    delete defaults.capacityReservationId;
    process.env[ENV.defaults] = JSON.stringify(defaults);
    await expect(handler({ action: 'submit', run: 'r1' })).rejects.toMatchObject({
      name: 'ConfigurationError',
      message: expect.stringContaining(
        'TRAINING_DEFAULTS: capacityReservationId is unset while capacityType is capacity-block',
      ),
    });
    expect(ec2.calls()).toHaveLength(0);
  });
});
