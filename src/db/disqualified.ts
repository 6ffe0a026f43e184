import type { ExpressionBuilder } from 'kysely';
import type { Database } from './schema.js';

/** The condition that a submission's participant is not disqualified from its competition. */
export function notDisqualified(eb: ExpressionBuilder<Database, 'submissions'>) {
  return eb.not(
    eb.exists(
      eb
        .selectFrom('disqualifications')
        .select('disqualifications.user_id')
        .whereRef('disqualifications.competition_id', '=', 'submissions.competition_id')
        .whereRef('disqualifications.user_id', '=', 'submissions.user_id'),
    ),
  );
}
