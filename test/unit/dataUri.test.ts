import { decodeDataUri } from '../../src/api/dataUri';

test.each([
  ['data:text/csv;base64,YSxiCg==', 'text/csv', 'a,b\n'],
  ['data:text/plain,hello%20world', 'text/plain', 'hello world'],
  ['data:,plain', 'text/plain', 'plain'],
  ['data:image/svg+xml;charset=utf-8;base64,PHN2Zy8+', 'image/svg+xml;charset=utf-8', '<svg/>'],
  ['data:application/json;base64,eyJhIjox\nfQ==', 'application/json', '{"a":1}'],
  ['data:text/plain;base64,aGk', 'text/plain', 'hi'],
])('%s decodes', (uri, type, text) => {
  const d = decodeDataUri(uri);
  expect(d).toEqual({ type, bytes: Buffer.from(text) });
});

test.each([
  ['https://example.com/a.csv', /must be a data: URI/],
  ['data:text/plain;base64', /without the ","/],
  ['data:text/plain;base64,***', /invalid base64/],
  ['data:text/plain;base64,a', /invalid base64/],
  ['data:text/plain,%E0%A4%A', /percent-encoding/],
])('%s is refused with a reason', (uri, reason) => {
  const d = decodeDataUri(uri);
  expect('error' in d && d.error).toMatch(reason);
});
