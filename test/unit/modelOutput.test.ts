import { InvalidModelOutput, parseModelAnswer, validateGeneratedApp } from '../../src/llm/modelOutput';

const index = { path: 'index.html', content: '<!doctype html><title>x</title>' };

describe('parseModelAnswer', () => {
  test('reads the JSON object, also inside a ```json fence or with chatter around it', () => {
    const json = JSON.stringify({ files: [index], notes: 'n' });
    expect(parseModelAnswer(json)).toEqual({ files: [index], notes: 'n' });
    expect(parseModelAnswer('```json\n' + json + '\n```')).toEqual({ files: [index], notes: 'n' });
    expect(parseModelAnswer('Here you go:\n' + json + '\nEnjoy!').files).toEqual([index]);
  });

  test('falls back to code blocks labelled with file names', () => {
    const text = [
      'Here is the app.',
      '```html index.html',
      '<!doctype html>',
      '```',
      '**README.md**',
      '```markdown',
      '# Title',
      '```',
      '```js title="app.js"',
      'console.log(1);',
      '```',
    ].join('\n');
    expect(parseModelAnswer(text).files).toEqual([
      { path: 'index.html', content: '<!doctype html>\n' },
      { path: 'README.md', content: '# Title\n' },
      { path: 'app.js', content: 'console.log(1);\n' },
    ]);
  });

  test('an unlabelled html block becomes index.html', () => {
    expect(parseModelAnswer('```html\n<p>hi</p>\n```').files).toEqual([
      { path: 'index.html', content: '<p>hi</p>\n' },
    ]);
  });

  test('prose alone is refused with a reason', () => {
    expect(() => parseModelAnswer('I cannot help with that.')).toThrow(InvalidModelOutput);
    expect(() => parseModelAnswer('{"answer": 42}')).toThrow(/shape/);
  });
});

describe('validateGeneratedApp', () => {
  test('keeps safe files, drops the ones code writes (LICENSE, .nojekyll), normalises ./ paths', () => {
    const app = validateGeneratedApp({
      files: [
        index,
        { path: './js/app.js', content: '1' },
        { path: 'LICENSE', content: 'GPL' },
        { path: '.nojekyll', content: '' },
      ],
      notes: '',
    });
    expect(app.files.map((f) => f.path)).toEqual(['index.html', 'js/app.js']);
  });

  test.each([
    [[{ path: 'app.js', content: '' }], /no index.html/],
    [[index, { path: '../escape.js', content: '' }], /not a safe relative file path/],
    [[index, { path: '.git/hooks/post-checkout', content: '' }], /not a safe relative file path/],
    [[index, { path: 'a.js', content: '' }, { path: 'a.js', content: '' }], /appears twice/],
    [[index, { path: 'cfg.js', content: 'const t = "ghp_' + 'a'.repeat(36) + '";' }], /GitHub token/],
    [[index, { path: 'cfg.js', content: 'key = "sk-proj-' + 'b'.repeat(40) + '"' }], /API key/],
    [[index, { path: 'big.txt', content: 'x'.repeat(1_000_001) }], /limit/],
  ])('refuses %#', (files, reason) => {
    expect(() => validateGeneratedApp({ files, notes: '' })).toThrow(reason);
  });

  test('refuses the service’s own credentials wherever they appear', () => {
    const app = { files: [{ path: 'index.html', content: 'token: my-own-service-token-123' }], notes: '' };
    expect(() => validateGeneratedApp(app, { knownSecrets: ['my-own-service-token-123'] })).toThrow(
      /credentials/,
    );
  });

  test('a revision may leave index.html as it is', () => {
    const app = { files: [{ path: 'README.md', content: '# x' }], notes: '' };
    expect(() => validateGeneratedApp(app)).toThrow(/index.html/);
    expect(validateGeneratedApp(app, { existingPaths: ['index.html'] }).files).toHaveLength(1);
  });
});
