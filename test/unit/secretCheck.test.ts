import { checkSecret } from '../../src/api/secretCheck';

test('secrets are checked against every accepted one', () => {
  expect(checkSecret('b', ['a', 'b'])).toBe('accepted');
  expect(checkSecret('c', ['a', 'b'])).toBe('wrong');
  expect(checkSecret('a ', ['a'])).toBe('wrong');
  expect(checkSecret(undefined, ['a'])).toBe('missing');
  expect(checkSecret('', ['a'])).toBe('missing');
  expect(checkSecret(42, ['a'])).toBe('not_a_string');
});

test('with no API_SECRETS configured any non-empty secret is accepted (local development)', () => {
  expect(checkSecret('anything', [])).toBe('accepted');
  expect(checkSecret(undefined, [])).toBe('missing');
});
