import { runGpuSuite } from '../gpu-suite.case.js';
import { missingHostRequirements } from './host-check.js';
import { SandboxExecutor } from './sandbox-executor.js';

const unsupported = missingHostRequirements();
runGpuSuite('sandbox', (options) => new SandboxExecutor(options), unsupported.length > 0 ? `host cannot run sandboxes: ${unsupported.join('; ')}` : undefined);
