package io.nbsecrets.cli;

import io.nbsecrets.init.InitException;
import io.nbsecrets.init.InitRunner;
import io.nbsecrets.init.NativeFernet;
import io.nbsecrets.util.Counts;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The init container: writes the session's secret files, or fails the pod loudly. */
@Command(
    name = "init",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Init container: fetch the user key with the pod token and write secret files.")
public final class InitCommand implements Callable<Integer> {
  @Mixin PodStepOptions pod;

  @Option(
      names = "--termination-log",
      defaultValue = InitRunner.TERMINATION_LOG,
      description = "Where a failure's reason is written for the pod's status (the kubelet's).")
  Path terminationLog;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    return run(
        pod.options(), terminationLog, spec.commandLine().getOut(), spec.commandLine().getErr());
  }

  /** Runs the step; the exit code. Shared with {@link InitArgs}' way in, which skips picocli. */
  static int run(
      InitRunner.Options options,
      Path terminationLog,
      java.io.PrintWriter out,
      java.io.PrintWriter err) {
    // Loaded before the API is asked, so that a library the image names but cannot load is told
    // once, up front (the step then decrypts with the JDK: slower, the same result).
    var warning = NativeFernet.warning();
    if (warning.isPresent()) {
      err.println("nbsecrets init: " + warning.get());
      err.flush();
    }
    try {
      List<Path> files = InitRunner.run(options);
      out.println(
          "nbsecrets init: wrote "
              + Counts.of(files.size(), "secret file")
              + " to "
              + options.mountPath());
      out.flush();
      return 0;
    } catch (InitException e) {
      err.println("nbsecrets init: FAILED: " + InitRunner.terminationMessage(e));
      err.flush();
      InitRunner.writeTerminationMessage(terminationLog, e);
      return 1;
    }
  }
}
