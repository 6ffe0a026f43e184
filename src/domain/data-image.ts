/**
 * A competition's test (or smoke) features packed as one read-only erofs image, named by the
 * sha256 of the image file. Installing a competition makes and publishes them; workers fetch one
 * once, check its digest and mount it read-only instead of copying the files one by one.
 */
export interface DataImage {
  /** sha256 of the image file: "sha256:<64 hex>". */
  digest: string;
  /** Size of the image file. */
  bytes: number;
  /** The bundle folder it holds (`data.test_features` or `data.smoke.features`). */
  folder: string;
  /**
   * Digest of the folder's files (`filesDigest`): what a host-provided path must hold
   * (HOLDOUT_DATA_PATHS), whatever file system it lies on.
   */
  filesDigest: string;
}

/** The images of one competition version; smoke only where the bundle has smoke features. */
export interface DataImages {
  test: DataImage;
  smoke?: DataImage;
}
