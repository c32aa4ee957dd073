package io.nbsecrets.cli;

import io.nbsecrets.cli.user.CliFailure;
import io.nbsecrets.cli.user.ExitCodes;
import java.util.ServiceLoader;
import picocli.CommandLine;

/** The jar's command line, built for {@link Main} and for tests. */
public final class Commands {
  private Commands() {}

  /** The command line, with errors reported as one clear line (no stack trace). */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    for (PluggedCommand command : ServiceLoader.load(PluggedCommand.class)) {
      cl.addSubcommand(new CommandLine(command)); // a new CommandLine applies modelTransformer
    }
    cl.addSubcommand(new CommandLine.HelpCommand());
    return withErrorHandler(cl);
  }

  static CommandLine withErrorHandler(CommandLine cl) {
    cl.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          commandLine.getErr().println("nbsecrets: " + e.getMessage());
          return e instanceof CliFailure f ? f.exitCode() : ExitCodes.FAILED;
        });
    return cl;
  }
}
