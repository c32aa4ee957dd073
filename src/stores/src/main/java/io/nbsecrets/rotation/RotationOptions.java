package io.nbsecrets.rotation;

import java.time.Duration;

/**
 * How a rotation runs.
 *
 * @param batchSize items per batch (the cursor is saved after each batch)
 * @param parallelism threads re-wrapping a batch's items
 * @param propagationWait how long to wait for running operators and APIs to see a key change (their
 *     watch on the keys); the operator also re-reads its keys when it meets an unknown key
 * @param maxPasses passes before giving up on a clean one (old keys are then kept)
 * @param dropOldKeys whether to drop the old keys after a clean pass
 * @param runId names this rotation (a Job's run); a rotation already completed under the same id is
 *     not run again (a re-created Job does nothing). Null: always rotate.
 */
public record RotationOptions(
    int batchSize,
    int parallelism,
    Duration propagationWait,
    int maxPasses,
    boolean dropOldKeys,
    String runId) {

  public RotationOptions {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be at least 1");
    }
    if (parallelism < 1) {
      throw new IllegalArgumentException("parallelism must be at least 1");
    }
    if (propagationWait.isNegative()) {
      throw new IllegalArgumentException("propagation wait must not be negative");
    }
    if (runId != null && (runId.isBlank() || runId.length() > 63)) {
      throw new IllegalArgumentException("run id must be 1 to 63 characters");
    }
    if (maxPasses < 2) {
      throw new IllegalArgumentException(
          "max passes must be at least 2 (one to re-wrap, one to verify)");
    }
  }

  public static RotationOptions defaults() {
    return new RotationOptions(
        500, Runtime.getRuntime().availableProcessors(), Duration.ofSeconds(30), 5, true, null);
  }

  public RotationOptions withPropagationWait(Duration wait) {
    return new RotationOptions(batchSize, parallelism, wait, maxPasses, dropOldKeys, runId);
  }

  public RotationOptions withBatchSize(int size) {
    return new RotationOptions(size, parallelism, propagationWait, maxPasses, dropOldKeys, runId);
  }

  public RotationOptions withDropOldKeys(boolean drop) {
    return new RotationOptions(batchSize, parallelism, propagationWait, maxPasses, drop, runId);
  }

  public RotationOptions withRunId(String id) {
    return new RotationOptions(batchSize, parallelism, propagationWait, maxPasses, dropOldKeys, id);
  }
}
