package io.nbsecrets.cli;

import io.nbsecrets.cli.user.ExitCodes;
import io.nbsecrets.init.InitException;
import io.nbsecrets.init.InitRunner;
import io.nbsecrets.init.NativeFernet;
import io.nbsecrets.init.RefreshRunner;
import io.nbsecrets.util.Counts;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The sidecar of a {@code refresh: Live} session: keeps the session's files equal to the mounted
 * session Secret as the operator updates it ({@link RefreshRunner}), until the pod stops.
 */
@Command(
    name = "refresh",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description =
        "Sidecar of a refresh: Live session: rewrite the secret files when the mounted session"
            + " Secret changes.")
public final class RefreshCommand implements Callable<Integer> {
  /** The longest pause after failed passes. */
  static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

  /** How often the mounted Secret is looked at, unless {@code --interval} says otherwise. */
  static final String DEFAULT_INTERVAL = "PT2S";

  /** The shortest interval taken: shorter would spin on the volume. */
  static final Duration MIN_INTERVAL = Duration.ofMillis(100);

  /** The longest interval taken: longer would leave a session's files stale for days. */
  static final Duration MAX_INTERVAL = Duration.ofDays(1);

  @Mixin PodStepOptions pod;

  @Option(
      names = "--interval",
      defaultValue = DEFAULT_INTERVAL,
      description =
          "How often the mounted Secret is looked at (ISO-8601, PT0.1S to PT24H). Default:"
              + " ${DEFAULT-VALUE}.")
  Duration interval;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    return run(pod.options(), interval, spec.commandLine().getOut(), spec.commandLine().getErr());
  }

  /**
   * Follows the mounted Secret until the thread is interrupted; the exit code. Shared with {@link
   * InitArgs}' way in, which skips picocli.
   */
  static int run(InitRunner.Options options, Duration interval, PrintWriter out, PrintWriter err)
      throws InterruptedException {
    if (interval.compareTo(MIN_INTERVAL) < 0 || interval.compareTo(MAX_INTERVAL) > 0) {
      err.println(
          "nbsecrets refresh: --interval must be from "
              + MIN_INTERVAL
              + " to "
              + MAX_INTERVAL
              + ", not "
              + interval);
      err.flush();
      return ExitCodes.USAGE;
    }
    RefreshRunner runner = new RefreshRunner(options);
    var warning = NativeFernet.warning(); // no lambda: see InitArgs
    if (warning.isPresent()) {
      err.println("nbsecrets refresh: " + warning.get());
      err.flush();
    }
    out.println(
        "nbsecrets refresh: following the session Secret at "
            + options.sealedDir()
            + " every "
            + interval.toMillis()
            + " ms");
    out.flush();
    Duration pause = interval;
    while (!Thread.currentThread().isInterrupted()) {
      try {
        RefreshRunner.Outcome o = runner.refreshIfChanged();
        if (o.changed()) {
          out.println(
              "nbsecrets refresh: wrote "
                  + Counts.of(o.written(), "secret file")
                  + ", removed "
                  + Counts.of(o.removed(), "file")
                  + " of deleted secrets");
          out.flush();
        }
        pause = interval;
      } catch (InitException e) {
        // Never a value: the step's messages name secrets and files only.
        err.println("nbsecrets refresh: FAILED, trying again: " + InitRunner.terminationMessage(e));
        err.flush();
        pause =
            pause.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : pause.multipliedBy(2);
      }
      Thread.sleep(pause.toMillis());
    }
    return 0;
  }
}
