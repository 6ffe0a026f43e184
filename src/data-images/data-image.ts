
export type { DataImage, DataImages } from '../domain/data-image.js';
/** Blob key of an image: content-addressed, so competitions and versions with the same features share one. */
export function dataImageKey(digest: string): string {
  return `data-images/${digest.replace(':', '-')}.erofs`;
}

/**
 * An image could not be made, fetched, checked or mounted. An infrastructure failure: the attempt
 * is retried, and nothing of the failed image is left where a later attempt would use it.
 */
export class DataImageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DataImageError';
  }
}
