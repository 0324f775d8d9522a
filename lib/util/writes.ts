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
}
