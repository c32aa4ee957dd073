package io.nbsecrets.cli;

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

  @Mixin PodStepOptions pod;

  @Option(
      names = "--interval",
      defaultValue = "PT2S",
      description =
          "How often the mounted Secret is looked at (ISO-8601). Default: ${DEFAULT-VALUE}.")
  Duration interval;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    RefreshRunner runner = new RefreshRunner(pod.options());
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    NativeFernet.warning().ifPresent(w -> err.println("nbsecrets refresh: " + w));
    err.flush();
    out.println(
        "nbsecrets refresh: following the session Secret at "
            + pod.sealedDir
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
