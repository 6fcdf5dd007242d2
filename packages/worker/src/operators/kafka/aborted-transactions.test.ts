import { describe, expect, it } from 'vitest';
import { keepCommitted, type TransactionalRecord } from './aborted-transactions.ts';

const ABORT = Buffer.from([0, 0, 0, 0]);
const COMMIT = Buffer.from([0, 0, 0, 1]);

function record(offset: number, producerId: string, options: { control?: Buffer; txn?: boolean } = {}): TransactionalRecord & { id: string } {
  return {
    id: `${producerId}@${offset}`,
    offset: String(offset),
    key: options.control ?? Buffer.from('k'),
    isControlRecord: options.control !== undefined,
    batchContext: { producerId, inTransaction: options.txn ?? true },
  };
}

describe('keepCommitted', () => {
  it('drops the records of aborted transactions up to their ABORT marker, and control records', () => {
    const records = [record(0, 'A'), record(1, 'A'), record(2, 'A', { control: ABORT }), record(3, 'A'), record(4, 'A', { control: COMMIT })];
    expect(keepCommitted(records, [{ producerId: 'A', firstOffset: '0' }]).map((r) => r.offset)).toEqual(['3']);
  });

  it('handles aborted transactions listed out of offset order, and two starting before the first fetched record', () => {
    // B's transaction (from 10) aborted before A's (from 5): the broker lists B first.
    const records = [
      record(12, 'A'), record(13, 'B'), record(14, 'C', { txn: false }),
      record(15, 'B', { control: ABORT }), record(16, 'A', { control: ABORT }),
      record(17, 'A'), record(18, 'B'), record(19, 'A', { control: COMMIT }), record(20, 'B', { control: COMMIT }),
    ];
    const kept = keepCommitted(records, [{ producerId: 'B', firstOffset: '10' }, { producerId: 'A', firstOffset: '5' }]);
    expect(kept.map((r) => r.offset)).toEqual(['14', '17', '18']);
  });

  it('keeps everything but control records without aborted transactions', () => {
    const records = [record(0, 'A'), record(1, 'A', { control: COMMIT })];
    expect(keepCommitted(records, []).map((r) => r.offset)).toEqual(['0']);
  });
});
