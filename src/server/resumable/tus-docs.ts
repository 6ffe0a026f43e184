import { z } from 'zod';

/** The request headers of a tus creation request, for the reference. */
export const creationHeaders = (what: string) => ({
  'Tus-Resumable': { description: '1.0.0', required: true },
  'Upload-Length': { description: `the size of ${what} in bytes; over the limit is refused (413) before any byte is stored`, required: true },
  'Upload-Metadata': { description: 'base64 pairs: `filename`, and `sha256` (hex) of the whole file, checked once all bytes are in' },
});

export const patchHeaders = {
  'Tus-Resumable': { description: '1.0.0', required: true },
  'Upload-Offset': { description: 'where this chunk starts: the offset HEAD answered (409 otherwise)', required: true },
  'Upload-Checksum': { description: '`sha256 <base64>` (or sha1, md5) of this chunk: a mismatch (460) stores nothing' },
};

export const uploadStatusSchema = z.object({
  id: z.string(),
  kind: z.enum(['full', 'smoke', 'bundle']),
  length: z.number(),
  offset: z.number().describe('bytes stored so far'),
  state: z.enum(['receiving', 'checking', 'completed']).describe('checking: all bytes are in and a bundle is being installed'),
  expiresAt: z.string(),
  submissionId: z.string().nullable().describe('the submission a completed submission upload became (the upload\'s id)'),
  competition: z.object({ slug: z.string(), title: z.string(), created: z.boolean() }).nullable().describe('what a completed bundle upload installed'),
});
