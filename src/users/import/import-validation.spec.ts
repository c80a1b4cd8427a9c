import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { validationPipe } from '../../common/validation.js';
import { UserInputDto } from '../dto/user.dto.js';
import { quickUserInput } from './import-validation.js';

const pipe = validationPipe();

/** What the ValidationPipe makes of a record: the DTO, or null when it refuses it. */
async function piped(record: Record<string, unknown>): Promise<UserInputDto | null> {
  try {
    return (await pipe.transform(structuredClone(record), { type: 'body', metatype: UserInputDto })) as UserInputDto;
  } catch {
    return null;
  }
}

async function expectSameAsPipe(record: Record<string, unknown>): Promise<void> {
  const quick = quickUserInput(structuredClone(record));
  if (quick === null) return;
  const slow = await piped(record);
  expect(slow).not.toBeNull();
  expect(quick).toBeInstanceOf(UserInputDto);
  expect({ ...quick }).toEqual({ ...slow });
}

const UUID = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';

describe('quickUserInput', () => {
  it('takes an import record of plain fields as the pipe does', async () => {
    const record = {
      email: 'Ann.Smith@Example.com',
      externalId: 'legacy-1',
      firstName: 'Ann',
      lastName: null,
      name: 'Ann S.',
      username: 'ann',
      clientTags: ['a', 'b', 'a'],
      groups: [UUID.toUpperCase()],
      active: false,
      admin: true,
    };
    const quick = quickUserInput(record);
    expect(quick).not.toBeNull();
    expect(quick!.groups).toEqual([UUID]);
    await expectSameAsPipe(record);
  });

  it('leaves to the pipe every record it does not know to be valid', () => {
    const refused: Record<string, unknown>[] = [
      { email: 'not an address' },
      { email: null },
      { email: 'a@b.example', phone: '+18043257762' },
      { email: 'a@b.example', enterprise: { department: 'x' } },
      { email: 'a@b.example', password: 'secret-secret' },
      { email: 'a@b.example', unknownField: 1 },
      { email: 'a@b.example', externalId: '' },
      { email: 'a@b.example', name: '' },
      { email: 'a@b.example', name: null },
      { email: 'a@b.example', username: 'has space' },
      { email: 'a@b.example', firstName: 'x'.repeat(101) },
      { email: 'a@b.example', clientTags: [''] },
      { email: 'a@b.example', clientTags: 'tag' },
      { email: 'a@b.example', clientTags: Array.from({ length: 101 }, (_, i) => `t${i}`) },
      { email: 'a@b.example', groups: ['not-a-uuid'] },
      { email: 'a@b.example', active: 'true' },
      { email: 'a@b.example', admin: null },
    ];
    for (const record of refused) expect(quickUserInput(record)).toBeNull();
  });

  it('accepts only what the pipe accepts, and makes the same DTO of it', async () => {
    // Mostly valid values, so that many records take the quick path, with invalid ones mixed in.
    const mostly = <T>(valid: fc.Arbitrary<T>, ...invalid: fc.Arbitrary<unknown>[]) =>
      fc.oneof({ arbitrary: valid, weight: 12 }, ...invalid.map((arbitrary) => ({ arbitrary, weight: 1 })));
    const textOrNull = (max: number) => mostly(fc.oneof(fc.string({ maxLength: max - 5 }), fc.constant(null)), fc.string({ minLength: max - 4, maxLength: max + 3 }), fc.integer());
    const arbitraryRecord = fc.record(
      {
        email: mostly(fc.emailAddress(), fc.string(), fc.constant(null), fc.constant('A@Example.com'), fc.constant('a@b')),
        externalId: mostly(fc.oneof(fc.string({ minLength: 1, maxLength: 250 }), fc.constant(null)), fc.constant(''), fc.string({ minLength: 254, maxLength: 258 })),
        name: mostly(fc.string({ minLength: 1, maxLength: 195 }), fc.constant(''), fc.constant(null), fc.string({ minLength: 198, maxLength: 203 })),
        firstName: textOrNull(100),
        lastName: textOrNull(100),
        username: mostly(fc.oneof(fc.stringMatching(/^\S{1,100}$/), fc.constant(null)), fc.string({ maxLength: 105 }), fc.constant('')),
        clientTags: mostly(fc.array(fc.string({ minLength: 1, maxLength: 64 }), { maxLength: 5 }), fc.array(fc.string({ maxLength: 66 }), { maxLength: 102 }), fc.string()),
        groups: mostly(fc.array(fc.uuid(), { maxLength: 3 }), fc.array(fc.string(), { minLength: 1, maxLength: 2 }), fc.constant([UUID.toUpperCase()])),
        active: mostly(fc.boolean(), fc.constant('true'), fc.constant(null)),
        tfa: mostly(fc.boolean(), fc.integer()),
        phone: fc.oneof({ arbitrary: fc.constant(undefined), weight: 10 }, { arbitrary: fc.constant('+18043257762'), weight: 1 }),
        other: fc.oneof({ arbitrary: fc.constant(undefined), weight: 10 }, { arbitrary: fc.string(), weight: 1 }),
      },
      { requiredKeys: ['phone', 'other'] },
    );
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(arbitraryRecord, async (generated) => {
        const record = Object.fromEntries(Object.entries(generated).filter(([, value]) => value !== undefined));
        if (quickUserInput(structuredClone(record)) !== null) accepted += 1;
        await expectSameAsPipe(record);
      }),
      { numRuns: 1500 },
    );
    expect(accepted).toBeGreaterThan(100);
  });
});
