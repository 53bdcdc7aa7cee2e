import { describeSavedSteps, savedStepCount, savedSteps } from '../../lib/training/saved-steps';

describe('the steps a run saves', () => {
  test('steps a multiple of checkpointEvery: the multiples only, the last one being the final step', () => {
    expect(savedSteps(1500, 500)).toEqual([500, 1000, 1500]);
    expect(savedSteps(500, 500)).toEqual([500]);
  });

  test('steps not a multiple: the multiples, then the final step', () => {
    expect(savedSteps(1465, 500)).toEqual([500, 1000, 1465]);
    const seed = savedSteps(31_472, 500);
    expect(seed).toHaveLength(63);
    expect(seed.slice(-3)).toEqual([30_500, 31_000, 31_472]);
  });

  test('a run shorter than checkpointEvery saves exactly one checkpoint, the final one', () => {
    expect(savedSteps(22, 500)).toEqual([22]);
    expect(savedSteps(1, 2)).toEqual([1]);
  });

  test('the count agrees with the list', () => {
    for (const [steps, every] of [
      [31_472, 500],
      [1500, 500],
      [22, 500],
      [7, 2],
      [1, 1],
    ]) {
      expect(savedStepCount(steps, every)).toBe(savedSteps(steps, every).length);
    }
  });

  test('refuses what is not a run', () => {
    expect(() => savedSteps(0, 500)).toThrow('steps = 0');
    expect(() => savedSteps(10, 0)).toThrow('checkpointEvery = 0');
    expect(() => savedSteps(10.5, 5)).toThrow(RangeError);
  });
});

describe('in words', () => {
  test('many: the first two, the last two, how many, how many stay on FSx', () => {
    expect(describeSavedSteps(savedSteps(31_472, 500), 3)).toBe(
      '500, 1,000, …, 31,000 and 31,472: 63 checkpoints, the newest 3 kept on FSx',
    );
  });

  test('up to four: all of them', () => {
    expect(describeSavedSteps([500, 1000, 1465], 3)).toBe('500, 1,000 and 1,465: 3 checkpoints, all 3 kept on FSx');
    expect(describeSavedSteps([10, 20, 30, 32], 2)).toBe('10, 20, 30 and 32: 4 checkpoints, the newest 2 kept on FSx');
    expect(describeSavedSteps([10, 20], 1)).toBe('10 and 20: 2 checkpoints, the newest one kept on FSx');
  });

  test('one: the final one', () => {
    expect(describeSavedSteps([22], 3)).toBe('22: 1 checkpoint, the final one, kept on FSx');
  });
});
