import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runBlobStoreSuite } from '../blob-store-suite.case.js';
import { FsBlobStore } from './fs-blob-store.js';

runBlobStoreSuite('fs', async () => new FsBlobStore(await mkdtemp(path.join(tmpdir(), 'holdout-blobs-'))));
