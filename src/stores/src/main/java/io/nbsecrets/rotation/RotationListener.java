package io.nbsecrets.rotation;

import java.time.Duration;

/** What a rotation reports while it runs (a progress bar, a log, a test). */
public interface RotationListener {

  /** A step: a key added, made current or dropped; a wait begun. Never holds key material. */
  void step(String message);

  /** A batch of a pass was done. */
  void progress(Progress progress);

  /** A pass reached the end of the store; {@code progress} is its final state. */
  default void passDone(Progress progress) {}

  /**
   * Where a pass stands.
   *
   * @param pass 1 for the first pass, then 2, ... (later passes verify that nothing was missed)
   * @param done records handled in this pass so far
   * @param total items in the store when the pass began (they come and go meanwhile); 0 when
   *     unknown
   * @param counts outcomes in this pass so far
   * @param elapsed time since the pass began
   */
  record Progress(int pass, long done, long total, RewrapCounts counts, Duration elapsed) {}

  /** Ignores everything. */
  RotationListener NONE = onSteps(message -> {});

  /** Hands each step to {@code steps} and ignores the progress. */
  static RotationListener onSteps(java.util.function.Consumer<String> steps) {
    return new RotationListener() {
      @Override
      public void step(String message) {
        steps.accept(message);
      }

      @Override
      public void progress(Progress progress) {}
    };
  }
}
