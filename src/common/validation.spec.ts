import { UsersQueryDto } from '../users/dto/users-query.dto.js';
import { UserInputDto } from '../users/dto/user.dto.js';
import { DomainError } from './errors.js';
import { validationPipe } from './validation.js';

const QUERY = { type: 'query', metatype: UsersQueryDto, data: '' } as const;

describe('the global validation pipe', () => {
  it('keeps a query it validated, frozen, and gives it again for the same query', async () => {
    const pipe = validationPipe();
    const first = (await pipe.transform({ limit: '50', filter: { name: 'Ada' } }, QUERY)) as UsersQueryDto;
    expect(first).toBeInstanceOf(UsersQueryDto);
    expect(first).toMatchObject({ limit: 50, filter: { name: 'Ada' } });
    expect(await pipe.transform({ limit: '50', filter: { name: 'Ada' } }, QUERY)).toBe(first);
    expect(Object.isFrozen(first) && Object.isFrozen(first.filter)).toBe(true);
    expect(() => {
      (first as { limit?: number }).limit = 1;
    }).toThrow(TypeError);
    const other = (await pipe.transform({ limit: '20' }, QUERY)) as UsersQueryDto;
    expect(other).not.toBe(first);
    expect(other.limit).toBe(20);
  });

  it('refuses a bad query every time it comes', async () => {
    const pipe = validationPipe();
    for (let i = 0; i < 3; i++) {
      await expect(pipe.transform({ limit: 'abc' }, QUERY)).rejects.toBeInstanceOf(DomainError);
      await expect(pipe.transform({ limit: '10', unknown: 'x' }, QUERY)).rejects.toBeInstanceOf(DomainError);
    }
  });

  it('keeps no more than a bounded number of queries, and never a body', async () => {
    const pipe = validationPipe();
    const first = await pipe.transform({ offset: '0' }, QUERY);
    for (let i = 1; i <= 100; i++) await pipe.transform({ offset: String(i) }, QUERY);
    expect(await pipe.transform({ offset: '0' }, QUERY)).not.toBe(first);
    const body = { email: 'ada@example.com' };
    const a = await pipe.transform(body, { type: 'body', metatype: UserInputDto, data: '' });
    const b = await pipe.transform(body, { type: 'body', metatype: UserInputDto, data: '' });
    expect(a).not.toBe(b);
    expect(Object.isFrozen(a)).toBe(false);
  });
});
