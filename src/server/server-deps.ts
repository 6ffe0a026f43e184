import type { AppContext } from '../app/context.js';
import { CompetitionRolesRepo } from '../db/competition-roles-repo.js';
import { HostSubmissionsRepo } from '../db/host-submissions-repo.js';
import { LoginFailuresRepo } from '../db/login-failures-repo.js';
import { PhaseCarriesRepo } from '../db/phase-carries-repo.js';
import { QuotaRepo } from '../db/quota-repo.js';
import { TeamsRepo } from '../db/teams-repo.js';
import { WorkerTokensRepo } from '../db/worker-tokens-repo.js';
import { LiveLogs } from './live-logs.js';
import { LoginLimiter, type LoginLimits } from './login-limiter.js';

/** What the routes use: the application context plus the repositories only the API needs. */
export interface ServerDeps extends AppContext {
  teams: TeamsRepo;
  roles: CompetitionRolesRepo;
  quota: QuotaRepo;
  hostSubmissions: HostSubmissionsRepo;
  /** Carries of selected submissions into the next phase. */
  carries: PhaseCarriesRepo;
  loginLimiter: LoginLimiter;
  /** Tokens of outbound-only workers (the worker API). */
  workerTokens: WorkerTokensRepo;
  /** The log so far of the in-process worker's runs, for live logs. */
  liveLogs: LiveLogs;
}

export function serverDeps(ctx: AppContext, loginLimits?: LoginLimits): ServerDeps {
  return {
    ...ctx,
    teams: new TeamsRepo(ctx.db),
    roles: new CompetitionRolesRepo(ctx.db),
    quota: new QuotaRepo(ctx.db),
    hostSubmissions: new HostSubmissionsRepo(ctx.db, ctx.notifications.onRunEnded),
    carries: new PhaseCarriesRepo(ctx.db),
    workerTokens: new WorkerTokensRepo(ctx.db),
    loginLimiter: new LoginLimiter(new LoginFailuresRepo(ctx.db), loginLimits),
    liveLogs: new LiveLogs(ctx.worker, async (id) => (await ctx.submissions.get(id))?.status),
  };
}
