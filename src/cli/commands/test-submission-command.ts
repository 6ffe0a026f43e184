import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import { loadConfig } from '../../app/config.js';
import { chooseLocalTestExecutor, ExecutorUnavailableError, type LocalTestExecutorChoice, localTestExecutorChoices } from '../../app/local-test-executor.js';
import { runLocalTest } from '../../app/local-test.js';
import { ArchiveError } from '../../archive/safe-unzip.js';
import { RuntimeStore } from '../../runtimes/runtime-store.js';
import { outputOf } from '../cli-output.js';
import { resolveKit } from '../competition-kit.js';
import { CliError, exitCodes } from '../exit-codes.js';
import { describeFailure, formatScores } from '../submission-summary.js';

/** `holdout test-submission ZIP --competition SLUG|BUNDLE`: the platform's smoke run, on this machine. */
export function testSubmissionCommand(): Command {
  return new Command('test-submission')
    .description("run a submission.zip on the competition's smoke sample, locally, as the platform would, and score it")
    .argument('<zip>', 'the submission zip (see "holdout pack")')
    .requiredOption('-c, --competition <slug-or-bundle>', 'a competition slug on the server, or a bundle folder')
    .option('--phase <name>', "run as a submission to this phase would (its runtime, limits, data); default: the phase open now")
    .addOption(
      new Option('--executor <kind>', 'sandbox: the platform\'s own (root, bubblewrap, cgroups); docker: a container of the competition\'s image (Docker or podman, no root; DOCKER_HOST); local: rlimits only, approximate; auto: the first that works')
        .choices([...localTestExecutorChoices])
        .default('auto'),
    )
    .addHelpText(
      'after',
      '\nThe run gets the same runtime, limits, layout and HOLDOUT_SMOKE=1 as a smoke submission on the\n' +
        'platform; its log is shown live (stderr) and its predictions validated and scored with the\n' +
        'platform\'s code. Without root (or cgroups) it uses Docker or podman where one answers\n' +
        '(HOLDOUT_DOCKER_HOST, DOCKER_HOST, or the usual sockets), else the local runner, and lists\n' +
        'what is then only approximate. Built runtimes are looked up in HOLDOUT_RUNTIMES_DIR.',
    )
    .action(async (zip: string, opts: { competition: string; phase?: string; executor: LocalTestExecutorChoice }, cmd: Command) => {
      const out = outputOf(cmd);
      const info = await stat(zip).catch(() => undefined);
      if (!info?.isFile()) throw new CliError(`${zip} does not exist or is not a file; create it with "holdout pack"`, exitCodes.invalidInput);
      const { kit, bundleDir, source } = await resolveKit(opts.competition, cmd, out, opts.phase);
      if (kit.drivenByHarness) {
        throw new CliError(
          `the runs of "${kit.title}" are driven by the host's harness, which is not published, so a local run would not be the platform's; submit a smoke run instead ("holdout submit ${path.basename(zip)} --competition ${kit.slug} --smoke"), whose log you can read`,
          exitCodes.invalidInput,
          'driven_by_harness',
        );
      }

      const runtimesDir = loadConfig(process.env, { workers: 0 }).runtimesDir;
      let chosen;
      try {
        chosen = await chooseLocalTestExecutor(opts.executor, kit, runtimesDir);
      } catch (error) {
        if (error instanceof ExecutorUnavailableError) throw new CliError(`${error.message}; or use --executor local`, exitCodes.failure, 'executor_unavailable');
        throw error;
      }
      if (chosen.fallbackReason) out.note(`note: not using the sandbox (${chosen.fallbackReason})`);
      const localBuild = kit.runtime === 'host' ? undefined : await new RuntimeStore(runtimesDir).get(kit.runtime);
      if (chosen.executor.name === 'sandbox' && kit.runtimeDigest && localBuild && localBuild.digest !== kit.runtimeDigest) {
        out.note(`note: runtime ${kit.runtime} here (${localBuild.digest}) is another build than the competition's (${kit.runtimeDigest}); package versions may differ`);
      }
      if (chosen.approximations.length > 0) {
        out.note('note: the local runner enforces these only approximately; the platform enforces them exactly:');
        for (const line of chosen.approximations) out.note(`  - ${line}`);
      }
      const ofPhase = kit.phase === undefined ? '' : `, phase ${kit.phase}`;
      out.note(`running ${path.basename(zip)} on the smoke sample of "${kit.title}" (${source}${ofPhase}), runtime ${kit.runtime}${kit.runtimeDigest ? ` ${kit.runtimeDigest}` : ''}, executor ${chosen.executor.name}`);
      out.note('--- log ---');

      let result;
      try {
        result = await runLocalTest({ kit, bundleDir, zipFile: zip, executor: chosen.executor, onLog: (chunk) => process.stderr.write(chunk) });
      } catch (error) {
        if (error instanceof ArchiveError) throw new CliError(`${zip}: ${error.message}`, exitCodes.invalidInput, 'invalid_archive');
        throw error;
      }
      out.note('--- end of log ---');
      const primary = kit.scoring.primary.metric;
      const json = {
        competition: kit.slug,
        phase: kit.phase ?? null,
        runtime: { name: kit.runtime, digest: kit.runtimeDigest ?? null },
        executor: chosen.executor.name,
        approximations: chosen.approximations,
        status: result.status,
        reason: result.reason ?? null,
        message: result.message ?? null,
        exitCode: result.exitCode ?? null,
        runMs: result.runMs ?? null,
        publicScore: result.publicPrimary ?? null,
        privateScore: result.privatePrimary ?? null,
        publicScores: result.publicScores ?? null,
        privateScores: result.privateScores ?? null,
        logTruncated: result.logTruncated ?? false,
      };
      if (result.status !== 'scored') {
        throw new CliError(`the run failed; ${describeFailure(result.reason, result.message)}`, exitCodes.submissionFailed, result.reason ?? 'failed', json);
      }
      out.result(json, [
        `scored on the smoke sample: ${formatScores(result.publicScores, primary)} (public part, as the platform shows it)`,
        `private part of the smoke sample: ${formatScores(result.privateScores, primary)}`,
        ...(chosen.approximations.length > 0 ? ['(local runner: limits were approximate; see the notes above)'] : []),
      ]);
    });
}
