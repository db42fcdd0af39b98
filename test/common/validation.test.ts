import * as z from 'zod';
import { parseOrThrow } from '../../contract/validation';

describe('parseOrThrow', () => {
  it('shows a non-finite number as itself, not as the "null" JSON would print', () => {
    const schema = z.object({ price: z.number().finite(), ratio: z.number().finite() });

    expect(() => parseOrThrow(schema, { price: Infinity, ratio: Number.NaN }, 'order')).toThrow(
      /price: .* \(got Infinity\); ratio: .* \(got NaN\)/,
    );
  });
});
