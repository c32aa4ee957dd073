package io.nbsecrets.cli;

import io.nbsecrets.cli.user.CliFailure;
import io.nbsecrets.cli.user.ExitCodes;
import java.util.ArrayList;
import java.util.List;
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
    cl.setParameterExceptionHandler(Commands::badInput);
    cl.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          commandLine.getErr().println("nbsecrets: " + e.getMessage());
          return e instanceof CliFailure f ? f.exitCode() : ExitCodes.FAILED;
        });
    return cl;
  }

  /**
   * A command line that does not parse. Picocli's own message quotes every argument it did not
   * expect, and such an argument may be a secret typed where it does not belong ({@code --token
   * eyJ...}, {@code --value=...}): only the unknown options' names are shown, never what follows
   * them or an unexpected argument.
   */
  static int badInput(CommandLine.ParameterException e, String[] args) {
    CommandLine command = e.getCommandLine();
    java.io.PrintWriter err = command.getErr();
    String name = command.getCommandSpec().qualifiedName();
    if (e instanceof CommandLine.UnmatchedArgumentException unmatched) {
      List<String> options =
          unmatched.getUnmatched().stream()
              .filter(a -> a.startsWith("-") && a.length() > 1)
              .map(a -> a.contains("=") ? a.substring(0, a.indexOf('=')) + "=..." : a)
              .distinct()
              .toList();
      long others =
          unmatched.getUnmatched().stream()
              .filter(a -> !a.startsWith("-") || a.equals("-"))
              .count();
      List<String> parts = new ArrayList<>();
      if (!options.isEmpty()) {
        parts.add(
            "unknown option" + (options.size() == 1 ? " " : "s ") + String.join(", ", options));
      }
      if (others > 0) {
        parts.add(
            others
                + " argument"
                + (others == 1 ? "" : "s")
                + " not expected (not shown: a secret is never read from the command line)");
      }
      err.println(name + ": " + String.join("; ", parts));
      CommandLine.UnmatchedArgumentException.printSuggestions(unmatched, err);
    } else {
      err.println(name + ": " + e.getMessage());
    }
    err.println("Try '" + name + " --help' for more information.");
    return command.getCommandSpec().exitCodeOnInvalidInput();
  }
}
