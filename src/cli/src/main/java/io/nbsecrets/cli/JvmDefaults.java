package io.nbsecrets.cli;

/**
 * Settings of the JVM itself that the one jar makes before anything else runs, whatever starts it
 * (the image's entry point, {@code java -jar}, the dev assembly).
 */
final class JvmDefaults {
  /** The JDK's setting for the number of threads of {@code ForkJoinPool.commonPool()}. */
  static final String COMMON_POOL_PARALLELISM =
      "java.util.concurrent.ForkJoinPool.common.parallelism";

  private JvmDefaults() {}

  /**
   * Gives the common pool at least two threads unless the command line set its size.
   *
   * <p>The JVM sizes it one less than the processors it sees: one on a machine of two cores, or in
   * a container whose CPU limit is two or less. With one thread, {@code CompletableFuture} runs
   * every asynchronous step without an executor of its own on a new thread, and the JDK's HTTP
   * client completes each response that way when it has an executor, as the Kubernetes client gives
   * it. The operator then started and ended a thread per API answer (10,095 in a 4-minute run of
   * {@code bench sessions}), each about a quarter of a millisecond of CPU. With two, those steps
   * run on the pool's threads.
   *
   * <p>Must run before anything loads {@code ForkJoinPool} or {@code CompletableFuture}: each reads
   * the setting once, as it is loaded. (A {@code -javaagent} runs before {@code main}; one that
   * uses either leaves the JVM's own size.)
   */
  static void apply() {
    if (System.getProperty(COMMON_POOL_PARALLELISM) == null
        && Runtime.getRuntime().availableProcessors() <= 2) {
      System.setProperty(COMMON_POOL_PARALLELISM, "2");
    }
  }
}
