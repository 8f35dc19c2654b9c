import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse } from 'graphql';
import { operationHeads, requestedOperation } from '../core/app/graphql-document.js';

test('the first operation\'s type and name, after fragments, comments, strings and directives with object values', () => {
  const doc = `
    # query Commented { a }
    fragment F on User @include(if: true) { name friends { name } }
    fragment G on User { nick(format: "{ \\" } mutation Fake") }
    """ block with { and "quotes" and \\""" inside """
    subscription OnMessage($room: ID = "lobby", $opts: In = { deep: { x: 1 } }) @live(opts: { a: "}" }) {
      messages(room: $room) { ...F }
    }
    query Second { me { id } }
  `;
  assert.deepEqual(operationHeads(doc), [{ operation: 'subscription', name: 'OnMessage' }, { operation: 'query', name: 'Second' }]);
});

test('a selection set alone is an anonymous query; an operation keyword without a name has none', () => {
  assert.deepEqual(operationHeads('{ hello }'), [{ operation: 'query' }]);
  assert.deepEqual(operationHeads('\uFEFF,, mutation{ add }'), [{ operation: 'mutation' }]);
  assert.deepEqual(operationHeads('subscription ($a: Int) { t }'), [{ operation: 'subscription' }]);
  assert.deepEqual(operationHeads('query_like { a }'), [], 'a name that only starts like a keyword is no operation');
});

test('reading stops at what is neither an operation nor a fragment, keeping what came before', () => {
  assert.deepEqual(operationHeads('query A { a } type T { f: Int } query B { b }'), [{ operation: 'query', name: 'A' }]);
  assert.deepEqual(operationHeads('query A { a '), [{ operation: 'query', name: 'A' }]);
  assert.deepEqual(operationHeads('fragment F on T { a } } query B { b }'), []);
  assert.deepEqual(operationHeads(''), []);
  assert.deepEqual(operationHeads('"unterminated'), []);
});

test('operationName picks its operation; an unknown one keeps its name and no type', () => {
  const doc = 'query A { a } mutation B { b }';
  assert.deepEqual(requestedOperation(doc), { operation: 'query', name: 'A' });
  assert.deepEqual(requestedOperation(doc, 'B'), { operation: 'mutation', name: 'B' });
  assert.deepEqual(requestedOperation(doc, 'C'), { name: 'C' });
  assert.deepEqual(requestedOperation('not graphql'), {});
});

test('on documents graphql-js parses, the operations read are the ones it finds', () => {
  const name = fc.stringMatching(/^[_A-Za-z][_0-9A-Za-z]{0,6}$/).filter((n) => !['query', 'mutation', 'subscription', 'fragment', 'on', 'true', 'false', 'null'].includes(n));
  const str = fc.string({ maxLength: 6 }).map((s) => JSON.stringify(s));
  const selection = fc.tuple(name, str).map(([f, s]) => `{ ${f}(x: ${s}, o: { k: ${s} }) # c } {\n { y } }`);
  const op = fc.tuple(fc.constantFrom('query', 'mutation', 'subscription', ''), fc.option(name), selection)
    .map(([kind, n, sel]) => (kind === '' ? sel : `"""doc { """ ${kind} ${n ?? ''} @d(v: { a: [1, "}"] }) ${sel}`));
  const fragment = fc.tuple(name, selection).map(([n, sel]) => `fragment ${n} on T ${sel}`);
  fc.assert(
    fc.property(fc.array(fc.oneof(op, fragment), { minLength: 1, maxLength: 5 }), (defs) => {
      const doc = defs.join('\n');
      const expected = parse(doc).definitions.flatMap((d) => (d.kind === 'OperationDefinition' ? [d.name ? { operation: d.operation, name: d.name.value } : { operation: d.operation }] : []));
      assert.deepEqual(operationHeads(doc), expected);
    }),
    { numRuns: 200 },
  );
});

test('arbitrary text never throws', () => {
  fc.assert(fc.property(fc.string({ unit: fc.constantFrom('{', '}', '(', ')', '"', '\\', '#', '\n', ' ', 'q', 'query', 'fragment', 'on', 'x') }), (s) => {
    for (const h of operationHeads(s)) assert.ok(['query', 'mutation', 'subscription'].includes(h.operation));
  }), { numRuns: 300 });
});
