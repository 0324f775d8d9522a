/**
 * Writes committed all or nothing (a unit of work). A repository prepares them, each with the condition it needs
 * and the error that condition failing means (an identifier taken, a flow used already); whoever composes a change
 * (a flow, a strategy, a hook) gathers them from several repositories and commits them once: one DynamoDB
 * transaction, or one synchronous step of the in-memory store. No repository reaches into another's items.
 *
 * Opaque: only the store that prepared a batch can read and commit it.
 */
declare const PREPARED: unique symbol;

export interface Writes {
  readonly [PREPARED]: true;
}

export interface Committer {
  /**
   * Commits every batch at once, or none of them: when a condition fails, nothing is written and the error of the
   * first item (in the order given) whose condition failed is thrown.
   */
  commit(...writes: Writes[]): Promise<void>;
  /**
   * Commits independent units (each a list of batches, as `commit` takes them), each all or nothing, in as few round
   * trips as the store can (DynamoDB: several units to a transaction). Answers, per unit in order, undefined when it
   * was written or the error `commit` of it alone would have thrown for a failed condition (or a value refused).
   * Units may clash (one identifier claimed by two): conditions decide as if committed one by one. Throws when the
   * store itself fails (what was written by then stays written, whole units only).
   */
  commitEach(units: Writes[][]): Promise<(Error | undefined)[]>;
}
