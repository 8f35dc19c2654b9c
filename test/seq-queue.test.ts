import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeqQueue } from '../tui/seq-queue.js';

function contents(q: SeqQueue): number[] {
  return Array.from({ length: q.length }, (_, i) => q.at(i)!);
}

test('reads pushed seqs by index from the front, and nothing past either end', () => {
  const q = new SeqQueue(4);
  q.push(3);
  q.push(7);
  q.push(9);
  assert.deepEqual(contents(q), [3, 7, 9]);
  assert.equal(q.at(0), 3);
  assert.equal(q.at(-1), undefined);
  assert.equal(q.at(3), undefined);
});

test('keeps order across the end of the ring as the front is dropped and the back pushed', () => {
  const q = new SeqQueue(3);
  for (let seq = 1; seq <= 3; seq++) q.push(seq);
  for (let seq = 4; seq <= 10; seq++) {
    q.shift();
    q.push(seq);
    assert.deepEqual(contents(q), [seq - 2, seq - 1, seq]);
  }
  assert.equal(q.at(0), 8);
});

test('grows when pushed past its capacity, keeping every seq in order', () => {
  const q = new SeqQueue(2);
  q.push(1);
  q.push(2);
  q.shift(); // the front is now mid-ring
  for (let seq = 3; seq <= 9; seq++) q.push(seq);
  assert.deepEqual(contents(q), [2, 3, 4, 5, 6, 7, 8, 9]);
});

test('lowerBound finds the first seq at or above a value, after wrapping', () => {
  const q = new SeqQueue(4);
  for (const seq of [10, 20, 30, 40]) q.push(seq);
  q.shift();
  q.shift();
  q.push(50);
  q.push(60); // ring now holds 50 60 30 40 from index 0: the front is at index 2
  assert.deepEqual(contents(q), [30, 40, 50, 60]);
  assert.equal(q.lowerBound(5), 0);
  assert.equal(q.lowerBound(30), 0);
  assert.equal(q.lowerBound(31), 1);
  assert.equal(q.lowerBound(50), 2);
  assert.equal(q.lowerBound(60), 3);
  assert.equal(q.lowerBound(61), 4);
});

test('shift on an empty queue and clear leave it empty and usable', () => {
  const q = new SeqQueue(2);
  q.shift();
  assert.equal(q.length, 0);
  assert.equal(q.at(0), undefined);
  q.push(5);
  q.push(6);
  q.clear();
  assert.equal(q.length, 0);
  q.push(7);
  assert.deepEqual(contents(q), [7]);
});

test('insert puts a seq in its place and remove takes it out, across the end of the ring, growing when full', () => {
  const q = new SeqQueue(4);
  for (const seq of [2, 4, 6, 8]) q.push(seq);
  q.shift();
  q.shift();
  q.push(10);
  q.push(12); // the ring now wraps: 6 8 10 12
  assert.equal(q.insert(9), true);
  assert.deepEqual(contents(q), [6, 8, 9, 10, 12], 'grown, in order');
  assert.equal(q.insert(9), false, 'already there');
  assert.equal(q.insert(1), true);
  assert.equal(q.insert(13), true);
  assert.deepEqual(contents(q), [1, 6, 8, 9, 10, 12, 13]);
  assert.equal(q.remove(7), false, 'not there');
  assert.equal(q.remove(1), true);
  assert.equal(q.remove(10), true);
  assert.equal(q.remove(13), true);
  assert.deepEqual(contents(q), [6, 8, 9, 12]);
  assert.equal(q.lowerBound(9), 2);
  q.push(20);
  assert.deepEqual(contents(q), [6, 8, 9, 12, 20]);
});
