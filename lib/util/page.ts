/** Keyset pagination, as every storage interface lists things. */
export interface Page<T> {
  items: T[];
  /** Keyset token of the next page; undefined on the last page. */
  next?: string;
}

export interface PageRequest {
  pageSize: number;
  /** The token of a previous page's `next`. */
  after?: string;
}
