import { timingSafeEqual } from 'node:crypto';

/** Whether two strings are equal, compared in constant time for strings of one length (secrets, their hashes). */
export const sameString = (a: string, b: string): boolean => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
