// What the prediction service needs from other parts, as interfaces: server.ts plugs in the
// implementations (server/files), so predictions never import them at runtime.

export interface OutputContext {
  predictionId: string;
  /** origin the prediction was created through: output file URLs are made absolute on it */
  origin: string;
  /** the version's components.schemas.Output, to tell file slots (format: uri) from plain strings */
  outputSchema: unknown;
  components: Record<string, unknown>;
}

export interface PredictionFiles {
  /**
   * Checks, at create time, that every modelhub file URL in the input names an existing file
   * (a 422 otherwise). Returns whether the input has any, so the run can skip the rewrite.
   */
  checkInputFiles(input: Record<string, unknown>, origin: string): boolean;
  /** The input with modelhub's own file URLs replaced by what a container can read. */
  containerInput(input: Record<string, unknown>, origin: string): Promise<Record<string, unknown>>;
  /** Cheap check: does this container output hold data URLs or callback-listener file URLs? */
  needsIngest(value: unknown): boolean;
  /** Stores data-URL files, maps callback URLs to public capability URLs, links files to the prediction. */
  ingestOutput(value: unknown, ctx: OutputContext): Promise<unknown>;
  /** Stores a file PUT to the container's --upload-url; returns the Location to answer with. */
  storeUpload(u: { uploadKey: string; name: string; contentType: string | null; body: ReadableStream<Uint8Array> | Uint8Array; predictionId: string | null }): Promise<string>;
  /** Deletes a prediction's output files, then runs `deleteRow` with the room kept aside for writes that free space (a full disk). */
  deleteWithPrediction(predictionId: string, deleteRow: () => void): void;
}
