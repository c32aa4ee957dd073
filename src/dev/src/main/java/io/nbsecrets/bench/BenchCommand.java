package io.nbsecrets.bench;

import io.nbsecrets.cli.Main;
import io.nbsecrets.cli.PluggedCommand;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code nbsecrets bench}: benchmarks anyone can run on their own machine, each printing its result
 * as its last line. Part of the development assembly, not of the product image.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Benchmarks of the operator's and init step's work; see docs/benchmarks.md.",
    subcommands = {SnapshotBench.class, InitBench.class, SessionsBench.class})
public final class BenchCommand implements Callable<Integer>, PluggedCommand {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return 2;
  }
}
