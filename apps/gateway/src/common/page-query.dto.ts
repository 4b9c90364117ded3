import { Matches } from 'class-validator';
import { IsOptional, IsWholeNumber } from './validation/validators.js';

/**
 * The paging of a list: with a limit (or a cursor) the answer is `{ items, nextCursor }`, the
 * rows after the cursor, in the list's order; without, every match as an array (a list whose
 * matches are too many for one answer says so with a 400 and how to narrow or page).
 */
export class PageQueryDto {
  /** Page size, 1 to 500 (a list may answer fewer a page; nextCursor says there are more). */
  @IsOptional()
  @IsWholeNumber(1, 500)
  limit?: number;

  /** The nextCursor of the previous page (same filters). */
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,1000}$/, { message: 'cursor must be the nextCursor of the previous page' })
  cursor?: string;
}
